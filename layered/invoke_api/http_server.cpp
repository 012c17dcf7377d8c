// serve's connection loop: keep-alive requests parsed and routed by httplib,
// read through one buffer per connection, each answer sent in one write.
#include "invoke_api/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "common/busy_wait.hpp"
#include "invoke_api/connection_threads.hpp"

namespace layered::invoke_api {

namespace {

using Clock = std::chrono::steady_clock;

// Answers are gathered up to this size before they are sent: a whole answer
// of any size Lambda allows goes out in a few writes, a small one in one.
constexpr std::size_t kSendAt = 256U << 10U;
// A request (head and body) must arrive within this, however it trickles:
// a client sending a byte a second cannot hold a connection's thread.
// Lambda's 6 MB take a second at 50 Mbit/s.
constexpr std::chrono::seconds kRequestTime{60};
// An idle connection is kept this much longer than the Keep-Alive timeout
// the answers advertise (httplib's 5 s). Node's agent (20 and before) keeps a
// free socket exactly as long as the hint says: a server that closed at the
// same moment met its requests sent at ~5 s (ECONNRESET). A client that
// honours the hint now closes first; one that does not holds a thread 3 s
// longer than before.
constexpr std::chrono::seconds kIdleBeyondHint{3};
std::string address_text(const sockaddr_storage& addr, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    port = ntohs(in6.sin6_port);
  } else {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &in4.sin_addr, text, sizeof text);
    port = ntohs(in4.sin_port);
  }
  return text;
}

int milliseconds(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

class ConnectionStream final : public httplib::Stream {
 public:
  // Reads and writes give up when `stop_fd` turns readable: a client that
  // sends or reads slowly cannot hold serve's stop.
  ConnectionStream(int fd, int read_timeout_ms, time_t write_timeout_sec, int stop_fd)
      : fd_(fd),
        stop_fd_(stop_fd),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(static_cast<int>(write_timeout_sec * 1000)),
        in_(64U << 10U) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) != 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  }

  bool is_readable() const override { return start_ < end_ || poll_in(wait_ms()) > 0; }
  bool is_writable() const override { return true; }  // a failed send says otherwise

  ssize_t read(char* ptr, size_t size) override {
    // An interim answer (100 Continue) must leave before the body is awaited.
    if (!flush()) return -1;
    if (start_ == end_) {
      if (poll_in(wait_ms()) <= 0) return -1;
      auto n = fill(0);
      if (n <= 0) return n;
    }
    const std::size_t n = std::min(size, end_ - start_);
    std::memcpy(ptr, in_.data() + start_, n);
    start_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    if (out_.size() >= kSendAt && !flush()) return -1;
    return static_cast<ssize_t>(size);
  }

  // Asked for every request (REMOTE_ADDR); a connection's ends never change.
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    if (remote_.empty()) remote_ = end_of(::getpeername, remote_port_);
    ip = remote_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (local_.empty()) local_ = end_of(::getsockname, local_port_);
    ip = local_;
    port = local_port_;
  }
  socket_t socket() const override { return fd_; }

  // Sends what the answer wrote; false when the client is gone, stopped
  // reading for the write timeout, or serve stops.
  bool flush() {
    std::size_t sent = 0;
    while (sent < out_.size()) {
      auto n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && await(POLLOUT, write_timeout_ms_) > 0)
        continue;
      if (n <= 0) {
        out_.clear();
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    out_.clear();
    return true;
  }

  // Waits for the next request's first bytes, spinning first; false when
  // the client closed, stayed idle past `idle`, or `stop_fd` is readable.
  bool await_request(std::chrono::seconds idle, int stop_fd) {
    request_deadline_ = Clock::now() + kRequestTime + idle;
    if (start_ < end_) return started();
    {
      const BusyWait busy;
      while (busy.spinning()) {
        auto n = fill(MSG_DONTWAIT);
        if (n > 0) return started();
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return false;
        ::sched_yield();
      }
    }
    const auto deadline = Clock::now() + idle;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      const int ready = ::poll(p, 2, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return false;
      if (ready > 0) return p[1].revents == 0 && started();
    }
  }

 private:
  bool started() {
    request_deadline_ = Clock::now() + kRequestTime;
    return true;
  }

  // How long a read may wait: the read timeout, within the request's time.
  int wait_ms() const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(request_deadline_ - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, read_timeout_ms_));
  }

  // poll(2) for input (or the close) within `timeout_ms`: 1, 0 on a
  // timeout, -1 with errno or when serve stops.
  int poll_in(int timeout_ms) const { return await(POLLIN, timeout_ms); }

  int await(short events, int timeout_ms) const {
    pollfd p[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = ::poll(p, 2, timeout_ms);
    if (ready > 0 && p[0].revents == 0) return -1;  // only the stop: what is under way ends
    return ready;
  }

  template <class Lookup>
  std::string end_of(Lookup lookup, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (lookup(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
    return address_text(addr, port);
  }

  // One recv into the emptied buffer: its count, 0 on close, -1 with errno.
  ssize_t fill(int flags) {
    start_ = end_ = 0;
    ssize_t n = 0;
    do {
      n = ::recv(fd_, in_.data(), in_.size(), flags);
    } while (n < 0 && errno == EINTR && flags == 0);
    if (n > 0) end_ = static_cast<std::size_t>(n);
    return n;
  }

  int fd_;
  int stop_fd_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  Clock::time_point request_deadline_ = Clock::now() + kRequestTime;
  std::vector<char> in_;
  std::size_t start_ = 0, end_ = 0;
  std::string out_;
  mutable std::string remote_, local_;
  mutable int remote_port_ = 0, local_port_ = 0;
};

// The work handlers deferred on this thread; null outside a connection loop.
thread_local std::vector<std::function<void()>>* deferred = nullptr;
// The answer being handled ends its connection (close_after_answer).
thread_local bool closing = false;

void run_deferred(std::vector<std::function<void()>>& work) {
  for (auto& w : work) w();
  work.clear();
}

}  // namespace

std::string http_date(std::time_t when) {
  // Not strftime's %a and %b, which follow the locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  char text[32];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

std::string_view http_date_now() {
  // The warm invoke path asks for it on every answer: a clock read (vDSO)
  // and, once a second, the formatting.
  thread_local std::time_t formatted_at = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    text = http_date(now);
    formatted_at = now;
  }
  return text;
}

HttpServer::HttpServer() : stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  new_task_queue = [] { return new_connection_threads(kMaxConnections); };
  // httplib calls it for every answer it writes, its own errors included.
  set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Date", std::string(http_date_now()));
  });
}

HttpServer::~HttpServer() {
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void HttpServer::stop() {
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  httplib::Server::stop();
}

void HttpServer::close_after_answer(httplib::Response& res) {
  closing = true;
  res.set_header("Connection", "close");
}

void HttpServer::after_answer(std::function<void()> work) {
  if (deferred) {
    deferred->push_back(std::move(work));
  } else {
    work();
  }
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  std::vector<std::function<void()>> work;
  deferred = &work;
  ConnectionStream stream(sock, milliseconds(read_timeout_sec_, read_timeout_usec_), write_timeout_sec_,
                          stop_fd_);
  bool ok = false;
  for (std::size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (!stream.await_request(std::chrono::seconds(keep_alive_timeout_sec_) + kIdleBeyondHint, stop_fd_))
      break;
    bool closed = false;
    closing = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!stream.flush()) ok = false;
    run_deferred(work);
    if (!ok || closed || closing) break;
  }
  run_deferred(work);
  deferred = nullptr;
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace layered::invoke_api
