// An execution environment's state and what its phases share (internal to
// invoke): the sandbox, the runtime's API, the log, and the waits on them.
#pragma once

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/busy_wait.hpp"
#include "image/image.hpp"
#include "invoke/invoke.hpp"
#include "invoke/lifecycle.hpp"
#include "invoke/log_buffer.hpp"
#include "runtime_api/runtime_api.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::invoke {

// arn:aws:lambda:<region>:<account>:function:<name>: the region field, else
// the configured default.
inline std::string region_of(const model::Function& spec, const Options& options) {
  std::size_t start = 0;
  for (int field = 0; field < 3 && start != std::string::npos; ++field) {
    start = spec.arn.find(':', start);
    if (start != std::string::npos) ++start;
  }
  const std::size_t end = start == std::string::npos ? start : spec.arn.find(':', start);
  if (spec.arn.rfind("arn:", 0) != 0 || end == std::string::npos || end == start) return options.region;
  return spec.arn.substr(start, end - start);
}

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point from) {
  return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

struct Happening {
  enum Kind { message, exited, deadline, aborted } kind = deadline;
  runtime_api::Message message_value;
  sandbox::ExitStatus status;
};

struct InitOutcome {
  bool ok = false;
  double duration_ms = 0;
  std::string status;  // "error" or "timeout" when not ok
  std::string error_type;
  std::string payload;
};

// How long a started runtime's first event waits for its outbound network.
constexpr int kNetworkReadyWait = 5000;

struct Environment::State {
  model::Function spec;
  Options options;
  image::BaseImage image;
  std::string opt_dir;
  std::string host_programs_dir;
  std::string image_dir;
  // Keep the cache's collector off both directories while this environment lives.
  sandbox::CacheLease opt_lease, host_programs_lease, image_lease;
  // The function's code in the state's store: a deploy meanwhile must not
  // take it away from an environment that runs it.
  sandbox::CacheLease code_lease;
  std::optional<sandbox::ManagedRuntime> managed;  // python3.X / nodejsNN.x
  // What Lambda's loader prints refusing the bootstrap (symbol versions the
  // image lacks but this machine's libraries have); empty when it starts.
  // Judged in a thread of its own while the sandbox is laid out (half a
  // millisecond of parsing ELF files), and read before the bootstrap runs.
  std::future<std::vector<std::string>> loader_check;
  std::vector<std::string> loader_refusal_value;
  const std::vector<std::string>& loader_refusal() {
    if (loader_check.valid()) loader_refusal_value = loader_check.get();
    return loader_refusal_value;
  }
  std::unique_ptr<sandbox::Launcher> own_launcher;
  sandbox::Launcher* launcher = nullptr;
  std::unique_ptr<runtime_api::Server> server;
  std::unique_ptr<sandbox::Sandbox> box;
  // /tmp's backing file and the host user owning its files, kept across
  // the sandboxes of a reset (-1 and 0: none yet).
  int tmp_backing = -1;
  uid_t host_uid = 0;
  std::string log_stream;
  LogBuffer logs;
  bool output_open = false;
  bool ready = false;      // a runtime is initialized and waiting for events
  bool was_reset = false;  // the next Init is a suppressed one inside an invoke
  bool held = false;       // a sandbox is laid out, its runtime not yet started
  // It answered its last event but has not asked for the next one: until it
  // does, the Invoke phase goes on (post-response work) and no event goes.
  bool awaiting_next = false;
  bool frozen = false;          // its processes are stopped (freeze)
  Clock::time_point frozen_at;  // when freeze last looked for processes to stop
  std::uint64_t peak_bytes = 0;

  // Reads what is waiting, but at most kDrainBytes, so that a function
  // that never stops writing cannot keep the engine from its deadline.
  void drain_output() {
    static constexpr std::size_t kDrainBytes = 1 << 20;
    if (!box || !output_open) return;
    char buf[65536];
    for (std::size_t taken = 0; taken < kDrainBytes;) {
      auto n = ::read(box->output_fd(), buf, sizeof buf);
      if (n > 0) {
        logs.append(buf, static_cast<std::size_t>(n));
        taken += static_cast<std::size_t>(n);
        if (static_cast<std::size_t>(n) < sizeof buf) return;  // the pipe is empty
        continue;
      }
      if (n == 0) output_open = false;
      return;
    }
  }

  void log_line(const std::string& line) { logs.line(line); }

  // The next sandbox starts afresh: a new /tmp and host user.
  void close_tmp() {
    if (tmp_backing >= 0) ::close(tmp_backing);
    tmp_backing = -1;
    host_uid = 0;
  }

  // What the runtime sent since its last invoke is stale, but for its GET
  // /next, which ends that invoke's phase; a runtime that keeps sending
  // cannot hold the engine here.
  void drain_stale_messages() {
    for (int stale = 0; stale < 64 && server; ++stale) {
      auto m = server->take();
      if (!m) break;
      if (m->kind == runtime_api::MessageKind::next_requested) awaiting_next = false;
    }
  }

  void discard() {
    if (box) {
      box->kill();
      drain_output();
      peak_bytes = std::max(peak_bytes, box->peak_memory_bytes());
    }
    if (box && frozen) box->thaw();  // SIGKILL ends stopped processes too, but thaw for any left
    frozen = false;
    // The next sandbox mounts the same /tmp only once nothing of this one
    // can still have it mounted.
    if (box && !box->shut_down()) close_tmp();
    box.reset();
    server.reset();
    ready = false;
    held = false;
    awaiting_next = false;
  }

  Happening wait_until(Clock::time_point deadline) {
    const BusyWait busy;
    for (;;) {
      if (auto m = server->take()) return {Happening::message, std::move(*m), {}};
      if (auto status = box->poll_exit()) {
        drain_output();
        return {Happening::exited, {}, *status};
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return {};
      if (busy.spinning()) {
        ::sched_yield();  // the runtime may be waiting for this core
        continue;
      }
      int timeout = static_cast<int>(std::min<long long>(left + 1, 1000));
      if (box->sample_interval_ms() > 0) timeout = std::min(timeout, box->sample_interval_ms());
      if (box->exit_fd() < 0) timeout = std::min(timeout, 10);
      pollfd fds[4] = {{server->notify_fd(), POLLIN, 0},
                       {output_open ? box->output_fd() : -1, POLLIN, 0},
                       {box->exit_fd(), POLLIN, 0},
                       {options.abort_fd, POLLIN, 0}};
      ::poll(fds, 4, timeout);
      if (fds[3].revents != 0) return {Happening::aborted, {}, {}};
      drain_output();
      if (box->sample_interval_ms() > 0) box->sample_memory();
    }
  }

  // The engine is stopping (serve's SIGTERM, invoke's Ctrl-C): the runtime is
  // shut down mid-phase.
  Error abandon() {
    discard();
    return make_error("the invocation was interrupted: the engine is stopping");
  }

  // The bootstrap as Lambda's loader leaves it: its lines in the log and the
  // exit status ld.so ends with, so that nothing that fails there runs here.
  InitOutcome refused_by_loader(const std::string& request_id, Clock::time_point started) {
    for (const auto& line : loader_refusal()) log_line(line);
    return InitOutcome{
        false, ms_since(started), "error", "Runtime.ExitError",
        platform_error("Runtime.ExitError", request_id, "Runtime exited with error: exit status 1")};
  }

  // Lays out a sandbox and starts the runtime in it, or, with `hold`, stops
  // just before the runtime runs (an environment prepared ahead). A missing
  // bootstrap is Init's error, not the engine's.
  Result<std::optional<InitOutcome>> launch(const std::string& request_id, bool hold) {
    auto api = runtime_api::Server::create();
    if (!api) return api.error();
    server = std::move(*api);
    // A managed runtime starts our runtime interface client, whatever the
    // function ships (as Lambda's /var/runtime/bootstrap does).
    auto bootstrap = managed ? Result<std::string>(managed->command.front())
                             : sandbox::find_bootstrap(spec.code_dir, opt_dir);
    if (!bootstrap) {
      return std::optional<InitOutcome>{
          InitOutcome{false, 0, "error", "Runtime.InvalidEntrypoint",
                      platform_error("Runtime.InvalidEntrypoint", request_id, bootstrap.error().message)}};
    }
    auto started = Clock::now();
    sandbox::Plan p = plan(*bootstrap, hold);
    if (tmp_backing < 0) {
      auto made = sandbox::ephemeral_storage_file(p);
      if (!made) return made.error();
      tmp_backing = *made;
    }
    if (host_uid == 0) host_uid = sandbox::new_host_uid();
    p.tmp_backing = tmp_backing;
    p.host_uid = host_uid;
    auto launched = launcher->start(p);
    if (!launched) return launched.error();
    box = std::move(*launched);
    if (!loader_refusal().empty()) {  // still held: the bootstrap never ran
      discard();
      return std::optional<InitOutcome>{refused_by_loader(request_id, started)};
    }
    output_open = true;
    held = hold;
    return std::optional<InitOutcome>{};
  }

  sandbox::Plan plan(const std::string& bootstrap, bool hold) {
    const std::string region = region_of(spec, options);
    sandbox::Identity id{spec.name, spec.version, spec.handler, spec.memory_mb, region, "", log_stream};
    return sandbox::Plan{
        .runtime = std::string(model::to_string(spec.runtime)),
        .architecture = std::string(model::to_string(spec.architecture)),
        .code_dir = spec.code_dir,
        .opt_dir = opt_dir,
        .host_programs_dir = host_programs_dir,
        .image_dir = image_dir,
        .bootstrap = bootstrap,
        .ephemeral_mb = spec.ephemeral_mb,
        .memory_mb = spec.memory_mb,
        .environment = sandbox::lambda_environment(image, id, spec.environment),
        .memory_watch =
            options.resident_set_watch ? sandbox::MemoryWatch::resident_set : sandbox::MemoryWatch::automatic,
        .scratch_dir =
            options.cache_dir.empty() || !options.tmp_on_disk ? "" : options.cache_dir + "/ephemeral",
        .outbound_network = options.outbound_network,
        .bind_runtime_api = [api = server.get()](int socket,
                                                 int port) { return api->listen_on(socket, port); },
        .managed = managed,
        .held = hold,
        .may_release = [this] { return loader_refusal().empty(); }};
  }

  // Starts a runtime (or lets a prepared one go) and waits for its first
  // GET /next (= Init done). Init Duration runs from the spawn, or from the
  // release of a prepared sandbox: the runtime's own start-up either way.
  Result<InitOutcome> init(const std::string& request_id, Clock::time_point deadline) {
    if (!held || !box) {
      discard();
      auto started = Clock::now();
      auto failed = launch(request_id, false);
      if (!failed) return failed.error();
      if (*failed) {
        (*failed)->duration_ms = ms_since(started);
        return std::move(**failed);
      }
      return await_init(started, request_id, deadline);
    }
    held = false;
    auto started = Clock::now();
    box->release();
    return await_init(started, request_id, deadline);
  }

  Result<InitOutcome> await_init(Clock::time_point started, const std::string& request_id,
                                 Clock::time_point deadline) {
    for (;;) {
      Happening h = wait_until(deadline);
      if (h.kind == Happening::aborted) return abandon();
      using runtime_api::MessageKind;
      const bool message = h.kind == Happening::message;
      if (message && h.message_value.kind != MessageKind::next_requested &&
          h.message_value.kind != MessageKind::init_error)
        continue;
      const double took = ms_since(started);
      // Init is over, one way or the other. No event goes before the outbound
      // network has said "ready", and a runtime that failed may have failed
      // for want of it.
      if (auto network = box->network_ready(kNetworkReadyWait); !network) {
        discard();
        return network.error();
      }
      if (message && h.message_value.kind == MessageKind::next_requested) {
        ready = true;
        return InitOutcome{true, took, "", "", ""};
      }
      if (message) {
        auto failure = function_failure(h.message_value.body, h.message_value.error_type);
        discard();
        return InitOutcome{false, took, "error", failure.error_type, failure.payload};
      }
      if (h.kind == Happening::exited) {
        std::string type = box->out_of_memory() ? "Runtime.OutOfMemory" : "Runtime.ExitError";
        std::string text = "Runtime exited with error: " + h.status.describe();
        discard();
        return InitOutcome{false, took, "error", type, platform_error(type, request_id, text)};
      }
      discard();  // the deadline
      return InitOutcome{false, took, "timeout", "",
                         platform_error("Sandbox.Timedout", request_id, timeout_text(spec.timeout_s))};
    }
  }
};

}  // namespace layered::invoke
