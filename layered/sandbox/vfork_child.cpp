#include "sandbox/vfork_child.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace layered::sandbox {

namespace {

struct Start {
  int (*body)(void*) = nullptr;
  void* arg = nullptr;
  sigset_t mask{};  // the caller's, restored in the child before `body`
  // AddressSanitizer keeps one record of the thread's stack, which the child
  // shares: the child says it runs on its own stack (else ASan takes its
  // frames for a corrupted stack), the caller says it is back on its own.
  void* fake_stack = nullptr;
  const void* caller_stack = nullptr;
  std::size_t caller_stack_size = 0;
};

// The child: a handler of the engine must not run on shared memory (the stop
// signals' pipe would wake the engine), so handlers go back to the default
// while every signal is still blocked.
int trampoline(void* raw) {
  auto* start = static_cast<Start*>(raw);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, &start->caller_stack, &start->caller_stack_size);
#endif
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action {};
    if (::sigaction(sig, nullptr, &action) != 0) continue;
    if (action.sa_handler == SIG_IGN || action.sa_handler == SIG_DFL) continue;
    action.sa_handler = SIG_DFL;
    action.sa_flags = 0;
    ::sigaction(sig, &action, nullptr);
  }
  ::sigprocmask(SIG_SETMASK, &start->mask, nullptr);
  start->body(start->arg);
  ::_exit(127);
}

pid_t vfork_child_here(int (*body)(void*), void* arg);

// One request to the lasting thread; the caller waits for `done`.
struct StartRequest {
  const std::function<pid_t()>* start = nullptr;
  sigset_t mask{};  // the caller's: the child starts with it, as from the caller
  pid_t pid = -1;
  int error = 0;
  bool done = false;
};

class LastingThread {
 public:
  static LastingThread& get() {
    // Never destroyed: it must outlive every thread that starts a process,
    // static destructors included. A forked child of the engine has none of
    // its threads, and so starts a lasting thread of its own.
    static std::mutex guard;
    static LastingThread* lasting = nullptr;
    static pid_t owner = 0;
    std::lock_guard lock(guard);
    if (!lasting || owner != ::getpid()) {
      lasting = new LastingThread;
      owner = ::getpid();
    }
    return *lasting;
  }
  pid_t run(const std::function<pid_t()>& start) {
    if (std::this_thread::get_id() == id_) return start();
    StartRequest request{&start};
    ::pthread_sigmask(SIG_SETMASK, nullptr, &request.mask);
    std::unique_lock lock(mutex_);
    queue_.push_back(&request);
    wake_.notify_all();
    done_.wait(lock, [&] { return request.done; });
    errno = request.error;
    return request.pid;
  }

 private:
  LastingThread() {
    std::thread thread([this] { serve(); });
    id_ = thread.get_id();
    thread.detach();
  }
  [[noreturn]] void serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return !queue_.empty(); });
      StartRequest* request = queue_.front();
      queue_.pop_front();
      lock.unlock();
      sigset_t own;
      ::pthread_sigmask(SIG_SETMASK, &request->mask, &own);
      errno = 0;
      const pid_t pid = (*request->start)();
      const int error = errno;
      ::pthread_sigmask(SIG_SETMASK, &own, nullptr);
      lock.lock();
      request->pid = pid;
      request->error = error;
      request->done = true;
      done_.notify_all();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<StartRequest*> queue_;
  std::thread::id id_;
};

}  // namespace

pid_t start_from_lasting_thread(const std::function<pid_t()>& start) {
  return LastingThread::get().run(start);
}

pid_t vfork_child(int (*body)(void*), void* arg) {
  return start_from_lasting_thread([&] { return vfork_child_here(body, arg); });
}

namespace {

pid_t vfork_child_here(int (*body)(void*), void* arg) {
  // The child's own stack: it must not write on the caller's frames.
  constexpr std::size_t kStackBytes = std::size_t{256} * 1024;
  void* stack =
      ::mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  Start start;
  start.body = body;
  start.arg = arg;
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &start.mask);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(&start.fake_stack, stack, kStackBytes);
#endif
  pid_t pid =
      ::clone(trampoline, static_cast<char*>(stack) + kStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  const int error = errno;
  ::pthread_sigmask(SIG_SETMASK, &start.mask, nullptr);
#if defined(__SANITIZE_ADDRESS__)
  void* saved = start.fake_stack;
  if (pid < 0) {  // no child switched: complete the switch here, then come back
    __sanitizer_finish_switch_fiber(start.fake_stack, &start.caller_stack, &start.caller_stack_size);
    saved = nullptr;
  }
  __sanitizer_start_switch_fiber(pid < 0 ? &saved : nullptr, start.caller_stack, start.caller_stack_size);
  __sanitizer_finish_switch_fiber(saved, nullptr, nullptr);
  // The child's frames never returned: their redzones would stay poisoned
  // for whatever is mapped here next.
  __asan_unpoison_memory_region(stack, kStackBytes);
#endif
  ::munmap(stack, kStackBytes);
  errno = error;
  return pid;
}

}  // namespace

std::vector<char*> exec_args(std::vector<std::string>& words) {
  std::vector<char*> out;
  out.reserve(words.size() + 1);
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace layered::sandbox
