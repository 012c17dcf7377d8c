// The Runtime API over cpp-httplib. The runtime's requests arrive on the
// server's threads; the engine reads what happened from a queue.
#include "runtime_api/runtime_api.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace layered::runtime_api {

namespace {

constexpr const char* kBase = "/2018-06-01/runtime";
constexpr const char* kJson = "application/json";

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out += hex[rng() % 16];
  return out;
}

class HttpServer : public Server {
 public:
  HttpServer() : notify_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) { routes(); }
  ~HttpServer() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    http_.stop();
    if (thread_.joinable()) thread_.join();
    ::close(notify_);
  }

  Result<int> listen_on(int socket, int port) override {
    http_.set_tcp_nodelay(true);  // headers and body go out as separate writes
    http_.set_keep_alive_max_count(1 << 30);
    http_.set_keep_alive_timeout(300);
    // httplib creates its own socket, in this process's network namespace;
    // put the environment's socket in its place before httplib binds it, so
    // the address is resolved in the environment's namespace.
    http_.set_socket_options([socket](int own) {
      ::dup3(socket, own, O_CLOEXEC);
      int yes = 1;
      ::setsockopt(own, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      ::setsockopt(own, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    });
    port_ =
        port == 0 ? http_.bind_to_any_port("127.0.0.1") : (http_.bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) return make_error("cannot listen on 127.0.0.1 for the Runtime API");
    thread_ = std::thread([this] {
      http_.listen_after_bind();
      listen_ended_ = true;
    });
    // httplib's stop() is a no-op until the server runs: wait for it, so a
    // quickly discarded environment cannot leave the listener behind.
    while (!http_.is_running() && !listen_ended_) std::this_thread::sleep_for(std::chrono::microseconds(50));
    return port_;
  }

  int port() const override { return port_; }
  std::string address() const override { return "127.0.0.1:" + std::to_string(port_); }
  int notify_fd() const override { return notify_; }

  void deliver(Event event) override {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }

  std::optional<Message> take() override {
    std::lock_guard lock(mu_);
    if (messages_.empty()) return std::nullopt;
    Message m = std::move(messages_.front());
    messages_.pop_front();
    if (messages_.empty()) {
      std::uint64_t drained = 0;
      (void)!::read(notify_, &drained, sizeof drained);
    }
    return m;
  }

 private:
  void push(Message m) {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(m));
    std::uint64_t one = 1;
    (void)!::write(notify_, &one, sizeof one);
  }

  void routes() {
    http_.Get(std::string(kBase) + "/invocation/next",
              [this](const httplib::Request&, httplib::Response& res) { next(res); });
    http_.Post(std::string(kBase) + R"(/invocation/([^/]+)/(response|error))",
               [this](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& read) { result(req, res, read); });
    http_.Post(std::string(kBase) + "/init/error",
               [this](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& read) { init_error(req, res, read); });
  }

  void next(httplib::Response& res) {
    push(Message{MessageKind::next_requested, {}, {}, {}, 0});
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !events_.empty(); });
    if (stopping_) {
      res.status = 500;
      return;
    }
    Event e = std::move(events_.front());
    events_.pop_front();
    active_ = e.request_id;
    initialized_ = true;
    lock.unlock();
    res.set_header("Lambda-Runtime-Aws-Request-Id", e.request_id);
    res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(e.deadline_ms));
    res.set_header("Lambda-Runtime-Invoked-Function-Arn", e.function_arn);
    res.set_header("Lambda-Runtime-Trace-Id", e.trace_id);
    if (!e.client_context.empty()) res.set_header("Lambda-Runtime-Client-Context", e.client_context);
    if (!e.cognito_identity.empty()) res.set_header("Lambda-Runtime-Cognito-Identity", e.cognito_identity);
    res.set_content(e.payload, kJson);
  }

  // Reads the whole body (chunked or not), keeping at most the limit.
  static std::size_t read_body(const httplib::ContentReader& read, std::string& body) {
    std::size_t total = 0;
    read([&](const char* data, std::size_t len) {
      total += len;
      if (body.size() < kMaxPayloadBytes + 1)
        body.append(data, std::min(len, kMaxPayloadBytes + 1 - body.size()));
      return true;
    });
    return total;
  }

  void result(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    Message m;
    m.request_id = req.matches[1];
    m.kind = req.matches[2] == "response" ? MessageKind::response : MessageKind::error;
    m.size = read_body(read, m.body);
    m.error_type = req.get_header_value("Lambda-Runtime-Function-Error-Type");
    {
      std::lock_guard lock(mu_);
      if (m.request_id != active_) {
        res.status = 400;
        res.set_content(invalid_request_id_body(), kJson);
        return;
      }
      active_.clear();
    }
    if (m.kind == MessageKind::response && m.size > kMaxPayloadBytes) {
      m.kind = MessageKind::response_too_large;
      m.body.clear();
      res.status = 413;
      res.set_content(payload_too_large_body(), kJson);
    } else {
      res.status = 202;
      res.set_content(R"({"status":"OK"})", kJson);
    }
    push(std::move(m));
  }

  void init_error(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    Message m{MessageKind::init_error, {}, {}, req.get_header_value("Lambda-Runtime-Function-Error-Type"), 0};
    m.size = read_body(read, m.body);
    {
      std::lock_guard lock(mu_);
      if (initialized_) {
        res.status = 403;
        res.set_content(
            R"({"errorMessage":"State transition from Ready to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"})",
            kJson);
        return;
      }
    }
    res.status = 202;
    res.set_content(R"({"status":"OK"})", kJson);
    push(std::move(m));
  }

  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  int notify_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::deque<Message> messages_;
  std::string active_;
  bool initialized_ = false;
  bool stopping_ = false;
  std::atomic<bool> listen_ended_{false};
};

}  // namespace

Result<std::unique_ptr<Server>> Server::create() {
  auto server = std::make_unique<HttpServer>();
  if (server->notify_fd() < 0) return make_error("cannot create an event descriptor for the Runtime API");
  return std::unique_ptr<Server>(std::move(server));
}

Result<std::unique_ptr<Server>> Server::start() {
  auto server = create();
  if (!server) return server.error();
  int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket < 0) return make_error("cannot create a socket for the Runtime API");
  auto port = (*server)->listen_on(socket, 0);
  ::close(socket);
  if (!port) return port.error();
  return server;
}

std::string new_request_id() {
  std::string h = random_hex(32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

std::string new_trace_id() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  char epoch[16];
  std::snprintf(
      epoch, sizeof epoch, "%08llx",
      static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
  return "Root=1-" + std::string(epoch) + "-" + random_hex(24) + ";Parent=" + random_hex(16) + ";Sampled=0";
}

std::string invalid_request_id_body() {
  return R"({"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"})";
}

std::string payload_too_large_body() {
  return R"({"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"})";
}

}  // namespace layered::runtime_api
