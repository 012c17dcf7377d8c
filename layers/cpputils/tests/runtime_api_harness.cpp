// The loopback Runtime API server of the test harness: raw sockets, so that
// a test controls exactly when connections close.
#include "runtime_api_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace cpputils::testing {
namespace {

constexpr std::string_view kNextPath = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInvocationPrefix = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kInitErrorPath = "/2018-06-01/runtime/init/error";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

struct Request {
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;
};

// Reads one request from `fd` (the client sends Content-Length bodies only);
// `pending` keeps bytes that arrived beyond it. False on EOF or garbage.
bool read_request(int fd, std::string& pending, Request& request) {
  char chunk[64 * 1024];
  std::size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    pending.append(chunk, static_cast<std::size_t>(got));
  }
  std::string head = pending.substr(0, end);
  pending.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  request = Request{line.substr(0, sp1), line.substr(sp1 + 1, sp2 - sp1 - 1), {}, {}};
  std::size_t length = 0;
  while (line_end != std::string::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string header =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    std::size_t colon = header.find(':');
    if (colon == std::string::npos) return false;
    std::size_t value_start = header.find_first_not_of(' ', colon + 1);
    Header h{header.substr(0, colon), value_start == std::string::npos ? "" : header.substr(value_start)};
    if (iequals(h.name, "content-length")) length = std::stoul(h.value);
    request.headers.push_back(std::move(h));
  }
  while (pending.size() < length) {
    ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    pending.append(chunk, static_cast<std::size_t>(got));
  }
  request.body = pending.substr(0, length);
  pending.erase(0, length);
  return true;
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Request Entity Too Large";
    default:
      return "Error";
  }
}

std::string reply(int status, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

std::string event_reply(const Event& event) {
  std::string out = "HTTP/1.1 " + std::to_string(event.status) + " " + reason(event.status) + "\r\n";
  for (const Header& h : event.headers) out += h.name + ": " + h.value + "\r\n";
  if (!event.chunked) {
    return out + "Content-Length: " + std::to_string(event.payload.size()) + "\r\n\r\n" + event.payload;
  }
  out += "Transfer-Encoding: chunked\r\n\r\n";
  constexpr std::size_t kChunk = 100'000;  // several chunks, one with an extension
  for (std::size_t at = 0; at < event.payload.size(); at += kChunk) {
    std::size_t size = std::min(kChunk, event.payload.size() - at);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx%s\r\n", size, at == 0 ? ";ext=1" : "");
    out += hex;
    out.append(event.payload, at, size);
    out += "\r\n";
  }
  return out + "0\r\nX-Trailer: ignored\r\n\r\n";
}

}  // namespace

struct RuntimeApiServer::Connection {
  int fd = -1;
  bool closed = false;  // guarded by the server's mutex
};

Event lambda_event(std::string payload, std::string request_id) {
  using namespace std::chrono;
  auto deadline = duration_cast<milliseconds>(system_clock::now().time_since_epoch()) + 60s;
  Event event;
  event.payload = std::move(payload);
  event.headers = {
      {"Lambda-Runtime-Aws-Request-Id", request_id},
      {"Lambda-Runtime-Deadline-Ms", std::to_string(deadline.count())},
      {"Lambda-Runtime-Invoked-Function-Arn", std::string(kTestFunctionArn)},
      {"Lambda-Runtime-Trace-Id", "Root=1-5f84c7a9-" + request_id + ";Parent=3b6c1d2e;Sampled=1"},
      {"Content-Type", "application/json"}};
  return event;
}

void remove_header(Event& event, std::string_view name) {
  std::erase_if(event.headers, [&](const Header& h) { return iequals(h.name, name); });
}

std::string Post::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

RuntimeApiServer::RuntimeApiServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    throw std::runtime_error(std::string("runtime api server: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

RuntimeApiServer::~RuntimeApiServer() {
  stop();
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& t : threads_) t.join();
}

std::string RuntimeApiServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

void RuntimeApiServer::accept_loop() {
  for (;;) {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    auto connection = std::make_shared<Connection>();
    connection->fd = fd;
    ++connections_;
    open_.push_back(connection);
    threads_.emplace_back([this, connection] { serve(connection); });
  }
}

void RuntimeApiServer::serve(const std::shared_ptr<Connection>& connection) {
  std::string pending;
  Request request;
  bool open = true;
  while (open && read_request(connection->fd, pending, request)) {
    if (request.method == "GET" && request.target == kNextPath) {
      open = answer_next(*connection);
    } else if (request.method == "POST" && request.target == kInitErrorPath) {
      record(Post{Post::Kind::init_error, "", std::move(request.body), std::move(request.headers), 202},
             *connection);
    } else if (request.method == "POST" && request.target.starts_with(kInvocationPrefix)) {
      std::string rest = request.target.substr(kInvocationPrefix.size());
      std::size_t slash = rest.find('/');
      std::string what = slash == std::string::npos ? "" : rest.substr(slash + 1);
      Post post{what == "error" ? Post::Kind::error : Post::Kind::response, rest.substr(0, slash),
                std::move(request.body), std::move(request.headers), 202};
      if (what != "error" && what != "response") {
        send_all(connection->fd, reply(404, R"({"errorMessage":"not found","errorType":"NotFound"})"));
        continue;
      }
      if (post.kind == Post::Kind::response && post.body.size() > kMaxResponseSize) post.status = 413;
      record(std::move(post), *connection);
    } else {
      send_all(connection->fd, reply(404, R"({"errorMessage":"not found","errorType":"NotFound"})"));
    }
    std::lock_guard lock(mutex_);
    open = open && !connection->closed && !stopping_ && !close_after_reply_;
  }
  std::lock_guard lock(mutex_);
  connection->closed = true;
  ::close(connection->fd);
  std::erase(open_, connection);
}

bool RuntimeApiServer::answer_next(Connection& connection) {
  Event event;
  {
    std::unique_lock lock(mutex_);
    ++next_requests_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return stopping_ || connection.closed || !events_.empty(); });
    if (stopping_ || connection.closed) return false;  // closed without an answer
    event = std::move(events_.front());
    events_.pop_front();
  }
  return send_all(connection.fd, event_reply(event));
}

void RuntimeApiServer::record(Post post, Connection& connection) {
  std::string answer = post.status == 413
                           ? reply(413, R"({"errorMessage":"Exceeded maximum allowed payload size )"
                                        R"((6291556 bytes).","errorType":"RequestEntityTooLarge"})")
                           : reply(202, R"({"status":"OK"})");
  // Recorded after the answer is sent, so that a test that saw the post
  // knows the client has its answer too.
  send_all(connection.fd, answer);
  std::lock_guard lock(mutex_);
  posts_.push_back(std::move(post));
  changed_.notify_all();
}

void RuntimeApiServer::push(Event event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
  changed_.notify_all();
}

std::vector<Post> RuntimeApiServer::wait_for_posts(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return posts_.size() >= count; });
  return posts_;
}

std::vector<Post> RuntimeApiServer::posts() const {
  std::lock_guard lock(mutex_);
  return posts_;
}

int RuntimeApiServer::next_requests() const {
  std::lock_guard lock(mutex_);
  return next_requests_;
}

bool RuntimeApiServer::wait_for_next_requests(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return next_requests_ >= count; });
}

int RuntimeApiServer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

void RuntimeApiServer::close_after_each_reply(bool on) {
  std::lock_guard lock(mutex_);
  close_after_reply_ = on;
}

void RuntimeApiServer::close_connections() {
  std::lock_guard lock(mutex_);
  for (auto& connection : open_) {
    connection->closed = true;
    ::shutdown(connection->fd, SHUT_RDWR);  // wakes a thread blocked in recv
  }
  changed_.notify_all();
}

void RuntimeApiServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
  }
  close_connections();
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mutex_);
  if (listener_ >= 0) ::close(listener_);
  listener_ = -1;
}

}  // namespace cpputils::testing
