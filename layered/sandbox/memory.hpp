// Memory limit and measurement of one environment (internal to sandbox).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

class MemoryMonitor {
 public:
  virtual ~MemoryMonitor() = default;
  // A file the new process, still single-threaded, writes "0" (itself) to
  // before it execs ("" = none).
  virtual std::string join_file() const { return {}; }
  virtual void attach(pid_t /*pid*/) {}
  virtual int sample_interval_ms() const { return 0; }
  virtual void sample() {}
  virtual std::uint64_t peak_bytes() = 0;
  virtual bool out_of_memory() = 0;
  // Kills every process the monitor accounts for.
  virtual void kill_all() {}
  // The processes it accounts for, now.
  virtual std::vector<pid_t> members() = 0;
  // Waits, until `deadline`, for every process it accounts for to have
  // ended (after kill_all); true when none is left.
  virtual bool await_empty(std::chrono::steady_clock::time_point deadline) = 0;
  virtual std::string method() const = 0;
};

// A child memory cgroup under the engine's own (v1 or v2) when the machine
// lets us create one, else a resident-set watch of the process tree.
std::unique_ptr<MemoryMonitor> make_memory_monitor(std::uint64_t limit_bytes, MemoryWatch mode);

// The resident set of `root` and all its descendants, in bytes (from /proc).
std::uint64_t tree_resident_bytes(pid_t root);
// `root` and all its descendants (from /proc).
std::vector<pid_t> process_tree(pid_t root);

}  // namespace layered::sandbox
