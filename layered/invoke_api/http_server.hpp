// serve's HTTP server: cpp-httplib's parsing and routing, with a connection
// loop and threads of our own. httplib's loop sleeps in poll(2) between a
// keep-alive client's requests and writes each answer in two sends (headers,
// body), each after two polls; on a 2-core VM the wake-up after that sleep
// was half the echo's round trip. Ours waits for the next request spinning
// first (common/busy_wait.hpp), reads through one buffer per connection, and
// sends each answer in one write, with a thread for each connection that
// finds none free (connection_threads.hpp). Internal to invoke_api.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

namespace layered::invoke_api {

// `when` as HTTP's Date header gives it (RFC 9110's IMF-fixdate):
// "Mon, 07 Dec 2026 18:00:00 GMT".
std::string http_date(std::time_t when);
// The current second's http_date, formatted once a second on each thread.
std::string_view http_date_now();

// Every answer carries a Date header (RFC 9110: an origin server with a
// clock sends one; the SDKs correct their clock skew from it).
class HttpServer : public httplib::Server {
 public:
  // At most this many connections are served at once; more wait for one.
  static constexpr std::size_t kMaxConnections = 4096;

  HttpServer();
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops listening and wakes every idle connection, which then closes.
  // (Hides httplib's, which is not virtual: call it on an HttpServer.)
  void stop();

  // Runs `work` once the answer being handled on this thread has been sent
  // (at once outside a handler): what the caller need not wait for, such as
  // writing the invocation's log.
  static void after_answer(std::function<void()> work);
  // Ends the connection once the answer being handled is sent: where what
  // follows the request on the connection cannot be trusted to be the next
  // request (a head or body httplib could not read, conflicting lengths).
  static void close_after_answer(httplib::Response& res);

 private:
  // Called by httplib on a connection thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;

  int stop_fd_ = -1;  // an eventfd, readable once stop() was called
};

}  // namespace layered::invoke_api
