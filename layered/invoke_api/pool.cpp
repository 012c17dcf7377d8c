// Execution environments as Lambda keeps them: each concurrent invocation of
// a function runs in an environment of its own; a finished one waits warm for
// the next request of the same deployed identity until it has been idle too
// long. Environments are created and shut down outside the lock, so a slow
// cold start or kill never holds up another function's requests.
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

namespace {

invoke::Options with_abort_fd(invoke::Options options, int fd) {
  options.abort_fd = fd;
  return options;
}

}  // namespace

Pools::Pools(int max_environments, std::chrono::milliseconds idle_timeout, invoke::Options options)
    : max_environments_(max_environments),
      idle_timeout_(idle_timeout),
      abort_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      options_(with_abort_fd(std::move(options), abort_fd_)) {}

Pools::~Pools() {
  clear();
  if (abort_fd_ >= 0) ::close(abort_fd_);
}

Pools::Function* Pools::oldest_idle_locked() {
  Function* oldest = nullptr;
  for (auto& [name, f] : functions_) {
    if (f.idle.empty()) continue;
    if (!oldest || f.idle.front().since < oldest->idle.front().since) oldest = &f;
  }
  return oldest;
}

std::unique_ptr<invoke::Environment> Pools::evict_locked(Function& from) {
  auto env = std::move(from.idle.front().env);
  from.idle.erase(from.idle.begin());
  --live_;
  return env;
}

std::optional<Lease> Pools::take_idle_locked(Function& f, const Deployed& function) {
  if (f.idle.empty()) return std::nullopt;
  auto last = [&f](auto wanted) {
    auto found = std::find_if(f.idle.rbegin(), f.idle.rend(), wanted);
    return found == f.idle.rend() ? f.idle.end() : std::prev(found.base());
  };
  // A warm runtime waiting at its GET /next first, and then one that has
  // answered but not asked yet (it may be working on after its answer: the
  // next invoke waits for it, where a cold start would cost more, as it
  // usually asks within microseconds); then one reset by a crash or
  // timeout, whose /tmp and log stream the next invoke carries on, as
  // Lambda's reset keeps its execution environment; then the oldest prepared.
  auto chosen = last([](const Idle& i) { return i.env->awaits_event(); });
  if (chosen == f.idle.end()) chosen = last([](const Idle& i) { return i.env->warm(); });
  if (chosen == f.idle.end()) chosen = last([](const Idle& i) { return i.env->reusable(); });
  if (chosen == f.idle.end()) chosen = f.idle.begin();
  Lease lease{std::move(chosen->env), pool_key(function), function.identity, chosen->prepared_ms,
              chosen->prepared_ms.has_value()};
  f.idle.erase(chosen);
  ++f.busy;
  return lease;
}

Result<std::pair<std::unique_ptr<invoke::Environment>, double>> Pools::prepared(const Deployed& function) {
  auto started = std::chrono::steady_clock::now();
  auto env = invoke::Environment::create(function.record, options_);
  if (!env) return env.error();
  auto laid_out = (*env)->prepare();
  if (!laid_out) return laid_out.error();
  double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return std::make_pair(std::move(*env), took);
}

// $LATEST and each version have pools of their own.
std::string Pools::pool_key(const Deployed& function) {
  return function.record.name + ":" + function.record.version;
}

int Pools::busy_locked(const std::string& function_name) const {
  int busy = 0;
  for (const auto& [key, f] : functions_) busy += f.name == function_name ? f.busy : 0;
  return busy;
}

Api<Lease> Pools::acquire(const Deployed& function) {
  const std::string name = pool_key(function);
  const auto give_up = Clock::now() + kCapWait;
  std::vector<std::unique_ptr<invoke::Environment>> retired;  // shut down after unlocking
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      Function& f = functions_[name];
      f.name = function.record.name;
      // Reserved concurrency is the function's, all its versions together.
      if (function.reserved_concurrency && busy_locked(f.name) >= *function.reserved_concurrency) {
        return throttled("ReservedFunctionConcurrentInvocationLimitExceeded");
      }
      retire_stale_locked(f, function.identity, retired);
      if (auto lease = take_idle_locked(f, function)) {
        lock.unlock();
        retired.clear();
        return std::move(*lease);
      }
      if (live_ < max_environments_) break;
      // At the cap, another function's idle environment makes room, unless
      // it went idle under kEvictAfter ago while this function's own busy
      // ones are about to come back: evicting it would trade a cold start
      // for a cold start, and a load mixing functions would thrash.
      Function* oldest = oldest_idle_locked();
      const auto now = Clock::now();
      if (oldest && (f.busy == 0 || now - oldest->idle.front().since >= kEvictAfter)) {
        retired.push_back(evict_locked(*oldest));
        break;
      }
      // Otherwise wait for an environment to finish, which a request beyond
      // the account's concurrency never does on Lambda: the cap here is this
      // machine's, not the caller's.
      // Stopping ends the wait as it ends the invocations under way.
      if (closing_) return service_error("the invocation was interrupted: the engine is stopping");
      if (now >= give_up) return throttled("ConcurrentInvocationLimitExceeded");
      freed_.wait_until(lock, oldest ? std::min(give_up, oldest->idle.front().since + kEvictAfter) : give_up);
    }
    ++live_;
    ++functions_[name].busy;
  }
  retired.clear();
  auto made = prepared(function);
  if (!made) {
    release_slot(name);
    ApiError error = service_error(format_error(made.error()));
    error.before_start = true;
    return error;
  }
  return Lease{std::move(made->first), name, function.identity, made->second, false};
}

// Environments of an earlier deployment never serve the new one.
void Pools::retire_stale_locked(Function& f, const std::string& identity,
                                std::vector<std::unique_ptr<invoke::Environment>>& retired) {
  auto stale = std::stable_partition(f.idle.begin(), f.idle.end(),
                                     [&](const Idle& i) { return i.identity == identity; });
  for (auto it = stale; it != f.idle.end(); ++it) retired.push_back(std::move(it->env));
  forget_locked(static_cast<int>(f.idle.end() - stale));
  f.idle.erase(stale, f.idle.end());
}

void Pools::retire_undeployed(const Snapshot& snapshot) {
  std::set<std::string> deployed;
  for (const auto* list : {&snapshot.functions, &snapshot.versions})
    for (const auto& d : *list) deployed.insert(d.identity);
  std::vector<std::unique_ptr<invoke::Environment>> retired;  // shut down after unlocking
  std::lock_guard lock(mutex_);
  for (auto& [key, f] : functions_) {
    auto gone = std::stable_partition(f.idle.begin(), f.idle.end(),
                                      [&](const Idle& i) { return deployed.count(i.identity) != 0; });
    for (auto it = gone; it != f.idle.end(); ++it) retired.push_back(std::move(it->env));
    forget_locked(static_cast<int>(f.idle.end() - gone));
    f.idle.erase(gone, f.idle.end());
  }
}

void Pools::forget_locked(int environments) {
  if (environments <= 0) return;
  live_ -= environments;
  freed_.notify_all();
}

void Pools::release_slot(const std::string& name) {
  std::lock_guard lock(mutex_);
  --functions_[name].busy;
  forget_locked(1);
}

void Pools::close() {
  std::lock_guard lock(mutex_);
  closing_ = true;
  freed_.notify_all();
  const std::uint64_t one = 1;
  (void)!::write(abort_fd_, &one, sizeof one);  // ends the invocations under way
}

std::string Pools::prepare_ahead(const Snapshot& snapshot, std::size_t functions, bool verbose,
                                 const std::function<bool()>& stop) {
  std::string notes;
  const std::size_t count = std::min(functions, snapshot.functions.size());
  for (std::size_t i = 0; i < count && !stop(); ++i) {
    const Deployed& function = snapshot.functions[i];
    {
      std::lock_guard lock(mutex_);
      Function& f = functions_[pool_key(function)];
      f.name = function.record.name;
      const bool ready = std::any_of(f.idle.begin(), f.idle.end(),
                                     [&](const Idle& idle) { return idle.identity == function.identity; });
      if (ready || live_ >= max_environments_ || unpreparable_.count(function.identity)) continue;
      ++live_;
    }
    auto made = prepared(function);
    std::lock_guard lock(mutex_);
    if (!made) {
      forget_locked(1);
      unpreparable_.insert(function.identity);
      notes += "serve: cannot prepare an environment for '" + function.record.name +
               "' ahead: " + format_error(made.error()) + "\n";
      continue;
    }
    if (verbose) {
      notes += "serve: prepared an environment for '" + function.record.name + "' ahead in " +
               std::to_string(made->second) + " ms\n";
    }
    functions_[pool_key(function)].idle.push_back(
        {std::move(made->first), function.identity, Clock::now(), made->second});
  }
  return notes;
}

void Pools::release(Lease lease, bool reusable) {
  std::unique_ptr<invoke::Environment> discarded;
  {
    std::lock_guard lock(mutex_);
    Function& f = functions_[lease.name];
    --f.busy;
    if (reusable) {
      f.idle.push_back({std::move(lease.env), lease.identity, Clock::now(), std::nullopt});
      freed_.notify_all();
      return;
    }
    forget_locked(1);
    discarded = std::move(lease.env);
  }
}

void Pools::reap_idle() {
  std::vector<std::unique_ptr<invoke::Environment>> expired;
  {
    std::lock_guard lock(mutex_);
    const auto cutoff = Clock::now() - idle_timeout_;
    for (auto& [name, f] : functions_) {
      // A prepared environment is the ready one Lambda keeps: only warm
      // ones age out (else the preparer would lay it out again and again).
      auto keep = std::stable_partition(f.idle.begin(), f.idle.end(), [&](const Idle& i) {
        return i.since > cutoff || (i.prepared_ms && !i.env->warm());
      });
      for (auto it = keep; it != f.idle.end(); ++it) expired.push_back(std::move(it->env));
      forget_locked(static_cast<int>(f.idle.end() - keep));
      f.idle.erase(keep, f.idle.end());
      // Idle a moment: frozen until its next request, as on Lambda. Not at
      // once, so that a busy function's next request finds it running.
      const auto freeze_before = Clock::now() - kFreezeAfter;
      for (auto& i : f.idle)
        if (i.since <= freeze_before) i.env->freeze();
    }
  }
}

void Pools::clear() {
  std::vector<std::unique_ptr<invoke::Environment>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, f] : functions_) {
      for (auto& i : f.idle) all.push_back(std::move(i.env));
      forget_locked(static_cast<int>(f.idle.size()));
      f.idle.clear();
    }
  }
}

int Pools::live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

}  // namespace layered::invoke_api
