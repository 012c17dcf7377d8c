// The memory size enforced as Lambda does (the environment is killed), and
// Max Memory Used measured rather than copied from the configuration.
#include "sandbox/memory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace layered::sandbox {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The value after `key ` in a "key value" per line file (memory.events).
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

// "VmHWM:     1234 kB" in /proc/<pid>/status, in bytes.
std::uint64_t keyed_kb(const std::string& status, const std::string& key) {
  auto at = status.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(status.c_str() + at + key.size(), nullptr, 10) * 1024;
}

std::uint64_t number(const std::string& text) {
  try {
    return std::stoull(text);
  } catch (...) {
    return 0;
  }
}

// The engine's own cgroup path for `controller` ("" = the v2 line).
std::string own_cgroup(const std::string& controller) {
  std::istringstream in(read_text("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string names = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controller.empty() ? (line.rfind("0::", 0) == 0)
                           : (("," + names + ",").find("," + controller + ",") != std::string::npos))
      return path == "/" ? "" : path;
  }
  return "-";
}

std::vector<pid_t> read_pids(const std::string& procs_file) {
  std::vector<pid_t> pids;
  std::istringstream in(read_text(procs_file));
  for (long pid = 0; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

// Waits until each of `pids` has exited (a pidfd turns readable once its
// process has left its cgroup too), or until `deadline`. False when there
// was nothing to wait for.
bool await_exit(const std::vector<pid_t>& pids, std::chrono::steady_clock::time_point deadline) {
  bool waited = false;
  for (pid_t pid : pids) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) continue;  // gone already
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() > 0) ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    ::close(fd);
    waited = true;
  }
  return waited;
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "layered-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

class CgroupMonitor : public MemoryMonitor {
 public:
  CgroupMonitor(std::string dir, bool v2) : dir_(std::move(dir)), v2_(v2) {}
  ~CgroupMonitor() override {
    if (peak_fd_ >= 0) ::close(peak_fd_);
    kill_all();
    // Killed processes stay members until their namespaces are torn down
    // (tens of ms); until then the directory is busy.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (::rmdir(dir_.c_str()) != 0 && errno == EBUSY && std::chrono::steady_clock::now() < deadline) {
      if (!await_exit(read_pids(dir_ + "/cgroup.procs"), deadline))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  bool await_empty(std::chrono::steady_clock::time_point deadline) override {
    for (;;) {
      auto pids = read_pids(dir_ + "/cgroup.procs");
      if (pids.empty()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (!await_exit(pids, deadline)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // v1: the thread's own "tasks" file. Moving a whole process (cgroup.procs)
  // takes the kernel's cgroup_threadgroup_rwsem for writing, which waits out
  // an RCU grace period: 5-15 ms of every cold start. A thread moving only
  // itself skips that lock, and the child is one thread when it writes.
  // v2 has no such file: its cgroup.procs pays the grace period.
  std::string join_file() const override { return dir_ + (v2_ ? "/cgroup.procs" : "/tasks"); }
  int sample_interval_ms() const override { return v2_ && !has_peak_ ? 10 : 0; }
  void sample() override {
    std::uint64_t now = number(read_text(dir_ + "/memory.current"));
    if (now > sampled_peak_) sampled_peak_ = now;
  }
  // The cgroup's peak charge misses file pages (the loader, libc) that other
  // cgroups faulted in first; the processes' peak resident sets count them,
  // as Lambda's figure does. Report the larger of the two. Reading every
  // process's status costs more than a warm invoke itself, so the resident
  // sets are read again only when the charge's peak moved: file pages that a
  // warm invoke alone faults in are counted at the next move.
  std::uint64_t peak_bytes() override {
    std::uint64_t charged = 0;
    if (v2_ && !has_peak_) {
      sample();
      charged = sampled_peak_;
    } else {
      charged = read_peak_file();
    }
    if (charged != hwm_read_at_) {
      hwm_read_at_ = charged;
      std::uint64_t hwm = 0;
      std::istringstream in(read_text(dir_ + "/cgroup.procs"));
      for (long pid = 0; in >> pid;)
        hwm += keyed_kb(read_text("/proc/" + std::to_string(pid) + "/status"), "VmHWM:");
      hwm_peak_ = std::max(hwm_peak_, hwm);
    }
    return std::max(charged, hwm_peak_);
  }
  bool out_of_memory() override {
    return keyed_value(read_text(dir_ + (v2_ ? "/memory.events" : "/memory.oom_control")), "oom_kill") > 0;
  }
  void kill_all() override {
    std::istringstream in(read_text(dir_ + "/cgroup.procs"));
    for (long pid = 0; in >> pid;) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
  std::vector<pid_t> members() override {
    std::vector<pid_t> out;
    std::istringstream in(read_text(dir_ + "/cgroup.procs"));
    for (long pid = 0; in >> pid;) out.push_back(static_cast<pid_t>(pid));
    return out;
  }
  std::string method() const override { return v2_ ? "cgroup v2" : "cgroup v1"; }
  void set_has_peak(bool value) { has_peak_ = value; }

 private:
  // The peak charge, from a descriptor kept open: one read per invoke.
  std::uint64_t read_peak_file() {
    if (peak_fd_ < 0) {
      const std::string file = v2_ ? "/memory.peak" : "/memory.max_usage_in_bytes";
      peak_fd_ = ::open((dir_ + file).c_str(), O_RDONLY | O_CLOEXEC);
    }
    char buf[32];
    auto n = peak_fd_ < 0 ? -1 : ::pread(peak_fd_, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return std::strtoull(buf, nullptr, 10);
  }

  std::string dir_;
  bool v2_;
  bool has_peak_ = true;
  int peak_fd_ = -1;
  std::uint64_t sampled_peak_ = 0;
  std::uint64_t hwm_peak_ = 0;
  std::uint64_t hwm_read_at_ = ~std::uint64_t{0};  // the charge when the resident sets were last read
};

// Kills what is left in a cgroup: at once where the kernel can (cgroup v2's
// cgroup.kill), else member by member. What dies leaves asynchronously.
void kill_members(const std::string& dir) {
  if (write_text(dir + "/cgroup.kill", "1")) return;
  std::istringstream procs(read_text(dir + "/cgroup.procs"));
  for (long pid = 0; procs >> pid;)
    if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
}

// Child cgroups of an engine that died without removing them, with whatever
// still runs in them: an environment must not outlive its engine.
void remove_stale_cgroups(const std::string& parent) {
  DIR* dir = ::opendir(parent.c_str());
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind("layered-", 0) != 0) continue;
    long pid = std::atol(name.c_str() + 8);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    const std::string stale = parent + "/" + name;
    kill_members(stale);
    for (int tries = 0; ::rmdir(stale.c_str()) != 0 && errno == EBUSY && tries < 100; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::closedir(dir);
}

std::unique_ptr<MemoryMonitor> cgroup_v1(std::uint64_t limit) {
  std::string own = own_cgroup("memory");
  if (own == "-") return nullptr;
  std::string parent = "/sys/fs/cgroup/memory" + own;
  if (!exists(parent + "/memory.limit_in_bytes")) return nullptr;
  remove_stale_cgroups(parent);
  std::string dir = parent + "/" + unique_name();
  if (::mkdir(dir.c_str(), 0755) != 0) return nullptr;
  auto monitor = std::make_unique<CgroupMonitor>(dir, false);
  if (!write_text(dir + "/memory.limit_in_bytes", std::to_string(limit))) return nullptr;
  // No swap either: memsw must be set after (and not below) the memory limit.
  if (exists(dir + "/memory.memsw.limit_in_bytes"))
    write_text(dir + "/memory.memsw.limit_in_bytes", std::to_string(limit));
  return monitor;
}

std::unique_ptr<MemoryMonitor> cgroup_v2(std::uint64_t limit) {
  std::string own = own_cgroup("");
  if (own == "-" || !exists("/sys/fs/cgroup/cgroup.controllers")) return nullptr;
  std::string parent = "/sys/fs/cgroup" + own;
  remove_stale_cgroups(parent);
  if (read_text(parent + "/cgroup.subtree_control").find("memory") == std::string::npos)
    write_text(parent + "/cgroup.subtree_control", "+memory");
  std::string dir = parent + "/" + unique_name();
  if (::mkdir(dir.c_str(), 0755) != 0) return nullptr;
  auto monitor = std::make_unique<CgroupMonitor>(dir, true);
  if (!exists(dir + "/memory.max") || !write_text(dir + "/memory.max", std::to_string(limit))) return nullptr;
  if (exists(dir + "/memory.swap.max")) write_text(dir + "/memory.swap.max", "0");
  monitor->set_has_peak(exists(dir + "/memory.peak"));
  return monitor;
}

// Where no cgroup is ours: sum the resident set of the process tree and kill
// the tree once it exceeds the limit.
class ResidentSetMonitor : public MemoryMonitor {
 public:
  explicit ResidentSetMonitor(std::uint64_t limit) : limit_(limit) {}
  void attach(pid_t pid) override { root_ = pid; }
  int sample_interval_ms() const override { return 10; }
  void sample() override {
    if (root_ <= 0) return;
    std::uint64_t now = tree_resident_bytes(root_);
    if (now > peak_) peak_ = now;
    if (now > limit_ && !oom_) {
      oom_ = true;
      kill_all();
    }
  }
  std::uint64_t peak_bytes() override {
    sample();
    return peak_;
  }
  bool out_of_memory() override { return oom_; }
  void kill_all() override {
    if (root_ > 0) ::kill(root_, SIGKILL);
  }
  std::vector<pid_t> members() override { return root_ > 0 ? process_tree(root_) : std::vector<pid_t>{}; }
  bool await_empty(std::chrono::steady_clock::time_point deadline) override {
    return root_ <= 0 || !await_exit(process_tree(root_), deadline) || process_tree(root_).empty();
  }
  std::string method() const override { return "resident set"; }

 private:
  std::uint64_t limit_;
  pid_t root_ = 0;
  std::uint64_t peak_ = 0;
  bool oom_ = false;
};

}  // namespace

std::vector<pid_t> process_tree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::string stat = read_text(std::string("/proc/") + e->d_name + "/stat");
      auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 2));
      char state = 0;
      long ppid = 0;
      rest >> state >> ppid;
      children.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(std::atol(e->d_name)));
    }
    ::closedir(proc);
  }
  std::vector<pid_t> tree;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t pid = todo.back();
    todo.pop_back();
    tree.push_back(pid);
    auto [from, to] = children.equal_range(pid);
    for (auto it = from; it != to; ++it) todo.push_back(it->second);
  }
  return tree;
}

std::uint64_t tree_resident_bytes(pid_t root) {
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::uint64_t total = 0;
  for (pid_t pid : process_tree(root)) {
    std::istringstream statm(read_text("/proc/" + std::to_string(pid) + "/statm"));
    std::uint64_t size = 0, resident = 0;
    if (statm >> size >> resident) total += resident * page;
  }
  return total;
}

std::unique_ptr<MemoryMonitor> make_memory_monitor(std::uint64_t limit_bytes, MemoryWatch mode) {
  if (mode == MemoryWatch::automatic) {
    if (auto v1 = cgroup_v1(limit_bytes)) return v1;
    if (auto v2 = cgroup_v2(limit_bytes)) return v2;
  }
  return std::make_unique<ResidentSetMonitor>(limit_bytes);
}

}  // namespace layered::sandbox
