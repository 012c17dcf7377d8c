// The Runtime API without threads of its own: the engine's thread, waiting
// for its invoke, accepts the runtime's connections, reads its requests and
// answers them (take, deliver). An event thus goes from the engine to the
// runtime's pending GET /next and its answer comes back with no hand-off
// between threads; and a runtime between invokes waits, as Lambda's frozen
// one does.
#include "runtime_api/runtime_api.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

#include "runtime_api/connection.hpp"

namespace layered::runtime_api {

namespace {

constexpr std::string_view kInvocation = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kNext = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInitError = "/2018-06-01/runtime/init/error";
// A runtime needs one connection, two at most; beyond eight, the oldest
// idle one is closed, or the new one when none is idle. Each may hold a
// body of up to Lambda's limit while it is read.
constexpr std::size_t kMaxConnections = 8;
// Read per connection and turn, so one runtime's flood cannot hold the
// engine past its deadline.
constexpr std::size_t kReadBudget = 1U << 20U;

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out += hex[rng() % 16];
  return out;
}

using detail::Connection;
using detail::Request;

// A header value as one line: a line break in it would end the head early
// and turn the rest into the body (JSON may hold them between tokens).
std::string one_line(std::string value) {
  for (char& ch : value)
    if (ch == '\r' || ch == '\n') ch = ' ';
  return value;
}

// `text` as the inside of a JSON string.
std::string json_text(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
  }
  return out;
}

class EpollServer : public Server {
 public:
  EpollServer() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}
  ~EpollServer() override {
    connections_.clear();
    if (listener_ >= 0) ::close(listener_);
    if (epoll_ >= 0) ::close(epoll_);
  }
  EpollServer(const EpollServer&) = delete;
  EpollServer& operator=(const EpollServer&) = delete;

  bool valid() const { return epoll_ >= 0; }

  Result<int> listen_on(int socket, int port) override {
    listener_ = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    epoll_event ev{EPOLLIN, {.fd = listener_}};
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, SOMAXCONN) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::fcntl(listener_, F_SETFL, O_NONBLOCK) != 0 ||
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &ev) != 0) {
      return make_error("cannot listen on 127.0.0.1 for the Runtime API");
    }
    port_ = ntohs(addr.sin_port);
    return port_;
  }

  int port() const override { return port_; }
  std::string address() const override { return "127.0.0.1:" + std::to_string(port_); }
  int notify_fd() const override { return epoll_; }

  void deliver(Event event) override {
    events_.push_back(std::move(event));
    pump();
    // pump() may have handed the event to a GET /next that came meanwhile.
    if (events_.empty()) return;
    // A connection whose runtime shut its side may have given up on its
    // request (a client's timeout, then a new GET /next): a live one first.
    for (bool live : {true, false}) {
      for (auto& [fd, c] : connections_) {
        if (!c.connection->held() || (live && c.connection->peer_closed())) continue;
        give_event(*c.connection);
        if (!c.connection->resume())
          drop(fd);
        else
          watch(c);
        return;
      }
    }
  }

  std::optional<Message> take() override {
    if (messages_.empty()) pump();
    if (messages_.empty()) return std::nullopt;
    Message m = std::move(messages_.front());
    messages_.pop_front();
    return m;
  }

 private:
  struct Watched {
    std::unique_ptr<Connection> connection;
    std::uint32_t events = 0;
    std::uint64_t order = 0;  // when it was accepted
  };

  bool drop_oldest_idle() {
    int oldest = -1;
    std::uint64_t order = UINT64_MAX;
    for (const auto& [fd, w] : connections_) {
      if (w.connection->idle() && w.order < order) {
        oldest = fd;
        order = w.order;
      }
    }
    if (oldest >= 0) drop(oldest);
    return oldest >= 0;
  }

  // Does what the sockets are ready for, without waiting.
  void pump() {
    epoll_event ready[16];
    int n = ::epoll_wait(epoll_, ready, 16, 0);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == listener_) {
        accept_all();
        continue;
      }
      auto found = connections_.find(fd);
      if (found == connections_.end()) continue;
      Connection& c = *found->second.connection;
      const std::uint32_t events = ready[i].events;
      bool open = (events & EPOLLOUT) ? c.flush() : true;
      if (open && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) open = c.read(kReadBudget);
      // A connection gone both ways has nothing more to give once read.
      if (!open || (events & (EPOLLHUP | EPOLLERR)))
        drop(fd);
      else
        watch(found->second);
    }
  }

  void accept_all() {
    for (;;) {
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      // A client that opens a connection per request and keeps the old ones
      // (as some do) loses its oldest idle one, not the new request.
      if (connections_.size() >= kMaxConnections && !drop_oldest_idle()) {
        ::close(fd);
        continue;
      }
      int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      auto connection = std::make_unique<Connection>(
          fd, kMaxPayloadBytes + 1, [this](Connection& c, Request& r) { return handle(c, r); },
          [this](const Request& r) { return wants_body(r); });
      epoll_event ev{EPOLLIN | EPOLLRDHUP, {.fd = fd}};
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // closed with `connection`
      connections_[fd] = Watched{std::move(connection), ev.events, ++accepted_};
    }
  }

  // Keeps the connection's interest in step with what it can do next.
  void watch(Watched& w) {
    const Connection& c = *w.connection;
    const std::uint32_t want =
        (c.wants_read() ? EPOLLIN | EPOLLRDHUP : 0U) | (c.wants_write() ? EPOLLOUT : 0U);
    if (want == w.events) return;
    epoll_event ev{want, {.fd = c.fd()}};
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd(), &ev);
    w.events = want;
  }

  void drop(int fd) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    connections_.erase(fd);
  }

  // POST .../invocation/{id}/response|error: the id, and whether it is a response.
  static std::optional<std::pair<std::string, bool>> invocation_result(const Request& r) {
    if (r.method != HTTP_POST || r.path.rfind(kInvocation, 0) != 0) return std::nullopt;
    const std::string rest = r.path.substr(kInvocation.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos || slash == 0) return std::nullopt;
    const std::string what = rest.substr(slash + 1);
    if (what != "response" && what != "error") return std::nullopt;
    return std::make_pair(rest.substr(0, slash), what == "response");
  }

  static bool is_init_error(const Request& r) { return r.method == HTTP_POST && r.path == kInitError; }

  // Only a body that will be taken is kept: what a runtime posts for another
  // request, or after Init, is counted and dropped as it arrives.
  bool wants_body(const Request& r) const {
    if (is_init_error(r)) return !initialized_;
    auto result = invocation_result(r);
    return result && !active_.empty() && result->first == active_;
  }

  bool handle(Connection& c, Request& r) {
    if (r.method == HTTP_GET && r.path == kNext) return next(c);
    if (is_init_error(r)) return init_error(c, r);
    if (auto target = invocation_result(r)) return result(c, r, target->first, target->second);
    Request as_post = r;
    as_post.method = HTTP_POST;
    if (r.path == kNext || is_init_error(as_post) || invocation_result(as_post))
      c.answer(405, R"({"errorMessage":"Method Not Allowed","errorType":"InvalidRequest"})");
    else
      c.answer(404, R"({"errorMessage":"Not Found","errorType":"InvalidRequest"})");
    return true;
  }

  bool next(Connection& c) {
    messages_.push_back(Message{MessageKind::next_requested, {}, {}, {}, 0});
    if (events_.empty()) return false;  // held until an event is delivered
    give_event(c);
    return true;
  }

  void give_event(Connection& c) {
    Event e = std::move(events_.front());
    events_.pop_front();
    active_ = e.request_id;
    initialized_ = true;
    std::string headers = "Lambda-Runtime-Aws-Request-Id: " + one_line(e.request_id) +
                          "\r\nLambda-Runtime-Deadline-Ms: " + std::to_string(e.deadline_ms) +
                          "\r\nLambda-Runtime-Invoked-Function-Arn: " + one_line(e.function_arn) +
                          "\r\nLambda-Runtime-Trace-Id: " + one_line(e.trace_id) + "\r\n";
    if (!e.client_context.empty())
      headers += "Lambda-Runtime-Client-Context: " + one_line(e.client_context) + "\r\n";
    if (!e.cognito_identity.empty())
      headers += "Lambda-Runtime-Cognito-Identity: " + one_line(e.cognito_identity) + "\r\n";
    c.answer(200, e.payload, headers);
  }

  bool result(Connection& c, Request& r, const std::string& request_id, bool response) {
    if (request_id != active_) {
      if (!request_id.empty() && request_id == settled_) {  // a second answer to the same event
        c.answer(
            403,
            R"({"errorMessage":"State transition from RuntimeResponseSentState to )" +
                std::string(response ? "InvocationResponse" : "InvocationErrorResponse") +
                R"( failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"})");
      } else {
        c.answer(400, invalid_request_id_body());
      }
      return true;
    }
    active_.clear();
    settled_ = request_id;
    if (response && !r.response_mode.empty() && r.response_mode != "streaming")
      return invalid_response_mode(c, r, request_id);
    // A streamed response that failed after it began says so in trailers.
    if (response && !r.error_type.empty()) return streamed_error(c, r, request_id);
    Message m{response ? MessageKind::response : MessageKind::error, request_id, std::move(r.body),
              r.error_type, r.size};
    // An error is a payload for the caller too: one past the limit is
    // refused as a response is, not cut into a body that is no longer JSON.
    if (m.size > kMaxPayloadBytes) {
      m.kind = MessageKind::response_too_large;
      m.body.clear();
      c.answer(413, payload_too_large_body());
    } else {
      if (m.body.size() > kMaxPayloadBytes) m.body.resize(kMaxPayloadBytes);
      c.answer(202, R"({"status":"OK"})");
    }
    messages_.push_back(std::move(m));
    return true;
  }

  // The runtime hears why, and the invocation fails at once with the error
  // Lambda gives it, rather than waiting for its timeout.
  bool invalid_response_mode(Connection& c, const Request& r, const std::string& request_id) {
    const std::string text = "Invalid function response mode: " + json_text(r.response_mode);
    c.answer(400, R"({"errorMessage":")" + text + R"(","errorType":"InvalidFunctionResponseMode"})");
    messages_.push_back(
        Message{MessageKind::error, request_id,
                R"({"errorMessage":")" + text + R"(","errorType":"Runtime.InvalidResponseModeHeader"})",
                "Runtime.InvalidResponseModeHeader", r.size});
    return true;
  }

  bool streamed_error(Connection& c, Request& r, const std::string& request_id) {
    std::string body = base64_decode(r.error_body).value_or("");
    if (body.empty()) {
      body = R"({"errorMessage":"the function's response stream failed","errorType":")" +
             json_text(r.error_type) + R"("})";
    }
    if (body.size() > kMaxPayloadBytes) body.resize(kMaxPayloadBytes);
    c.answer(202, R"({"status":"OK"})");
    messages_.push_back(Message{MessageKind::error, request_id, std::move(body), r.error_type, r.size});
    return true;
  }

  bool init_error(Connection& c, Request& r) {
    if (initialized_) {
      c.answer(
          403,
          R"({"errorMessage":"State transition from Ready to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"})");
      return true;
    }
    if (r.body.size() > kMaxPayloadBytes) r.body.resize(kMaxPayloadBytes);
    c.answer(202, R"({"status":"OK"})");
    messages_.push_back(Message{MessageKind::init_error, {}, std::move(r.body), r.error_type, r.size});
    return true;
  }

  int epoll_;
  int listener_ = -1;
  int port_ = 0;
  std::map<int, Watched> connections_;
  std::uint64_t accepted_ = 0;
  std::deque<Event> events_;
  std::deque<Message> messages_;
  std::string active_;
  std::string settled_;  // the last request the runtime answered
  bool initialized_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::create() {
  auto server = std::make_unique<EpollServer>();
  if (!server->valid()) return make_error("cannot create an event descriptor for the Runtime API");
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
