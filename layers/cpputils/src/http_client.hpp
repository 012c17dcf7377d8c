// A minimal HTTP/1.1 client over one keep-alive TCP connection. Internal to
// cpputils.
//
// Why hand-written and not libcurl (as aws-lambda-cpp uses): the Runtime API
// is a small fixed protocol on loopback, and libcurl is most of the cost of a
// C++ runtime client. Measured here (docs/benchmarks.md): libcurl is 87% of
// aws-lambda-cpp's instructions per invocation (194,595 against 1,361 for a
// minimal client) and its cold start is 15.9 ms against 2.3 ms. It would also
// be one more shared library to ship in the layer.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "http_message.hpp"

namespace cpputils::http {

// A growable receive buffer. Bodies are received straight into it, so the
// views handed out (headers, body) point at the bytes the kernel wrote.
class Buffer {
 public:
  std::string_view view() const { return {data_.get() + begin_, end_ - begin_}; }
  char* begin() { return data_.get() + begin_; }
  // Makes room for at least `n` more bytes after the data (inline: there
  // is room before every read but the first and those of large bodies).
  void reserve_free(std::size_t n) {
    if (capacity_ - end_ < n) make_room(n);
  }
  char* write_ptr() { return data_.get() + end_; }
  std::size_t free_space() const { return capacity_ - end_; }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n);
  void clear() { begin_ = end_ = 0; }
  // Counts the times the data moved in memory: views taken before a change
  // of this count are stale.
  std::size_t moves() const { return moves_; }

 private:
  void make_room(std::size_t n);

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t moves_ = 0;
};

struct Response {
  ResponseHead head;
  std::string_view body;  // into the client's buffer, valid until the next request
  int status() const { return head.status; }
};

class Client {
 public:
  // `address` is host:port (AWS_LAMBDA_RUNTIME_API: no scheme); IPv6 as [::1]:9001.
  explicit Client(std::string address);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends a request, head and body written in one sendmsg (no copy of the
  // body), and reads the response. If the kept-alive connection turns out to
  // be closed by the server, reconnects once and sends again. False when the
  // exchange failed; error() says why in one lower-case sentence.
  // `known` as for parse_response_head.
  bool exchange(std::string_view head, std::string_view body, Response& response,
                const KnownNames& known = kNoKnownNames);
  const std::string& error() const { return error_; }
  const std::string& address() const { return address_; }

 private:
  enum class Failure { none, stale, fatal };
  bool connect();
  Failure send_all(std::string_view head, std::string_view body);
  Failure read_response(Response& response, const KnownNames& known);
  Failure read_more(std::size_t at_least);
  Failure read_body(Response& response, const KnownNames& known);
  void disconnect();

  std::string address_;
  int fd_ = -1;
  bool reused_ = false;              // whether the current connection already served a request
  std::size_t pending_consume_ = 0;  // bytes of the previous response still in the buffer
  Buffer buffer_;
  std::string error_;
};

}  // namespace cpputils::http
