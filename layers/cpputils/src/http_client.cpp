#include "http_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace cpputils::http {
namespace {

constexpr std::size_t kMinRead = std::size_t{64} * 1024;

std::string errno_text(int error) { return std::strerror(error); }

// "host:port" or "[v6]:port" -> host, port; false when malformed.
bool split_address(const std::string& address, std::string& host, std::string& port) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  host = address.substr(0, colon);
  port = address.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  }
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Connects a new socket to `address`; -1 with `error` set when it fails.
int connect_to(const sockaddr* address, socklen_t size, int& error) {
  int fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  int rc;
  do {
    rc = ::connect(fd, address, size);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    error = errno;
    ::close(fd);
    return -1;
  }
  int one = 1;  // the head and body go out in one sendmsg: don't let Nagle hold the tail
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// A numeric host (Lambda's is 127.0.0.1) needs no resolver: getaddrinfo
// would also ask the kernel for the addresses of every interface (a netlink
// round trip at each cold start) and keep 64 KB more of glibc resident.
// False when `host` or `port` is not numeric.
bool numeric_address(const std::string& host, const std::string& port, sockaddr_storage& address,
                     socklen_t& size) {
  unsigned number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number > 65535) return false;
  address = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(number));
    size = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(number));
    size = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

void Buffer::make_room(std::size_t n) {
  if (begin_ > 0) {  // reuse the consumed space first
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    ++moves_;
    end_ -= begin_;
    begin_ = 0;
    if (capacity_ - end_ >= n) return;
  }
  std::size_t capacity = std::max({capacity_ * 2, end_ + n, kMinRead});
  std::unique_ptr<char[]> data(new char[capacity]);  // not zero-filled: it is written before read
  if (end_ > 0) std::memcpy(data.get(), data_.get(), end_);
  data_ = std::move(data);
  capacity_ = capacity;
  ++moves_;
}

void Buffer::consume(std::size_t n) {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

Client::Client(std::string address) : address_(std::move(address)) {}

Client::~Client() { disconnect(); }

void Client::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reused_ = false;
}

bool Client::connect() {
  std::string host;
  std::string port;
  if (!split_address(address_, host, port)) {
    error_ = "AWS_LAMBDA_RUNTIME_API '" + address_ + "' is not host:port";
    return false;
  }
  int last_error = 0;
  sockaddr_storage numeric{};
  socklen_t numeric_size = 0;
  if (numeric_address(host, port, numeric, numeric_size)) {
    fd_ = connect_to(reinterpret_cast<const sockaddr*>(&numeric), numeric_size, last_error);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      error_ = "cannot resolve the Runtime API host '" + host + "': " + ::gai_strerror(rc);
      return false;
    }
    for (addrinfo* ai = found; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
      fd_ = connect_to(ai->ai_addr, ai->ai_addrlen, last_error);
    }
    ::freeaddrinfo(found);
  }
  if (fd_ < 0) {
    error_ = "cannot connect to the Runtime API at " + address_ + ": " + errno_text(last_error);
    return false;
  }
  buffer_.clear();  // anything left from an old connection is meaningless
  return true;
}

bool Client::exchange(std::string_view head, std::string_view body, Response& response,
                      const KnownNames& known) {
  buffer_.consume(pending_consume_);
  pending_consume_ = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !connect()) {
      if (attempt > 0) error_ = "lost the connection to the Runtime API and could not reconnect: " + error_;
      return false;
    }
    bool was_reused = reused_;
    Failure failure = send_all(head, body);
    if (failure == Failure::none) failure = read_response(response, known);
    if (failure == Failure::none) {
      reused_ = true;
      if (response.head.close) {
        int fd = fd_;  // the views into the buffer stay valid: only the socket goes
        fd_ = -1;
        reused_ = false;
        ::close(fd);
      }
      return true;
    }
    disconnect();
    // A kept-alive connection the server closed while we were idle: it never
    // saw this request, so sending it again on a new connection is safe.
    if (failure != Failure::stale || !was_reused) return false;
  }
  return false;
}

Client::Failure Client::send_all(std::string_view head, std::string_view body) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body.empty() ? 1 : 2;
  while (msg.msg_iovlen > 0) {
    ssize_t sent = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      error_ = "cannot send to the Runtime API at " + address_ + ": " + errno_text(error);
      return (error == EPIPE || error == ECONNRESET) ? Failure::stale : Failure::fatal;
    }
    auto left = static_cast<std::size_t>(sent);
    if (left == head.size() + body.size()) return Failure::none;  // all of it at once, as usual
    while (msg.msg_iovlen > 0 && left >= msg.msg_iov->iov_len) {
      left -= msg.msg_iov->iov_len;
      ++msg.msg_iov;
      --msg.msg_iovlen;
    }
    if (msg.msg_iovlen > 0) {
      msg.msg_iov->iov_base = static_cast<char*>(msg.msg_iov->iov_base) + left;
      msg.msg_iov->iov_len -= left;
    }
  }
  return Failure::none;
}

// Reads at least one byte; stale = the server closed or reset the connection.
Client::Failure Client::read_more(std::size_t at_least) {
  buffer_.reserve_free(std::max(at_least, kMinRead));
  for (;;) {
    ssize_t got = ::recv(fd_, buffer_.write_ptr(), buffer_.free_space(), 0);
    if (got > 0) {
      buffer_.commit(static_cast<std::size_t>(got));
      return Failure::none;
    }
    if (got < 0 && errno == EINTR) continue;
    int error = got == 0 ? 0 : errno;
    if (got == 0 || error == ECONNRESET) {
      error_ = "the Runtime API at " + address_ + " closed the connection";
      return Failure::stale;
    }
    error_ = "cannot read from the Runtime API at " + address_ + ": " + errno_text(error);
    return Failure::fatal;
  }
}

Client::Failure Client::read_response(Response& response, const KnownNames& known) {
  for (;;) {
    // Nothing to parse before the first bytes have arrived. The parser says
    // why a head is invalid in error_, which is then prefixed.
    Parse state = buffer_.view().empty() ? Parse::incomplete
                                         : parse_response_head(buffer_.view(), response.head, error_, known);
    if (state == Parse::complete) break;
    if (state == Parse::invalid) {
      error_ = "invalid response from the Runtime API at " + address_ + ": " + error_;
      return Failure::fatal;
    }
    bool nothing_yet = buffer_.view().empty();
    Failure failure = read_more(kMinRead);
    if (failure == Failure::stale && !nothing_yet) {
      error_ += " in the middle of a response";
      return Failure::fatal;
    }
    if (failure != Failure::none) return failure;
  }
  Failure failure = read_body(response, known);
  if (failure == Failure::stale) return Failure::fatal;  // the head had arrived
  return failure;
}

Client::Failure Client::read_body(Response& response, const KnownNames& known) {
  const std::size_t head_size = response.head.size;
  const std::size_t moves = buffer_.moves();
  std::size_t body_size = 0;
  std::size_t consumed = head_size;
  if (response.head.bodyless()) {
    // nothing to read
  } else if (response.head.chunked) {
    ChunkedScanner scanner;
    for (;;) {
      ChunkedScanner::Result result = scanner.scan(buffer_.view().substr(head_size));
      if (result.state == Parse::complete) {
        body_size = scanner.assemble(buffer_.begin() + head_size);
        consumed += result.consumed;
        break;
      }
      if (result.state == Parse::invalid) {
        error_ = "invalid chunked body from the Runtime API at " + address_ + ": " + result.error;
        return Failure::fatal;
      }
      if (Failure failure = read_more(kMinRead); failure != Failure::none) return failure;
    }
  } else if (response.head.content_length) {
    body_size = *response.head.content_length;
    consumed += body_size;
    while (buffer_.view().size() < consumed) {
      // Grows the buffer once to the whole body; the kernel writes straight into it.
      if (Failure failure = read_more(consumed - buffer_.view().size()); failure != Failure::none) {
        return failure;
      }
    }
  } else {  // no length: the body ends when the server closes the connection
    response.head.close = true;
    for (;;) {
      Failure failure = read_more(kMinRead);
      if (failure == Failure::stale) break;
      if (failure != Failure::none) return failure;
    }
    body_size = buffer_.view().size() - head_size;
    consumed += body_size;
  }
  // Making room may have moved the bytes (large bodies only): take the
  // header views afresh.
  if (buffer_.moves() != moves) {
    bool close = response.head.close;
    std::string unused;
    parse_response_head(buffer_.view(), response.head, unused, known);
    response.head.close = response.head.close || close;
  }
  response.body = buffer_.view().substr(head_size, body_size);
  pending_consume_ = consumed;
  return Failure::none;
}

}  // namespace cpputils::http
