// A second baseline for serve_bench: the least an engine must do to keep
// Lambda's process model. An HTTP front hands each request's body to a
// runtime process through a minimal Runtime API (GET .../invocation/next,
// POST .../invocation/ID/response) and answers with what the runtime posted.
// Runtimes are the cpputils echo (the example functions' runtime client);
// no sandbox, no lookup, no logs, plain cpp-httplib with blocking waits.
// What serve costs beyond this is serve's own; what this costs beyond the
// echo is the process model's.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class Relay {
 public:
  // Starts `runtimes` processes of `runtime_program`; check ok() after.
  Relay(const std::string& runtime_program, int runtimes);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  bool ok() const { return front_port_ > 0 && !children_.empty(); }
  int port() const { return front_port_; }  // POST /relay

 private:
  struct Pending {
    std::string response;
    bool done = false;
    std::condition_variable answered;
  };

  void routes();
  std::string relay(std::string event);
  void next(httplib::Response& res);
  void respond(const std::string& id, std::string body);

  httplib::Server front_;
  httplib::Server api_;
  std::thread front_thread_;
  std::thread api_thread_;
  int front_port_ = 0;
  std::vector<pid_t> children_;

  std::mutex mutex_;
  std::condition_variable work_;                           // an event is queued (or stopping)
  std::deque<std::pair<std::string, std::string>> queue_;  // (request id, event)
  std::map<std::string, std::shared_ptr<Pending>> pending_;
  unsigned long next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace bench
