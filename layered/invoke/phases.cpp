// An invoke through an execution environment: Init when cold, the event,
// the answer or the reset a crash, timeout or out-of-memory kill causes
// (lambda-facts.md sections 4-6).
#include <cmath>

#include "invoke/environment_state.hpp"

namespace layered::invoke {

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

  void deliver(const Invocation& inv, const std::string& payload, const std::string& client_context,
               Clock::time_point deadline, const std::string& invoked_arn) {
    auto wall_deadline =
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now());
    s.server->deliver(
        {inv.request_id, payload,
         std::chrono::duration_cast<std::chrono::milliseconds>(wall_deadline.time_since_epoch()).count(),
         invoked_arn, runtime_api::new_trace_id(), client_context, ""});
  }

  // What the runtime sent since its last invoke is stale, but for its GET
  // /next: until that comes, the runtime is still working on the last event
  // (or about to exit, as a bootstrap that answers once does), and the next
  // event waits. One that exits instead, or stays past the function's
  // timeout, is reset: this invoke initializes a new runtime rather than
  // failing for what the last one did.
  Status await_next() {
    s.drain_stale_messages();
    if (!s.ready || !s.awaiting_next) return Ok{};
    const auto deadline = Clock::now() + std::chrono::seconds(s.spec.timeout_s);
    for (;;) {
      Happening h = s.wait_until(deadline);
      if (h.kind == Happening::aborted) return s.abandon();
      if (h.kind == Happening::message && h.message_value.kind != runtime_api::MessageKind::next_requested)
        continue;
      if (h.kind == Happening::message) {
        s.awaiting_next = false;
        return Ok{};
      }
      s.discard();  // exited, or never came back
      s.was_reset = true;
      return Ok{};
    }
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

Result<InvokeResult> Environment::invoke(const std::string& payload, const std::string& client_context,
                                         const std::string& invoked_arn, const std::string& request_id) {
  State& s = *state_;
  Phases phases{s};
  Invocation inv;
  if (!request_id.empty()) inv.request_id = request_id;
  inv.result.report.request_id = inv.request_id;
  inv.result.report.memory_mb = s.spec.memory_mb;
  if (s.ready && s.box && s.box->poll_exit()) {  // died while idle
    s.discard();
    s.was_reset = true;
  }
  if (s.held && s.box && s.box->poll_exit()) s.discard();  // a prepared sandbox that failed
  if (s.frozen && s.box) s.box->thaw();
  s.frozen = false;
  if (auto back = phases.await_next(); !back) return back.error();
  auto failed_init = phases.initialize(inv);
  if (!failed_init) return failed_init.error();
  if (*failed_init) return std::move(**failed_init);
  if (!inv.started) phases.begin(inv);
  s.was_reset = false;

  const auto deadline = inv.start + std::chrono::seconds(s.spec.timeout_s);
  phases.deliver(inv, payload, client_context, deadline, invoked_arn.empty() ? s.spec.arn : invoked_arn);
  for (;;) {
    Happening h = s.wait_until(deadline);
    if (h.kind == Happening::aborted) return s.abandon();
    if (h.kind != Happening::message) return phases.reset(inv, h);
    if (auto settled = Phases::answer(h.message_value, inv.request_id)) {
      s.awaiting_next = true;
      return phases.finish(inv, *settled);
    }
  }
}

bool Environment::awaits_event() {
  State& s = *state_;
  if (!s.ready || !s.box) return false;
  if (!s.frozen) s.drain_stale_messages();  // a frozen one was frozen at its GET /next
  return !s.awaiting_next;
}

bool Environment::freeze() {
  State& s = *state_;
  // A fork chain can outrun one freeze's rounds: what it started since is
  // stopped at the next look, a few times a second.
  constexpr auto kLookAgain = std::chrono::milliseconds(250);
  if (s.frozen && s.box && Clock::now() - s.frozen_at >= kLookAgain) {
    s.box->freeze();
    s.frozen_at = Clock::now();
  }
  if (s.frozen) return true;
  if (!s.ready || !s.box) return false;
  s.drain_stale_messages();
  if (s.awaiting_next) return false;
  s.box->freeze();
  s.frozen = true;
  s.frozen_at = Clock::now();
  return true;
}

Result<InvokeResult> invoke_once(const model::Function& spec, const std::string& payload,
                                 const Options& options) {
  LAYERED_TRY(validate_event(payload, "-"));
  auto env = Environment::create(spec, options);
  if (!env) return env.error();
  return (*env)->invoke(payload);
}

}  // namespace layered::invoke
