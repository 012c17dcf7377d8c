// serve's HTTP server: cpp-httplib's parsing and routing, with a connection
// loop of our own. httplib's loop sleeps in poll(2) between a keep-alive
// client's requests and writes each answer in two sends (headers, body),
// each after two polls; on a 2-core VM the wake-up after that sleep was half
// the echo's round trip. Ours waits for the next request spinning first
// (common/busy_wait.hpp), reads through one buffer per connection, and sends
// each answer in one write. Internal to invoke_api.
#pragma once

#include <httplib.h>

#include <functional>

namespace layered::invoke_api {

class HttpServer : public httplib::Server {
 public:
  // Runs `work` once the answer being handled on this thread has been sent
  // (at once outside a handler): what the caller need not wait for, such as
  // writing the invocation's log.
  static void after_answer(std::function<void()> work);

 private:
  // Called by httplib on a pool thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace layered::invoke_api
