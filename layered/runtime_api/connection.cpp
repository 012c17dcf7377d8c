#include "runtime_api/connection.hpp"

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace layered::runtime_api::detail {

namespace {

// What a runtime that never reads its answers, or keeps sending while its
// request is held, may make us keep for it.
constexpr std::size_t kMaxQueuedOutput = 16U << 20U;
constexpr std::size_t kMaxHeldInput = 1U << 20U;

const char* reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
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
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    default:
      return "Internal Server Error";
  }
}

Connection& self(http_parser* p) { return *static_cast<Connection*>(p->data); }

}  // namespace

Connection::Connection(int fd, std::size_t body_limit, Handler handler, BodyWanted wants_body)
    : fd_(fd), body_limit_(body_limit), handler_(std::move(handler)), wants_body_(std::move(wants_body)) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

Connection::~Connection() { ::close(fd_); }

bool Connection::wants_read() const {
  return !closing_ && !peer_closed_ && out_.size() - written_ < kMaxQueuedOutput &&
         !(held_ && in_.size() >= kMaxHeldInput);
}

bool Connection::read(std::size_t budget) {
  char buf[65536];
  for (std::size_t taken = 0; taken < budget && wants_read();) {
    auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {  // the runtime is done sending; a held request is still answered
      peer_closed_ = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      break;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    taken += static_cast<std::size_t>(n);
    if (!held_ && !parse()) return false;
    // A short read took all there was: the next recv would only say EAGAIN,
    // and epoll reports whatever arrives later.
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  return flush();
}

// Feeds what was read to the parser; stops at a held request.
bool Connection::parse() {
  std::size_t used = http_parser_execute(&parser_, &settings(), in_.data(), in_.size());
  in_.erase(0, used);
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) return true;
  if (err != HPE_OK) {
    if (!closing_) {
      closing_ = true;
      answer(400, R"({"errorMessage":"malformed HTTP request","errorType":"InvalidRequest"})");
    }
    in_.clear();
  }
  return true;
}

bool Connection::resume() {
  held_ = false;
  http_parser_pause(&parser_, 0);
  if (!in_.empty() && !closing_ && !parse()) return false;
  return flush();
}

bool Connection::flush() {
  while (written_ < out_.size()) {
    auto n = ::send(fd_, out_.data() + written_, out_.size() - written_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    written_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  written_ = 0;
  return !closing_ && !(peer_closed_ && !held_);
}

void Connection::answer(int status, const std::string& body, const std::string& headers) {
  if (!http_should_keep_alive(&parser_)) closing_ = true;
  out_ += "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
          headers + (closing_ ? "Connection: close\r\n\r\n" : "\r\n");
  out_ += body;
}

int Connection::on_message_begin(http_parser* p) {
  self(p).in_message_ = true;
  return 0;
}

int Connection::on_url(http_parser* p, const char* at, std::size_t len) {
  self(p).request_.path.append(at, len);
  return 0;
}

int Connection::on_header_field(http_parser* p, const char* at, std::size_t len) {
  Connection& c = self(p);
  if (c.in_value_) {
    c.header_done();
    c.field_.clear();
    c.value_.clear();
    c.in_value_ = false;
  }
  c.field_.append(at, len);
  return 0;
}

int Connection::on_header_value(http_parser* p, const char* at, std::size_t len) {
  Connection& c = self(p);
  c.in_value_ = true;
  c.value_.append(at, len);
  return 0;
}

void Connection::header_done() {
  if (::strcasecmp(field_.c_str(), "Lambda-Runtime-Function-Error-Type") == 0) request_.error_type = value_;
  if (::strcasecmp(field_.c_str(), "Lambda-Runtime-Function-Error-Body") == 0) request_.error_body = value_;
  if (::strcasecmp(field_.c_str(), "Lambda-Runtime-Function-Response-Mode") == 0)
    request_.response_mode = value_;
  // curl waits a second for this before it sends a large body.
  if (::strcasecmp(field_.c_str(), "Expect") == 0 && ::strcasecmp(value_.c_str(), "100-continue") == 0)
    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
}

int Connection::on_headers_complete(http_parser* p) {
  Connection& c = self(p);
  c.request_.method = static_cast<http_method>(p->method);
  // Routes match the path alone, as Lambda's router does.
  if (auto query = c.request_.path.find('?'); query != std::string::npos) c.request_.path.resize(query);
  if (c.in_value_) c.header_done();
  c.request_.keep_body = c.wants_body_(c.request_);
  return 0;
}

int Connection::on_body(http_parser* p, const char* at, std::size_t len) {
  Request& r = self(p).request_;
  r.size += len;
  const std::size_t limit = self(p).body_limit_;
  if (r.keep_body && r.body.size() < limit) r.body.append(at, std::min(len, limit - r.body.size()));
  return 0;
}

int Connection::on_message_complete(http_parser* p) {
  Connection& c = self(p);
  c.in_message_ = false;
  if (c.in_value_) c.header_done();  // a chunked body's last trailer
  Request request = std::move(c.request_);
  c.request_ = Request{};
  c.field_.clear();
  c.value_.clear();
  c.in_value_ = false;
  if (!c.handler_(c, request)) {
    c.held_ = true;
    http_parser_pause(p, 1);
  } else if (c.closing_) {
    http_parser_pause(p, 1);  // nothing after a closing answer is read
  }
  return 0;
}

const http_parser_settings& Connection::settings() {
  static const http_parser_settings table = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &Connection::on_message_begin;
    s.on_url = &Connection::on_url;
    s.on_header_field = &Connection::on_header_field;
    s.on_header_value = &Connection::on_header_value;
    s.on_headers_complete = &Connection::on_headers_complete;
    s.on_body = &Connection::on_body;
    s.on_message_complete = &Connection::on_message_complete;
    return s;
  }();
  return table;
}

}  // namespace layered::runtime_api::detail
