// serve's queue of asynchronous (Event) invocations (internal to invoke_api).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "invoke_api/invocation.hpp"

namespace layered::invoke_api {

// An Event invocation waiting in the queue. A throttled one goes back in
// with a later attempt time, as Lambda's queue retries it with backoff
// until its maximum event age, so it never holds a worker others need.
// It names its function as the caller did and is looked up again when it
// runs: a redeploy meanwhile runs the new code (the old may be gone).
struct EventJob {
  using Clock = std::chrono::steady_clock;
  std::string function_name;  // as in the request's path, and its ?Qualifier=
  std::string qualifier;
  Request request;  // its payload, invoked ARN and request id
  Clock::time_point queued = Clock::now();
  Clock::time_point next_try = queued;
  std::chrono::milliseconds backoff{1000};
};

// Runs queued events on workers started as needed, up to `max_workers`
// (events run as concurrently as requests do, up to the machine's cap).
class EventQueue {
 public:
  using Runner = std::function<Api<invoke::InvokeResult>(const EventJob&)>;
  using Log = std::function<void(std::string_view)>;

  EventQueue(std::size_t max_workers, Runner run, Log log);
  ~EventQueue() { stop(); }
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  enum class Enqueued { yes, full, stopping };
  // Lambda queues events without bound; serve holds at most this many, and
  // this many bytes of payload, in memory.
  static constexpr std::size_t kMaxEvents = 10000;
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 20U;
  // When full, the caller answers 429 (SDKs retry it); when stopping, 500.
  Enqueued enqueue(EventJob job);
  // Drops what is queued (with a line), lets the events under way end and
  // joins the workers.
  void stop();

 private:
  void work();
  EventJob::Clock::time_point earliest_attempt() const;
  void retry_or_drop(EventJob job, const ApiError& error);

  const std::size_t max_workers_;
  Runner run_;
  Log log_;
  std::mutex mutex_;
  std::condition_variable queued_;  // stopping_, or jobs_ changed
  std::deque<EventJob> jobs_;
  std::size_t queued_bytes_ = 0;  // of the payloads in jobs_
  std::vector<std::thread> workers_;
  std::size_t idle_workers_ = 0;  // workers waiting for an event
  bool stopping_ = false;
};

}  // namespace layered::invoke_api
