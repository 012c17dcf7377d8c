// `layered serve`: Lambda's Invoke API (and the reads SDK code makes before
// invoking) on an HTTP endpoint, so the AWS CLI and SDKs pointed at it with
// `--endpoint-url` run the locally deployed functions. Each concurrent
// invocation gets an execution environment of its own; finished ones are kept
// warm per function and deployed configuration, as Lambda does.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/common.hpp"
#include "invoke/invoke.hpp"
#include "state/state.hpp"

namespace layered::invoke_api {

struct Options {
  std::string state_dir;  // read on every request: what is deployed now is served
  std::string host = "127.0.0.1";
  int port = 3001;  // 0: a free port chosen by the kernel
  // A warm environment unused this long is shut down.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // Execution environments alive at once, all functions together (Lambda's
  // account concurrency); beyond it requests are throttled (429).
  int max_environments = 64;
  // Environments prepared before requests need them, as Lambda does: one for
  // each of the first N deployed functions (by name), kept ready while the
  // cap leaves room, replaced when a request takes it. 0: only on demand.
  int prepare_functions = 8;
  // Outbound network from the environments (as `invoke --no-network` turns off).
  bool outbound_network = true;
  // Say how long preparing each environment took (apart from Init Duration).
  bool verbose = false;
  // Receives each invocation's log (START/END/REPORT) and serve's own notes.
  // Default: stderr.
  std::function<void(std::string_view)> log;
};

class Service {
 public:
  // Binds host:port and starts answering; fails when the state holds nothing
  // deployed or the address is taken.
  static Result<std::unique_ptr<Service>> start(Options options);
  virtual ~Service() = default;

  virtual int port() const = 0;
  // Stops accepting requests, finishes the invocations in flight, drops queued
  // asynchronous events, and shuts every environment down. Idempotent.
  virtual void stop() = 0;
};

}  // namespace layered::invoke_api
