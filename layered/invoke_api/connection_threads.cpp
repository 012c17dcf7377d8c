// One thread for each connection that finds none free (see the header).
#include "invoke_api/connection_threads.hpp"

#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace layered::invoke_api {

namespace {

// Threads beyond this many end after kThreadIdle without a connection.
constexpr std::size_t kKeptThreads = 16;
constexpr auto kThreadIdle = std::chrono::seconds(10);

// A thread for each connection: a free one if any, else a new one (up to
// a maximum, past which connections wait in order).
class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(std::size_t max) : max_(max) {}
  ~ConnectionThreads() override { shutdown(); }
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    join_finished();
    jobs_.push_back(std::move(fn));
    if (jobs_.size() > idle_ && threads_.size() < max_) {
      try {
        std::thread thread([this] { work(); });
        const auto id = thread.get_id();
        threads_.emplace(id, std::move(thread));
      } catch (const std::system_error&) {
        // Out of threads: the connection waits for a busy one to be free.
      }
    }
    wake_.notify_one();
  }

  // Runs what is queued, then joins every thread.
  void shutdown() override {
    std::map<std::thread::id, std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      threads.swap(threads_);
      finished_.clear();
    }
    wake_.notify_all();
    for (auto& [id, thread] : threads) thread.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woken = wake_.wait_for(lock, kThreadIdle, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) {
        if (stopping_ || (!woken && threads_.size() - finished_.size() > kKeptThreads)) break;
        continue;
      }
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
    if (stopping_) return;
    finished_.push_back(std::this_thread::get_id());
    // The last of a burst's threads to go gives back what the burst's
    // connections allocated in their threads' arenas.
    const bool last = threads_.size() - finished_.size() <= kKeptThreads;
    lock.unlock();
    if (last) ::malloc_trim(0);
  }

  // Threads that ended on their own (idle): listed as their last use of the
  // pool, so joining them under its lock waits for nothing of it.
  void join_finished() {
    for (const auto& id : finished_) {
      auto it = threads_.find(id);
      it->second.join();
      threads_.erase(it);
    }
    finished_.clear();
  }

  const std::size_t max_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread::id> finished_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace

httplib::TaskQueue* new_connection_threads(std::size_t max) { return new ConnectionThreads(max); }

}  // namespace layered::invoke_api
