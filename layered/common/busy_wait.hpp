// How long a waiter keeps the CPU before it sleeps: an environment waiting
// for its runtime's answer, a connection of serve waiting for its client's
// next request. Both come within a few hundred microseconds when warm;
// sleeping for them costs a wake-up of an idle core (40-60 us on a 2-core
// VM, measured: a blocking HTTP echo 75-100 us per round trip, a spinning
// one 36-43 us) on top. Spinning pays only while a core is free for the
// other side, so at most (cores - 1) waiters, all kinds together, spin at
// once and the others sleep at once.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace layered {

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

}  // namespace layered
