// The lifecycle of a function's execution environment, as Lambda runs it:
// cold start (Init), invocations (warm when the environment lives on), init
// errors and their retry, crashes, timeouts and out-of-memory kills, with
// Lambda's START / END / REPORT log lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/common.hpp"
#include "model/model.hpp"

namespace layered::sandbox {
class Launcher;
}

namespace layered::invoke {

struct Options {
  std::string cache_dir;  // where merged /opt trees are kept (<state>/cache)
  // AWS_REGION for functions whose ARN names none; a function ARN's own
  // region wins, as a function always runs in the region it lives in.
  std::string region = "us-east-1";
  // Lambda's limit for an on-demand Init phase; a parameter so tests are quick.
  std::chrono::milliseconds init_limit{10000};
  // Starts sandboxes; null = bubblewrap. Not owned.
  sandbox::Launcher* launcher = nullptr;
  // Force the resident-set watch instead of a memory cgroup.
  bool resident_set_watch = false;
  // Outbound network (a user-mode stack, when installed); off: loopback only.
  bool outbound_network = true;
  // /tmp on a disk image when the machine allows it (root); off: in memory.
  bool tmp_on_disk = true;
  // Once readable, every wait for a runtime ends: the invocation fails and
  // its environment is shut down (serve stopping mid-invocation). Not owned.
  int abort_fd = -1;
};

struct Report {
  std::string request_id;
  double duration_ms = 0;
  long long billed_ms = 0;
  int memory_mb = 0;
  long long max_memory_used_mb = 0;        // measured, rounded up
  std::optional<double> init_duration_ms;  // only on a cold start
  std::string status;                      // "", "error" or "timeout"
  std::string error_type;                  // with status "error"

  // Lambda's tab-separated REPORT line (no newline).
  std::string line() const;
};

struct InvokeResult {
  std::string payload;         // the response, or the error JSON
  std::string function_error;  // "" or "Unhandled" (X-Amz-Function-Error)
  std::string error_type;      // the error's errorType, when there is one
  std::string logs;            // the function's output framed by START/END/REPORT
  Report report;
};

// Lambda's ClientContext (Invoke's X-Amz-Client-Context, the CLI's
// --client-context): at most 3,583 bytes of base64 holding a JSON object,
// which reaches the runtime decoded (Lambda-Runtime-Client-Context) on
// synchronous invocations. The JSON, or Lambda's message for what it refuses.
constexpr std::size_t kMaxClientContextBytes = 3583;
Result<std::string> decode_client_context(std::string_view base64);

// Checks an event before any environment starts: size (Lambda's 6 MB request
// limit) and JSON syntax. `where` names its source (a file, or "-").
Status validate_event(const std::string& payload, const std::string& where);

// One execution environment of one function. The first invoke is a cold
// start; later ones are warm until a crash, timeout or OOM resets it.
class Environment {
 public:
  // Refuses a function whose runtime is deprecated or not emulated, with the
  // model's one message for it.
  static Result<std::unique_ptr<Environment>> create(model::Function function, Options options);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Runs one invocation. Errors of the function are in the result; the
  // Result is an error only when the engine itself could not run it.
  // `client_context` is decoded JSON (decode_client_context) or empty.
  // `invoked_arn`: the ARN the caller named (an alias's, a version's, or
  // unqualified), which the runtime sees as Lambda-Runtime-Invoked-Function-
  // Arn; empty for the function's own. `request_id`: the id an Event
  // invocation's 202 already gave its caller; empty for a new one.
  Result<InvokeResult> invoke(const std::string& payload, const std::string& client_context = {},
                              const std::string& invoked_arn = {}, const std::string& request_id = {});
  // True while a runtime is initialized and waiting for events.
  bool warm() const;
  // True when it can take the next invoke: warm, or reset by a crash,
  // timeout or out-of-memory. A reset environment's next invoke starts a
  // new runtime in it (Lambda's suppressed init: no Init Duration, the same
  // log stream and /tmp).
  bool reusable() const;
  // True when a warm runtime has asked for its next event (GET /next) since
  // its last answer: only then is the environment out of its invoke phase,
  // as Lambda sees it. One that answered and works on (or exits) still has
  // its last invoke under way, and a next invoke would wait for it.
  bool awaits_event();
  // An idle environment's processes stop until its next invoke, as Lambda
  // freezes one between invocations: what a function left running (a busy
  // loop, a daemon) takes no CPU meanwhile. Not while the runtime still
  // works on its last event (before its GET /next): true once frozen.
  bool freeze();
  // Lays out the sandbox ahead of the first invoke (mounts, network, /tmp)
  // and holds it before the runtime starts, as Lambda prepares environments
  // before requests need them; the cold invoke's Init Duration is then the
  // runtime's own init. Returns the milliseconds it took (0 when there was
  // nothing to do: already warm or prepared).
  Result<double> prepare();
  // True while a prepared sandbox waits for its first invoke.
  bool prepared() const;

  struct State;
  struct Phases;

 private:
  explicit Environment(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// One cold start: validate, create, invoke once, discard.
Result<InvokeResult> invoke_once(const model::Function& function, const std::string& payload,
                                 const Options& options);

// {"payload", "functionError", "logs", "report": {...}} for --json.
std::string to_json(const InvokeResult& result);

}  // namespace layered::invoke
