// serve's queue of Event invocations (events.cpp): what it holds, and what a
// caller hears when it holds no more.
#include "invoke_api/events.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {
namespace {

EventJob job(std::size_t payload_bytes) {
  EventJob j;
  j.function_name = "fn";
  j.request.payload = std::string(payload_bytes, 'x');
  return j;
}

// One worker, held inside its first event until the test lets it go, so
// that every later event stays queued.
struct HeldQueue {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran = 0;
  EventQueue queue{1,
                   [this](const EventJob&) -> Api<invoke::InvokeResult> {
                     released.wait();
                     ++ran;
                     return invoke::InvokeResult{};
                   },
                   [](std::string_view) {}};
  ~HeldQueue() {
    release.set_value();
    queue.stop();
  }
};

TEST(EventQueue, HoldsAtMostItsCountOfEvents) {
  HeldQueue held;
  std::size_t taken = 0;
  while (held.queue.enqueue(job(2)) == EventQueue::Enqueued::yes) ++taken;
  // The worker may have taken the first one out of the queue already.
  EXPECT_GE(taken, EventQueue::kMaxEvents);
  EXPECT_LE(taken, EventQueue::kMaxEvents + 1);
}

TEST(EventQueue, HoldsAtMostItsBytesOfPayloads) {
  HeldQueue held;
  const std::size_t mb = std::size_t{1} << 20U;
  std::size_t taken = 0;
  while (held.queue.enqueue(job(mb)) == EventQueue::Enqueued::yes) ++taken;
  EXPECT_GE(taken, EventQueue::kMaxBytes / mb);
  EXPECT_LE(taken, EventQueue::kMaxBytes / mb + 1);
}

TEST(EventQueue, AStoppedQueueSaysSoRatherThanFull) {
  EventQueue queue{1, [](const EventJob&) -> Api<invoke::InvokeResult> { return invoke::InvokeResult{}; },
                   [](std::string_view) {}};
  queue.stop();
  EXPECT_EQ(queue.enqueue(job(2)), EventQueue::Enqueued::stopping);
}

TEST(EventQueue, AFullQueueIsAThrottleThatNamesServesBound) {
  const ApiError full = event_queue_full();
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(full.type, "TooManyRequestsException");
  EXPECT_NE(full.message.find("queue of Event invocations is full (10000 events or 256 MB"),
            std::string::npos)
      << full.message;
}

}  // namespace
}  // namespace layered::invoke_api
