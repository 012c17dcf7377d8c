// Execution environments as Lambda keeps them: each concurrent invocation of
// a function runs in an environment of its own; a finished one waits warm for
// the next request of the same deployed identity until it has been idle too
// long. Environments are created and shut down outside the lock, so a slow
// cold start or kill never holds up another function's requests.
#include <algorithm>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

Pools::Pools(int max_environments, std::chrono::milliseconds idle_timeout, invoke::Options options)
    : max_environments_(max_environments), idle_timeout_(idle_timeout), options_(std::move(options)) {}

Pools::~Pools() { clear(); }

std::unique_ptr<invoke::Environment> Pools::evict_one_locked() {
  Function* oldest = nullptr;
  for (auto& [name, f] : functions_) {
    if (f.idle.empty()) continue;
    if (!oldest || f.idle.front().since < oldest->idle.front().since) oldest = &f;
  }
  if (!oldest) return nullptr;
  auto env = std::move(oldest->idle.front().env);
  oldest->idle.erase(oldest->idle.begin());
  --live_;
  return env;
}

Api<Lease> Pools::acquire(const Deployed& function) {
  const std::string& name = function.record.name;
  std::vector<std::unique_ptr<invoke::Environment>> retired;  // shut down after unlocking
  {
    std::unique_lock lock(mutex_);
    Function& f = functions_[name];
    if (function.reserved_concurrency && f.busy >= *function.reserved_concurrency) {
      return throttled("ReservedFunctionConcurrentInvocationLimitExceeded");
    }
    // Environments of an earlier deployment never serve the new one.
    auto stale = std::stable_partition(f.idle.begin(), f.idle.end(),
                                       [&](const Idle& i) { return i.identity == function.identity; });
    for (auto it = stale; it != f.idle.end(); ++it) retired.push_back(std::move(it->env));
    live_ -= static_cast<int>(f.idle.end() - stale);
    f.idle.erase(stale, f.idle.end());
    if (!f.idle.empty()) {
      Lease lease{std::move(f.idle.back().env), name, function.identity, std::nullopt};
      f.idle.pop_back();
      ++f.busy;
      lock.unlock();
      retired.clear();
      return lease;
    }
    if (live_ >= max_environments_) {
      auto evicted = evict_one_locked();
      if (!evicted) return throttled("ConcurrentInvocationLimitExceeded");
      retired.push_back(std::move(evicted));
    }
    ++live_;
    ++f.busy;
  }
  retired.clear();
  auto started = std::chrono::steady_clock::now();
  auto env = invoke::Environment::create(spec_of(function.record), options_);
  if (!env) {
    std::lock_guard lock(mutex_);
    --live_;
    --functions_[name].busy;
    return service_error(format_error(env.error()));
  }
  double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return Lease{std::move(*env), name, function.identity, took};
}

void Pools::release(Lease lease, bool reusable) {
  std::unique_ptr<invoke::Environment> discarded;
  {
    std::lock_guard lock(mutex_);
    Function& f = functions_[lease.name];
    --f.busy;
    if (reusable) {
      f.idle.push_back({std::move(lease.env), lease.identity, Clock::now()});
      return;
    }
    --live_;
    discarded = std::move(lease.env);
  }
}

void Pools::reap_idle() {
  std::vector<std::unique_ptr<invoke::Environment>> expired;
  {
    std::lock_guard lock(mutex_);
    const auto cutoff = Clock::now() - idle_timeout_;
    for (auto& [name, f] : functions_) {
      auto keep = std::stable_partition(f.idle.begin(), f.idle.end(),
                                        [&](const Idle& i) { return i.since > cutoff; });
      for (auto it = keep; it != f.idle.end(); ++it) expired.push_back(std::move(it->env));
      live_ -= static_cast<int>(f.idle.end() - keep);
      f.idle.erase(keep, f.idle.end());
    }
  }
}

void Pools::clear() {
  std::vector<std::unique_ptr<invoke::Environment>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, f] : functions_) {
      for (auto& i : f.idle) all.push_back(std::move(i.env));
      live_ -= static_cast<int>(f.idle.size());
      f.idle.clear();
    }
  }
}

int Pools::live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

}  // namespace layered::invoke_api
