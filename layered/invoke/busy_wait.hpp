// How long an environment's waiter keeps the CPU before it sleeps. A warm
// invoke's answer comes back within a few hundred microseconds; sleeping for
// it costs a wake-up of an idle core (tens of microseconds on a VM) on top.
// Spinning pays only while a core is free for the runtime to answer on, so
// at most (cores - 1) waiters spin at once and the others sleep at once.
// Internal to invoke.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace layered::invoke::detail {

class BusyWait {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kSpin = std::chrono::microseconds(250);

  BusyWait() : until_(Clock::now() + kSpin) {
    static const int spinners = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
    allowed_ = waiters().fetch_add(1) < spinners;
  }
  ~BusyWait() { waiters().fetch_sub(1); }
  BusyWait(const BusyWait&) = delete;
  BusyWait& operator=(const BusyWait&) = delete;

  // True while the waiter should look again without sleeping.
  bool spinning() const { return allowed_ && Clock::now() < until_; }

 private:
  static std::atomic<int>& waiters() {
    static std::atomic<int> count{0};
    return count;
  }
  Clock::time_point until_;
  bool allowed_ = false;
};

}  // namespace layered::invoke::detail
