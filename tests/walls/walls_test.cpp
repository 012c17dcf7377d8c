// Attacks on the sandbox's walls, run for real (bubblewrap, namespaces), as
// root when the suite runs as root (as CI does): the host's files and the
// state, the unprivileged user and Lambda's limits, environments started
// together, floods. The network's walls are in walls_network_test.cpp. Each
// attack is bounded in count and time and touches only its own processes
// and files.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "walls_fixture.hpp"

namespace fs = std::filesystem;
using namespace layered;
using layered::walls_test::serve_loop;
using layered::walls_test::Walls;

namespace {

// Every file under `dir`, with its mode and content: equal before and after
// means nothing in it was written, replaced or added.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    std::string state = std::to_string(static_cast<int>(entry.symlink_status().permissions()));
    if (entry.is_regular_file()) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      state += ":" + content.str();
    }
    files[fs::relative(entry.path(), dir).string()] = state;
  }
  return files;
}

long resident_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

TEST_F(Walls, UnprivilegedUserWithNoCapabilitiesAndLambdasLimits) {
  auto r = run(function("who",
                        "id -u; id -g\n"
                        "grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status\n"
                        "echo nofile=$(ulimit -n) nproc=$(ulimit -u)\n"
                        "ulimit -n 4096 2>/dev/null && echo raised-nofile\n"
                        "echo done"));
  EXPECT_NE(r.logs.find("\n993\n990\n"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("CapEff:\t0000000000000000"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("CapPrm:\t0000000000000000"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("CapBnd:\t0000000000000000"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("nofile=1024 nproc=1024"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("raised-nofile"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("done"), std::string::npos) << r.logs;
}

TEST_F(Walls, CodeUnderAPrivateDirectoryRunsAndAPrivateCodeDirectoryIsExplained) {
  // mkdtemp's directories and /root are 0700: the unprivileged user the
  // environment runs as must still see the function (staged as root).
  auto fn = function("private", "echo reachable; cat /var/task/data.txt");
  std::ofstream(root_ / "private/data.txt") << "data\n";
  fs::permissions(root_, fs::perms(0700));
  auto r = run(fn);
  fs::permissions(root_, fs::perms(0755));
  EXPECT_NE(r.logs.find("reachable\ndata\n"), std::string::npos) << r.logs;
  fs::permissions(root_ / "private", fs::perms(0700));
  auto refused = invoke::invoke_once(fn, "{}", options());
  fs::permissions(root_ / "private", fs::perms(0755));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("is not readable by the function's user (mode 0700)"),
            std::string::npos)
      << format_error(refused.error());
}

// Keyrings are not namespaced: a function that inherited the session
// keyring of whoever started the engine could read a login's secrets and
// leave keys behind for the next function.
TEST_F(Walls, TheEnginesSessionKeyringIsOutOfReach) {
  // This test's own session keyring, holding a secret, as a login's would.
  ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "layered-walls-test"), 0);
  ASSERT_GE(::syscall(SYS_add_key, "user", "host-login-secret", "HOST-SESSION-SECRET", 19,
                      KEY_SPEC_SESSION_KEYRING),
            0);
  auto fn = function("keys", "/var/task/probe keys\necho probed");
  fs::copy_file(WALLS_PROBE, root_ / "keys/probe");
  auto r = run(fn);
  EXPECT_NE(r.logs.find("probed"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("HOST-SESSION-SECRET"), std::string::npos) << r.logs;
  EXPECT_LT(::syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", "left-by-function", 0), 0)
      << "the function added a key to the engine's session keyring";
}

// What the namespaces leave shared: bubblewrap's init (a tracer could clear
// its die-with-parent signal and outlive the engine), io_uring (a second
// system call interface), vsock (the hypervisor's sockets). Lambda answers
// ptrace with EPERM as well.
TEST_F(Walls, SystemCallsTheNamespacesCannotCoverAreDenied) {
  auto fn = function("syscalls", "/var/task/probe ptrace io_uring vsock keys\necho probed");
  fs::copy_file(WALLS_PROBE, root_ / "syscalls/probe");
  auto r = run(fn);
  EXPECT_NE(r.logs.find("probed"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("ptrace: Operation not permitted"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("io_uring: Function not implemented"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("vsock: Address family not supported by protocol"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("keys: add: Operation not permitted"), std::string::npos) << r.logs;
  for (const char* reached : {"ATTACHED", "IO_URING", "VSOCK socket", "keys: added"})
    EXPECT_EQ(r.logs.find(reached), std::string::npos) << reached << "\n" << r.logs;
}

TEST_F(Walls, NoEscapeWritesAnythingOfTheHostOrTheState) {
  auto fn = function("escape",
                     "try() { \"$@\" >/dev/null 2>&1 && echo \"ESCAPED: $*\"; }\n"
                     "for d in /var/task /opt /usr/lib64/libc.so.6 /usr/libexec/busybox /; do\n"
                     "  try $BB mount -o remount,rw,bind $d\n"
                     "  try $BB mount -o remount,rw $d\n"
                     "done\n"
                     "try $BB mount -t tmpfs none /var/task\n"
                     "try $BB umount -l /opt\n"
                     "try $BB mknod /tmp/disk b 8 0\n"
                     "try $BB unshare -r -m -n true\n"
                     "try $BB unshare -U true\n"
                     "try $BB chroot /proc/1/root true\n"
                     "try $BB nsenter -t 1 -m true\n"
                     "for f in /var/task/marker /opt/marker /opt/bin/marker /usr/lib64/marker /marker "
                     "/proc/1/root/var/task/marker /proc/sys/kernel/hostname /dev/shm/fill /dev/marker; do\n"
                     "  (echo pwned > $f) 2>/dev/null && echo \"WROTE: $f\"\n"
                     "done\n"
                     "(echo pwned >> /opt/bin/busybox) 2>/dev/null && echo 'WROTE: busybox'\n"
                     "(echo pwned >> /usr/lib64/libc.so.6) 2>/dev/null && echo 'WROTE: libc'\n"
                     "echo x > /dev/null && echo devnull-writable\n"
                     "echo attempts-done");
  const auto code_before = snapshot(root_ / "escape");
  const auto layer_before = snapshot(root_ / "layer");
  auto r = run(fn);
  EXPECT_NE(r.logs.find("attempts-done"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("ESCAPED"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("WROTE"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("devnull-writable"), std::string::npos) << r.logs;
  EXPECT_EQ(snapshot(root_ / "escape"), code_before);
  EXPECT_EQ(snapshot(root_ / "layer"), layer_before);
  // The merged /opt in the cache holds links to the layer's files: unchanged too.
  for (const auto& entry : fs::recursive_directory_iterator(root_ / "cache"))
    EXPECT_NE(entry.path().filename(), "marker") << entry.path();
}

// Each environment's first process shares the engine's memory, and a change
// of ids clears that memory's "dumpable" flag for all of them at once: one
// raising its walls while another changes its ids must still succeed.
TEST_F(Walls, EnvironmentsStartedTogetherAllRaiseTheirWalls) {
  auto echo = function("echo", "echo started");
  constexpr int kThreads = 8;
  constexpr int kEach = 12;
  std::atomic<int> started{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = invoke::invoke_once(echo, "{}", options());
        if (!r.ok())
          failures[t] = format_error(r.error());
        else if (r->logs.find("started") != std::string::npos)
          ++started;
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_EQ(started, kThreads * kEach);
}

// The engine's peak resident growth while it lives, sampled every 20 ms.
class ResidentGrowth {
 public:
  ResidentGrowth()
      : before_(resident_kb()), peak_(before_), watch_([this] {
          while (!done_) {
            peak_ = std::max(peak_.load(), resident_kb());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~ResidentGrowth() { stop(); }
  ResidentGrowth(const ResidentGrowth&) = delete;
  ResidentGrowth& operator=(const ResidentGrowth&) = delete;
  long peak_kb() {
    stop();
    return peak_ - before_;
  }

 private:
  void stop() {
    done_ = true;
    if (watch_.joinable()) watch_.join();
  }
  long before_;
  std::atomic<long> peak_;
  std::atomic<bool> done_{false};
  std::thread watch_;
};

TEST_F(Walls, AnOutputFloodIsBoundedAndTheTimeoutStillFires) {
  auto fn = function("flood", "$BB yes 'flooding the engine with output' >&2");
  fn.timeout_s = 2;
  ResidentGrowth growth;
  // Init never ends (no GET /next), so the invoke's own timeout ends it.
  auto opts = options();
  opts.init_limit = std::chrono::milliseconds(100);
  auto started = std::chrono::steady_clock::now();
  auto r = invoke::invoke_once(fn, "{}", opts);
  auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(r->error_type, "Sandbox.Timedout");
  // The invoke's duration runs from its start to the timeout's verdict; the
  // whole call adds the init limit (0.1 s) and the sandbox's teardown.
  EXPECT_LT(r->report.duration_ms, 2000 + 250) << "timeout fired late";
  EXPECT_LT(took, 2100 + 1500);
  EXPECT_LT(r->logs.size(), 1200u * 1024) << "log not bounded";
  EXPECT_NE(r->logs.find("bytes of output dropped here]"), std::string::npos);
  EXPECT_NE(r->logs.find("REPORT RequestId:"), std::string::npos);
  EXPECT_LT(growth.peak_kb(), 64 * 1024) << "engine memory grew by " << growth.peak_kb() << " kB";
}

// The engine serves the Runtime API in its own thread: a runtime that floods
// it with connections, requests and endless bodies must neither hold the
// invoke past its timeout nor make the engine keep what it sends.
TEST_F(Walls, ARuntimeApiFloodIsBoundedAndTheTimeoutStillFires) {
  auto fn = function("api-flood",
                     "API='127.0.0.1 9001'\n"
                     "asks() { while :; do printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\n"
                     "Host: x\\r\\n\\r\\n' | $BB nc $API >/dev/null 2>&1; done; }\n"
                     "pours() { while :; do { printf 'POST /2018-06-01/runtime/invocation/x/response HTTP/1.1"
                     "\\r\\nHost: x\\r\\nContent-Length: 6291556\\r\\n\\r\\n'; $BB yes; } | $BB nc $API "
                     ">/dev/null 2>&1; done; }\n"
                     "for i in 1 2 3 4 5 6; do asks & done; for i in 1 2 3 4; do pours & done; wait");
  fn.timeout_s = 2;
  ResidentGrowth growth;
  auto r = invoke::invoke_once(fn, "{}", options());
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(r->error_type, "Sandbox.Timedout") << r->logs.substr(0, 2000);
  EXPECT_LT(r->report.duration_ms, 2000 + 250) << "timeout fired late";
  // At most 8 connections, each holding at most a 6 MB body.
  EXPECT_LT(growth.peak_kb(), 64 * 1024) << "engine memory grew by " << growth.peak_kb() << " kB";
}

TEST_F(Walls, ProcessesAreLimitedTo1024) {
  // The subshell stops at the first fork that fails; counting uses
  // builtins only, since nothing can fork while the sleepers live. busybox's
  // shell forks: bash (/bin/sh) keeps a table of its background jobs, and
  // 1,100 of them can take more than the 10 s of an init on a busy machine.
  auto fn = function("forks",
                     "export BB; $BB sh -c '( for i in $($BB seq 1 1100); do $BB sleep 30 & "
                     "echo $! >> /tmp/pids; done ) 2>/dev/null'\n"
                     "n=0; while read p; do n=$((n+1)); done < /tmp/pids; echo started=$n");
  // A thousand processes come close to 128 MB (1 run in 15-20 ended in
  // Runtime.OutOfMemory): the memory size must not be what stops them.
  fn.memory_mb = 512;
  auto r = run(fn);
  auto at = r.logs.find("started=");
  ASSERT_NE(at, std::string::npos) << r.logs.substr(0, 2000);
  int started = std::stoi(r.logs.substr(at + 8));
  EXPECT_LT(started, 1024);
  EXPECT_GT(started, 900);
}

// serve holds about nine descriptors per environment: past a hundred
// environments the engine has more than the 1,024 an environment may open,
// and the walls' child, which starts with a copy of them, must still raise
// its walls.
TEST_F(Walls, AnEngineHoldingManyDescriptorsStillStartsEnvironments) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max < 2048) GTEST_SKIP() << "the hard limit leaves no room for 1,100 descriptors";
  rlimit raised = before;
  raised.rlim_cur = 2048;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &raised), 0);
  std::vector<int> held;
  for (int i = 0; i < 1100; ++i) held.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto r = invoke::invoke_once(function("many", serve_loop("echo ok")), "{}", options());
  for (int fd : held) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &before);
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(r->payload, "ok\n") << r->logs;
}

// Without root an environment runs as the user who runs the engine: the
// 1,024-process limit must count the environment's processes, not every
// process of that user (a desktop's browser and editor are past 1,024).
TEST_F(Walls, WithoutRootTheProcessLimitCountsOnlyTheEnvironment) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  auto fn = function("busy-user", serve_loop("( $BB sleep 1 & wait ) && echo forked"));
  auto opts = options();
  fs::create_directories(opts.cache_dir);
  const uid_t nobody = 65534;
  for (const auto& dir :
       {root_, root_ / "busy-user", root_ / "layer", root_ / "layer/bin", fs::path(opts.cache_dir)})
    ASSERT_EQ(::chown(dir.c_str(), nobody, nobody), 0);
  // In a child, as nobody with 1,100 threads asleep: 0 the function forked,
  // 1 it did not.
  pid_t pid = ::fork();
  if (pid == 0) {
    // Dumpable again after the change of ids, as a user who logged in is.
    if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0 ||
        ::setresuid(nobody, nobody, nobody) != 0 || ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
      ::_exit(1);
    int hold[2];
    if (::pipe(hold) != 0) ::_exit(1);
    for (int i = 0; i < 1100; ++i) {
      pthread_t t;
      if (::pthread_create(
              &t, nullptr,
              [](void* fd) -> void* {
                char byte;
                (void)::read(*static_cast<int*>(fd), &byte, 1);
                return nullptr;
              },
              &hold[0]) != 0) {
        ::_exit(1);
      }
    }
    auto r = invoke::invoke_once(fn, "{}", opts);
    if (!r.ok()) std::fprintf(stderr, "%s\n", format_error(r.error()).c_str());
    ::_exit(r.ok() && r->payload == "forked\n" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(Walls, TmpIsOnDiskNotChargedToMemoryAndLimitedToEphemeralStorage) {
  if (::geteuid() != 0) GTEST_SKIP() << "disk-backed /tmp needs root (loop devices)";
  auto fn =
      function("tmp",
               "echo \"tmp=[$($BB ls -A /tmp)] mode=$($BB stat -c %a /tmp)\"\n"
               "$BB dd if=/dev/zero of=/tmp/big bs=1048576 count=160 2>/dev/null && echo wrote-160mb\n"
               "$BB dd if=/dev/zero of=/tmp/more bs=1048576 count=600 2>/tmp/err; tail -c 200 /tmp/err\n"
               "df -k /tmp | tail -1\n"
               "$BB grep ' /tmp ' /proc/self/mounts");
  fn.memory_mb = 64;
  fn.ephemeral_mb = 160;
  auto r = run(fn);
  // Lambda's /tmp: empty (no lost+found) and open to everyone.
  EXPECT_NE(r.logs.find("tmp=[] mode=1777"), std::string::npos) << r.logs;
  // All of EphemeralStorage, more than the memory size.
  EXPECT_NE(r.logs.find("wrote-160mb"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("No space left on device"), std::string::npos) << r.logs;
  EXPECT_EQ(r.error_type, "Runtime.ExitError") << r.logs;  // not Runtime.OutOfMemory
  // Without cache flushes: it dies with the environment (walls.cpp).
  EXPECT_NE(r.logs.find("ext4 rw,nosuid,nodev"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("nobarrier"), std::string::npos) << r.logs;
}

// A /tmp image that cannot be mounted (a damaged cache) fails the start with
// the step that failed, and no loop device stays attached.
TEST_F(Walls, ATmpFilesystemThatCannotBeMountedIsReportedAndLeavesNoLoopDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "disk-backed /tmp needs root (loop devices)";
  auto fn = function("corrupt", "echo never");
  fn.ephemeral_mb = 200;
  ASSERT_TRUE(invoke::invoke_once(fn, "{}", options()).ok());
  // The pristine image in the state's cache, damaged (no ext4 superblock).
  int damaged = 0;
  for (const auto& image : fs::directory_iterator(root_ / "cache/ephemeral")) {
    const auto size = fs::file_size(image.path());
    std::ofstream(image.path(), std::ios::binary | std::ios::trunc) << std::string(1 << 20, 'x');
    fs::resize_file(image.path(), size);
    ++damaged;
  }
  ASSERT_EQ(damaged, 1);
  auto r = invoke::invoke_once(fn, "{}", options());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("(mount /tmp)"), std::string::npos) << format_error(r.error());
  for (const auto& block : fs::directory_iterator("/sys/block")) {
    std::ifstream backing(block.path() / "loop/backing_file");
    std::string file;
    std::getline(backing, file);
    EXPECT_EQ(file.find(root_.string()), std::string::npos) << block.path() << " still holds " << file;
  }
}

}  // namespace
