// An execution environment's lifecycle: Init, Invoke, and the resets that a
// crash, timeout or out-of-memory kill cause (lambda-facts.md sections 4-6).
#include "invoke/invoke.hpp"

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <random>

#include "common/busy_wait.hpp"
#include "doctor/doctor.hpp"
#include "image/image.hpp"
#include "invoke/lifecycle.hpp"
#include "invoke/log_buffer.hpp"
#include "runtime_api/runtime_api.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::invoke {

namespace {

// arn:aws:lambda:<region>:<account>:function:<name>: the region field, else
// the configured default.
std::string region_of(const model::Function& spec, const Options& options) {
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

double ms_since(Clock::time_point from) {
  return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

// 2024/12/19/[$LATEST]4dd42d66282145a2964ff13dfcd5dc65
std::string log_stream_name(const std::string& version) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char date[16];
  std::strftime(date, sizeof date, "%Y/%m/%d", &utc);
  std::mt19937_64 rng{std::random_device{}()};
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "0123456789abcdef"[rng() % 16];
  return std::string(date) + "/[" + version + "]" + hex;
}

struct Happening {
  enum Kind { message, exited, deadline } kind = deadline;
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

}  // namespace

struct Environment::State {
  model::Function spec;
  Options options;
  image::BaseImage image;
  std::string opt_dir;
  std::string host_programs_dir;
  std::string image_dir;
  // Keep the cache's collector off both directories while this environment lives.
  sandbox::CacheLease opt_lease, host_programs_lease, image_lease;
  std::optional<sandbox::ManagedRuntime> managed;  // python3.X / nodejsNN.x
  // What Lambda's loader prints refusing the bootstrap (symbol versions the
  // image lacks but this machine's libraries have); empty when it starts.
  std::vector<std::string> loader_refusal;
  std::unique_ptr<sandbox::Launcher> own_launcher;
  sandbox::Launcher* launcher = nullptr;
  std::unique_ptr<runtime_api::Server> server;
  std::unique_ptr<sandbox::Sandbox> box;
  std::string log_stream;
  LogBuffer logs;
  bool output_open = false;
  bool ready = false;      // a runtime is initialized and waiting for events
  bool was_reset = false;  // the next Init is a suppressed one inside an invoke
  bool held = false;       // a sandbox is laid out, its runtime not yet started
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

  void discard() {
    if (box) {
      box->kill();
      drain_output();
      peak_bytes = std::max(peak_bytes, box->peak_memory_bytes());
    }
    box.reset();
    server.reset();
    ready = false;
    held = false;
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
      pollfd fds[3] = {{server->notify_fd(), POLLIN, 0},
                       {output_open ? box->output_fd() : -1, POLLIN, 0},
                       {box->exit_fd(), POLLIN, 0}};
      ::poll(fds, 3, timeout);
      drain_output();
      if (box->sample_interval_ms() > 0) box->sample_memory();
    }
  }

  // The bootstrap as Lambda's loader leaves it: its lines in the log and the
  // exit status ld.so ends with, so that nothing that fails there runs here.
  InitOutcome refused_by_loader(const std::string& request_id, Clock::time_point started) {
    for (const auto& line : loader_refusal) log_line(line);
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
    if (!loader_refusal.empty())
      return std::optional<InitOutcome>{refused_by_loader(request_id, Clock::now())};
    auto launched = launcher->start(plan(*bootstrap, hold));
    if (!launched) return launched.error();
    box = std::move(*launched);
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
        .held = hold};
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

  InitOutcome await_init(Clock::time_point started, const std::string& request_id,
                         Clock::time_point deadline) {
    for (;;) {
      Happening h = wait_until(deadline);
      if (h.kind == Happening::message && h.message_value.kind == runtime_api::MessageKind::next_requested) {
        ready = true;
        return InitOutcome{true, ms_since(started), "", "", ""};
      }
      if (h.kind == Happening::message && h.message_value.kind == runtime_api::MessageKind::init_error) {
        auto failure = function_failure(h.message_value.body, h.message_value.error_type);
        double took = ms_since(started);
        discard();
        return InitOutcome{false, took, "error", failure.error_type, failure.payload};
      }
      if (h.kind == Happening::exited) {
        std::string type = box->out_of_memory() ? "Runtime.OutOfMemory" : "Runtime.ExitError";
        double took = ms_since(started);
        std::string text = "Runtime exited with error: " + h.status.describe();
        discard();
        return InitOutcome{false, took, "error", type, platform_error(type, request_id, text)};
      }
      if (h.kind == Happening::deadline) {
        double took = ms_since(started);
        discard();
        return InitOutcome{false, took, "timeout", "",
                           platform_error("Sandbox.Timedout", request_id, timeout_text(spec.timeout_s))};
      }
    }
  }
};

Environment::Environment(std::unique_ptr<State> state) : state_(std::move(state)) {}
Environment::~Environment() {
  if (state_) state_->discard();
}

bool Environment::warm() const { return state_->ready; }

bool Environment::prepared() const { return state_->held && state_->box; }

Result<double> Environment::prepare() {
  State& s = *state_;
  // Nothing to lay out when the loader would refuse the bootstrap: the
  // invoke's Init says so.
  if (s.ready || s.held || s.was_reset || !s.loader_refusal.empty()) return 0.0;
  auto started = Clock::now();
  auto failed = s.launch(runtime_api::new_request_id(), true);
  if (!failed) return failed.error();
  if (*failed) s.discard();  // no bootstrap: the invoke's Init says so
  return ms_since(started);
}

namespace {

// What Lambda itself would refuse to run, and what layered cannot run.
Status runnable(const model::Function& f) {
  if (model::deprecated(f.runtime)) return model::unsupported_runtime(f.display_name(), f.runtime, f.arn);
  if (model::emulated(f.runtime)) return Ok{};
  return model::not_emulated_runtime(f.display_name(), f.runtime, f.arn);
}

// Builds a cache entry and locks it for the environment's life. A deploy's
// cache collection may remove it in between: building it once more is enough.
template <class Build>
Status leased(const Build& build, std::string& dir, sandbox::CacheLease& lease) {
  for (int attempt = 0;; ++attempt) {
    auto built = build();
    if (!built) return built.error();
    auto locked = sandbox::lease_cache_entry(*built);
    if (!locked && attempt == 0) continue;
    if (!locked) return locked.error();
    dir = std::move(*built);
    lease = std::move(*locked);
    return Ok{};
  }
}

}  // namespace

Result<std::unique_ptr<Environment>> Environment::create(model::Function spec, Options options) {
  LAYERED_TRY(runnable(spec));
  auto state = std::make_unique<State>();
  auto image = image::load(std::string(model::to_string(spec.runtime)));
  if (!image) return image.error();
  state->image = std::move(*image);
  std::vector<std::string> dirs;
  for (const auto& layer : spec.layers) dirs.push_back(layer.dir);
  LAYERED_TRY(leased([&] { return sandbox::merge_layers(dirs, options.cache_dir); }, state->opt_dir,
                     state->opt_lease));
  LAYERED_TRY(leased([&] { return sandbox::prepare_host_programs(state->image, options.cache_dir); },
                     state->host_programs_dir, state->host_programs_lease));
  LAYERED_TRY(leased(
      [&] { return sandbox::prepare_image_tree(state->image, state->host_programs_dir, options.cache_dir); },
      state->image_dir, state->image_lease));
  if (!state->image.language.empty()) {
    auto managed = sandbox::prepare_managed_runtime(state->image, options.cache_dir);
    if (!managed) return managed.error();
    state->managed = std::move(*managed);
  }
  if (!state->managed) {
    if (auto bootstrap = sandbox::find_bootstrap(spec.code_dir, state->opt_dir)) {
      state->loader_refusal = doctor::missing_versions(
          state->image,
          {std::string(model::to_string(spec.architecture)), spec.code_dir, state->opt_dir, *bootstrap});
    }
  }
  if (options.launcher) {
    state->launcher = options.launcher;
  } else {
    state->own_launcher = sandbox::bwrap_launcher();
    state->launcher = state->own_launcher.get();
  }
  state->log_stream = log_stream_name(spec.version);
  state->spec = std::move(spec);
  state->options = std::move(options);
  return std::unique_ptr<Environment>(new Environment(std::move(state)));
}

namespace {

struct Finish {
  std::string payload;
  std::string error_type;  // "" on success
  bool unhandled = false;
  std::string status;  // REPORT Status
};

// One invocation's bookkeeping, from the request id to the REPORT line.
struct Invocation {
  std::string request_id = runtime_api::new_request_id();
  Clock::time_point start;
  bool started = false;
  InvokeResult result;
};

}  // namespace

// The phases of an invoke (Lambda's Invoke phase, with Init first when the
// environment is cold or was reset).
struct Environment::Phases {
  State& s;

  void begin(Invocation& inv) {
    s.log_line("START RequestId: " + inv.request_id + " Version: " + s.spec.version);
    inv.start = Clock::now();
    inv.started = true;
  }

  InvokeResult finish(Invocation& inv, Finish f) {
    s.drain_output();
    s.log_line("END RequestId: " + inv.request_id);
    if (s.box) s.peak_bytes = std::max(s.peak_bytes, s.box->peak_memory_bytes());
    Report& report = inv.result.report;
    report.duration_ms = ms_since(inv.start);
    report.billed_ms = static_cast<long long>(std::ceil(report.duration_ms));
    report.max_memory_used_mb = static_cast<long long>((s.peak_bytes + (1 << 20) - 1) >> 20);
    report.status = f.status;
    if (f.status == "error") report.error_type = f.error_type;
    s.log_line(report.line());
    inv.result.payload = std::move(f.payload);
    inv.result.error_type = f.error_type;
    inv.result.function_error = f.unhandled ? "Unhandled" : "";
    inv.result.logs = s.logs.take();
    return std::move(inv.result);
  }

  // Init when cold: a failed on-demand Init is retried inside the invoke,
  // against its timeout, as Lambda does. Returns the finished invocation
  // when Init failed for good.
  Result<std::optional<InvokeResult>> initialize(Invocation& inv) {
    if (s.ready) return std::optional<InvokeResult>{};
    if (!s.was_reset) {
      auto first = s.init(inv.request_id, Clock::now() + s.options.init_limit);
      if (!first) return first.error();
      if (first->ok) {
        inv.result.report.init_duration_ms = first->duration_ms;
        return std::optional<InvokeResult>{};
      }
      s.log_line(init_report_line(first->duration_ms, "init", first->status, first->error_type));
    }
    begin(inv);
    auto retry = s.init(inv.request_id, inv.start + std::chrono::seconds(s.spec.timeout_s));
    if (!retry) return retry.error();
    if (retry->ok) return std::optional<InvokeResult>{};
    s.log_line(init_report_line(retry->duration_ms, "invoke", retry->status, retry->error_type));
    s.discard();
    s.was_reset = false;
    return std::optional<InvokeResult>{
        finish(inv, {retry->payload, retry->status == "timeout" ? "Sandbox.Timedout" : retry->error_type,
                     true, retry->status})};
  }

  void deliver(const Invocation& inv, const std::string& payload, Clock::time_point deadline) {
    auto wall_deadline =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now());
    s.server->deliver(
        {inv.request_id, payload,
         std::chrono::duration_cast<std::chrono::milliseconds>(wall_deadline.time_since_epoch()).count(),
         s.spec.arn, runtime_api::new_trace_id(), "", ""});
  }

  // What the runtime posted for this request, if it settles the invoke.
  static std::optional<Finish> answer(const runtime_api::Message& m, const std::string& request_id) {
    using runtime_api::MessageKind;
    if (m.request_id != request_id) return std::nullopt;
    if (m.kind == MessageKind::response) return Finish{m.body, "", false, ""};
    if (m.kind == MessageKind::response_too_large)
      return Finish{too_large_payload(m.size), "Function.ResponseSizeTooLarge", true, ""};
    if (m.kind == MessageKind::error) {
      auto failure = function_failure(m.body, m.error_type);
      return Finish{failure.payload, failure.error_type, true, ""};
    }
    return std::nullopt;
  }

  // A crash or a timeout: the environment is reset, and the next invoke
  // initializes a new runtime.
  InvokeResult reset(Invocation& inv, const Happening& h) {
    Finish f;
    if (h.kind == Happening::exited) {
      f.error_type = s.box->out_of_memory() ? "Runtime.OutOfMemory" : "Runtime.ExitError";
      f.payload =
          platform_error(f.error_type, inv.request_id, "Runtime exited with error: " + h.status.describe());
      f.status = "error";
    } else {
      f.error_type = "Sandbox.Timedout";
      f.payload = platform_error(f.error_type, inv.request_id, timeout_text(s.spec.timeout_s));
      f.status = "timeout";
    }
    f.unhandled = true;
    s.box->kill();
    s.peak_bytes = std::max(s.peak_bytes, s.box->peak_memory_bytes());
    s.drain_output();
    auto done = finish(inv, std::move(f));
    s.discard();
    s.was_reset = true;
    return done;
  }
};

Result<InvokeResult> Environment::invoke(const std::string& payload) {
  State& s = *state_;
  Phases phases{s};
  Invocation inv;
  inv.result.report.request_id = inv.request_id;
  inv.result.report.memory_mb = s.spec.memory_mb;
  if (s.ready && s.box && s.box->poll_exit()) {  // died while idle
    s.discard();
    s.was_reset = true;
  }
  if (s.held && s.box && s.box->poll_exit()) s.discard();  // a prepared sandbox that failed
  // What the runtime sent since its last invoke (its next GET /next) is
  // stale; a runtime that keeps sending cannot hold the invoke here.
  for (int stale = 0; stale < 64 && s.server && s.server->take(); ++stale) {
  }
  auto failed_init = phases.initialize(inv);
  if (!failed_init) return failed_init.error();
  if (*failed_init) return std::move(**failed_init);
  if (!inv.started) phases.begin(inv);
  s.was_reset = false;

  const auto deadline = inv.start + std::chrono::seconds(s.spec.timeout_s);
  phases.deliver(inv, payload, deadline);
  for (;;) {
    Happening h = s.wait_until(deadline);
    if (h.kind != Happening::message) return phases.reset(inv, h);
    if (auto settled = Phases::answer(h.message_value, inv.request_id)) return phases.finish(inv, *settled);
  }
}

Result<InvokeResult> invoke_once(const model::Function& spec, const std::string& payload,
                                 const Options& options) {
  LAYERED_TRY(validate_event(payload, "-"));
  auto env = Environment::create(spec, options);
  if (!env) return env.error();
  return (*env)->invoke(payload);
}

}  // namespace layered::invoke
