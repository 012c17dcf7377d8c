// The relay baseline (relay.hpp).
#include "relay.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>

extern char** environ;

namespace bench {

namespace {

constexpr const char* kApi = "/2018-06-01/runtime/invocation/";

pid_t spawn_runtime(const std::string& program, int api_port) {
  std::vector<std::string> env = {"AWS_LAMBDA_RUNTIME_API=127.0.0.1:" + std::to_string(api_port),
                                  "_HANDLER=echo", "AWS_LAMBDA_FUNCTION_NAME=relay-echo",
                                  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
                                  "AWS_LAMBDA_FUNCTION_VERSION=$LATEST"};
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string arg0 = program;
  char* argv[] = {arg0.data(), nullptr};
  pid_t pid = -1;
  return ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, envp.data()) == 0 ? pid : -1;
}

}  // namespace

Relay::Relay(const std::string& runtime_program, int runtimes) {
  routes();
  api_.new_task_queue = [runtimes] {
    return new httplib::ThreadPool(static_cast<std::size_t>(runtimes) + 8);
  };
  api_.set_keep_alive_max_count(100000);
  api_.set_tcp_nodelay(true);
  front_.new_task_queue = [] { return new httplib::ThreadPool(80); };
  front_.set_keep_alive_max_count(100000);
  front_.set_tcp_nodelay(true);
  const int api_port = api_.bind_to_any_port("127.0.0.1");
  front_port_ = front_.bind_to_any_port("127.0.0.1");
  if (api_port <= 0 || front_port_ <= 0) return;
  api_thread_ = std::thread([this] { api_.listen_after_bind(); });
  front_thread_ = std::thread([this] { front_.listen_after_bind(); });
  for (int i = 0; i < runtimes; ++i) {
    pid_t pid = spawn_runtime(runtime_program, api_port);
    if (pid > 0) children_.push_back(pid);
  }
}

Relay::~Relay() {
  // The runtimes first: woken by the stop, they would report an error.
  for (pid_t pid : children_) ::kill(pid, SIGKILL);
  for (pid_t pid : children_) ::waitpid(pid, nullptr, 0);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, pending] : pending_) pending->answered.notify_all();
  }
  work_.notify_all();
  front_.stop();
  api_.stop();
  if (front_thread_.joinable()) front_thread_.join();
  if (api_thread_.joinable()) api_thread_.join();
}

void Relay::routes() {
  front_.Post("/relay", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(relay(req.body), "application/json");
  });
  api_.Get(std::string(kApi) + "next",
           [this](const httplib::Request&, httplib::Response& res) { next(res); });
  api_.Post(std::string(kApi) + R"(([^/]+)/response)",
            [this](const httplib::Request& req, httplib::Response& res) {
              respond(req.matches[1], req.body);
              res.status = 202;
              res.set_content(R"({"status":"OK"})", "application/json");
            });
}

// One invocation: queued for the next free runtime, answered with its response.
std::string Relay::relay(std::string event) {
  auto pending = std::make_shared<Pending>();
  std::unique_lock lock(mutex_);
  const std::string id = std::to_string(++next_id_);
  pending_[id] = pending;
  queue_.emplace_back(id, std::move(event));
  work_.notify_one();
  pending->answered.wait(lock, [&] { return pending->done || stopping_; });
  pending_.erase(id);
  return std::move(pending->response);
}

// A runtime's GET .../next: waits for an event.
void Relay::next(httplib::Response& res) {
  std::unique_lock lock(mutex_);
  work_.wait(lock, [&] { return !queue_.empty() || stopping_; });
  if (stopping_) {
    res.status = 500;
    return;
  }
  auto [id, event] = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  const auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch() + std::chrono::minutes(1))
                            .count();
  res.set_header("Lambda-Runtime-Aws-Request-Id", id);
  res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(deadline));
  res.set_header("Lambda-Runtime-Invoked-Function-Arn",
                 "arn:aws:lambda:us-east-1:123456789012:function:relay-echo");
  res.set_content(event, "application/json");
}

void Relay::respond(const std::string& id, std::string body) {
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    it->second->response = std::move(body);
    it->second->done = true;
    it->second->answered.notify_one();
  }
}

}  // namespace bench
