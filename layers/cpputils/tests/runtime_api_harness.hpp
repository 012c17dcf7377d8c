// Test harness: a real Lambda Runtime API server on loopback and a launcher
// that runs a function binary as a child process against it.
//
//   cpputils::testing::RuntimeApiServer api;
//   api.push(cpputils::testing::lambda_event(R"({"name":"Ada"})", "req-1"));
//   cpputils::testing::FunctionProcess fn(binary, api.address());
//   std::vector<Post> posts = api.wait_for_posts(1);   // posts[0].body is the response
//
// Functions built for Lambda (PT_INTERP and DT_RPATH in /opt/lib) start here
// through the host's loader: LaunchOptions{.loader = kHostLoader,
// .library_path = "<dir>:<dir>"}.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cpputils::testing {

using namespace std::chrono_literals;

struct Header {
  std::string name;
  std::string value;
};

// One answer to GET /runtime/invocation/next.
struct Event {
  std::string payload = "{}";
  std::vector<Header> headers;  // sent as given, in this order
  int status = 200;             // e.g. 403 or 500 to refuse the runtime
  bool chunked = false;         // send the payload with Transfer-Encoding: chunked
};

// An event with every header Lambda sends for a plain invoke:
// Lambda-Runtime-Aws-Request-Id, -Deadline-Ms (now + 60 s), -Invoked-Function-Arn,
// -Trace-Id and Content-Type: application/json.
Event lambda_event(std::string payload, std::string request_id);
inline constexpr std::string_view kTestFunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:test";

// Removes every header called `name` (any case) from the event.
void remove_header(Event& event, std::string_view name);

// What the function posted.
struct Post {
  enum class Kind { response, error, init_error };
  Kind kind = Kind::response;
  std::string request_id;  // "" for init errors
  std::string body;
  std::vector<Header> headers;
  int status = 202;  // what the server answered (413 for a response over Lambda's 6 MB limit)

  std::string header(std::string_view name) const;  // first match, any case; "" if absent
};

// Largest response Lambda accepts: 6 MiB + 100 bytes (RIE's figure).
inline constexpr std::size_t kMaxResponseSize = 6 * 1024 * 1024 + 100;

class RuntimeApiServer {
 public:
  RuntimeApiServer();  // listens on 127.0.0.1, an ephemeral port; throws std::runtime_error
  ~RuntimeApiServer();
  RuntimeApiServer(const RuntimeApiServer&) = delete;
  RuntimeApiServer& operator=(const RuntimeApiServer&) = delete;

  std::string address() const;  // "127.0.0.1:<port>": the value of AWS_LAMBDA_RUNTIME_API
  void push(Event event);       // queued; a waiting GET /next gets it at once

  // Waits until at least `count` posts arrived; returns all posts so far
  // (fewer than `count` only if `timeout` passed).
  std::vector<Post> wait_for_posts(std::size_t count, std::chrono::milliseconds timeout = 60s);
  std::vector<Post> posts() const;
  int next_requests() const;  // GET /next requests received
  // Waits until `count` GET /next requests arrived (a function that asked
  // for its next event is idle); false on timeout.
  bool wait_for_next_requests(int count, std::chrono::milliseconds timeout = 60s);
  int connections() const;  // TCP connections accepted

  // Close each connection right after its reply, without "Connection: close",
  // as a server whose keep-alive timed out does: the client must reconnect.
  void close_after_each_reply(bool on);
  void close_connections();  // close every open connection now
  void stop();               // the Runtime API goes away: listener and connections closed

 private:
  struct Connection;
  void accept_loop();
  void serve(const std::shared_ptr<Connection>& connection);
  bool answer_next(Connection& connection);
  void record(Post post, Connection& connection);

  int listener_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> events_;
  std::vector<Post> posts_;
  std::vector<std::shared_ptr<Connection>> open_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
  int next_requests_ = 0;
  int connections_ = 0;
  bool close_after_reply_ = false;
  bool stopping_ = false;
};

struct LaunchOptions {
  std::vector<std::string> args = {};
  // The child's environment is AWS_LAMBDA_RUNTIME_API, the sanitizer options
  // of this process (ASAN_OPTIONS, ...) and these; nothing else.
  std::vector<Header> env = {};
  std::string loader = {};        // start the binary through this ELF loader, e.g. kHostLoader
  std::string library_path = {};  // with `loader`: its --library-path (directories joined by ':')
};

inline constexpr const char* kHostLoader = "/lib64/ld-linux-x86-64.so.2";

class FunctionProcess {
 public:
  // Starts `binary` with stdout and stderr captured; throws std::runtime_error.
  FunctionProcess(const std::string& binary, const std::string& runtime_api, LaunchOptions options = {});
  ~FunctionProcess();  // kills the process if it still runs
  FunctionProcess(const FunctionProcess&) = delete;
  FunctionProcess& operator=(const FunctionProcess&) = delete;

  // The exit status (128 + signal number if killed by a signal), or nullopt
  // if it still runs after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout = 60s);
  void kill();
  pid_t pid() const { return pid_; }
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace cpputils::testing
