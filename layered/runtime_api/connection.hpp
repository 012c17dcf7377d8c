// One HTTP/1.1 connection from a runtime, on a non-blocking socket: requests
// parsed incrementally (Node's http-parser: lengths, chunked bodies,
// keep-alive), answers queued and written as the socket takes them.
// Internal to runtime_api.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <functional>
#include <string>

namespace layered::runtime_api::detail {

struct Request {
  http_method method = HTTP_GET;
  std::string path;
  std::string error_type;     // Lambda-Runtime-Function-Error-Type (a header, or a streamed body's trailer)
  std::string error_body;     // Lambda-Runtime-Function-Error-Body: a streamed body's trailer, base64
  std::string response_mode;  // Lambda-Runtime-Function-Response-Mode
  std::string body;           // at most `body_limit` bytes of it, when kept
  std::size_t size = 0;       // bytes the body really had
  bool keep_body = false;
};

class Connection {
 public:
  // Called for each complete request. Returns true when it was answered
  // (`answer` called) and false to hold the connection until `resume`.
  using Handler = std::function<bool(Connection&, Request&)>;
  // Asked once a request's head is read: whether to keep its body.
  using BodyWanted = std::function<bool(const Request&)>;

  Connection(int fd, std::size_t body_limit, Handler handler, BodyWanted wants_body);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  // Reads what the socket has (at most `budget` bytes) and handles the
  // requests it completes. False once the connection is over.
  bool read(std::size_t budget);
  // Writes what is queued. False once the connection is over.
  bool flush();
  bool wants_read() const;
  bool wants_write() const { return written_ < out_.size(); }
  bool held() const { return held_; }
  // The runtime shut its side: a held request may still be answered (nc -N
  // does that), but a client that gave up on it did the same.
  bool peer_closed() const { return peer_closed_; }
  // Between requests, with nothing to write: closing it loses nothing.
  bool idle() const { return !held_ && !in_message_ && in_.empty() && !wants_write(); }

  void answer(int status, const std::string& body, const std::string& headers = "");
  // Releases a held request (answered meanwhile) and goes on with what the
  // runtime sent after it.
  bool resume();

 private:
  bool parse();
  void header_done();
  static const http_parser_settings& settings();
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, std::size_t len);
  static int on_header_field(http_parser* p, const char* at, std::size_t len);
  static int on_header_value(http_parser* p, const char* at, std::size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, std::size_t len);
  static int on_message_complete(http_parser* p);

  int fd_;
  std::size_t body_limit_;
  Handler handler_;
  BodyWanted wants_body_;
  http_parser parser_{};
  std::string in_;  // bytes read, not yet parsed
  std::string out_;
  std::size_t written_ = 0;
  Request request_;
  std::string field_;  // the header being read
  std::string value_;
  bool in_value_ = false;
  bool held_ = false;
  bool in_message_ = false;   // a request is partly read
  bool closing_ = false;      // close once what is queued is written
  bool peer_closed_ = false;  // the runtime shut its side (nothing more to read)
};

}  // namespace layered::runtime_api::detail
