// Starting a process without copying the engine (internal to sandbox).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace layered::sandbox {

// Runs `body` in a new process that shares the engine's memory until it
// execs, as posix_spawn does (CLONE_VM | CLONE_VFORK): fork copies the page
// tables of the whole engine first, and the child then faults its way
// through copy-on-write pages, which on this 2-core VM cost the critical
// path of a cold start 0.5-1 ms per process. The calling thread waits until
// the child execs or exits (other threads go on), so `body` must never wait
// for the caller. `body` runs with the caller's signal mask and default
// handlers; it may use system calls only (no allocation, no lock a thread of
// the engine may hold) and must exec or _exit. Returns the child's pid, or -1
// with errno set.
pid_t vfork_child(int (*body)(void*), void* arg);

template <class Body>
pid_t vfork_child(Body& body) {
  return vfork_child(
      [](void* b) -> int {
        (*static_cast<Body*>(b))();
        return 127;
      },
      &body);
}

// Runs `start` (which creates a process and returns its pid, or -1 with
// errno set) on a thread that lasts as long as the engine, and returns what
// it returned, errno included. A process's parent is the *thread* that
// created it, and bubblewrap's --die-with-parent (PR_SET_PDEATHSIG) kills
// the sandbox when that thread ends: serve's connection threads come and go,
// and an environment must live until it is shut down. vfork_child goes
// through it; so must every other start of a process that outlives a call.
pid_t start_from_lasting_thread(const std::function<pid_t()>& start);

// What exec takes: pointers into `words`, then a null (made before the child
// starts, as it may not allocate).
std::vector<char*> exec_args(std::vector<std::string>& words);

}  // namespace layered::sandbox
