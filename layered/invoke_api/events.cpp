#include "invoke_api/events.hpp"

#include <algorithm>

namespace layered::invoke_api {

namespace {

// Lambda's default maximum event age, and its retry interval for a
// throttled event: from 1 second, doubling, to 5 minutes (docs/lambda-facts.md).
constexpr auto kMaxEventAge = std::chrono::hours(6);
constexpr std::chrono::milliseconds kMaxThrottleBackoff = std::chrono::minutes(5);

}  // namespace

EventQueue::EventQueue(std::size_t max_workers, Runner run, Log log)
    : max_workers_(max_workers), run_(std::move(run)), log_(std::move(log)) {}

EventQueue::Enqueued EventQueue::enqueue(EventJob job) {
  std::lock_guard lock(mutex_);
  if (stopping_) return Enqueued::stopping;
  const std::size_t bytes = job.request.payload.size();
  if (jobs_.size() >= kMaxEvents || queued_bytes_ + bytes > kMaxBytes) return Enqueued::full;
  queued_bytes_ += bytes;
  jobs_.push_back(std::move(job));
  if (idle_workers_ == 0 && workers_.size() < max_workers_) workers_.emplace_back([this] { work(); });
  queued_.notify_one();
  return Enqueued::yes;
}

void EventQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (!jobs_.empty())
      log_("serve: dropped " + std::to_string(jobs_.size()) + " queued event(s) on shutdown\n");
    jobs_.clear();
    queued_bytes_ = 0;
  }
  queued_.notify_all();
  for (auto& worker : workers_) worker.join();
}

// Runs queued events, each as soon as its next attempt is due.
void EventQueue::work() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = EventJob::Clock::now();
    auto due = std::find_if(jobs_.begin(), jobs_.end(), [&](const EventJob& j) { return j.next_try <= now; });
    if (due == jobs_.end()) {
      ++idle_workers_;
      queued_.wait_until(lock, earliest_attempt());
      --idle_workers_;
      continue;
    }
    EventJob job = std::move(*due);
    jobs_.erase(due);
    queued_bytes_ -= job.request.payload.size();
    lock.unlock();
    auto result = run_(job);
    lock.lock();
    if (const auto* error = std::get_if<ApiError>(&result)) retry_or_drop(std::move(job), *error);
  }
}

// With mutex_ held: when a worker should look at the queue again (an hour
// ahead when it is empty; an enqueue wakes it anyway).
EventJob::Clock::time_point EventQueue::earliest_attempt() const {
  auto when = EventJob::Clock::now() + std::chrono::hours(1);
  for (const auto& job : jobs_) when = std::min(when, job.next_try);
  return when;
}

// With mutex_ held. A throttled event waits its turn again; any other
// failure, or an event past Lambda's maximum age, is dropped with a line.
void EventQueue::retry_or_drop(EventJob job, const ApiError& error) {
  const std::string what = "serve: event " + job.request.request_id + " for '" + job.function_name + "'";
  if (error.status != 429) return log_(what + " dropped: " + error.message + "\n");
  if (stopping_) return log_(what + " dropped: serve is stopping\n");
  const auto now = EventJob::Clock::now();
  if (now - job.queued >= kMaxEventAge)
    return log_(what + " dropped: throttled past the maximum event age\n");
  job.next_try = now + job.backoff;
  job.backoff = std::min(job.backoff * 2, kMaxThrottleBackoff);
  queued_bytes_ += job.request.payload.size();
  jobs_.push_back(std::move(job));
  queued_.notify_all();  // sleeping workers recompute their wake-up time
}

}  // namespace layered::invoke_api
