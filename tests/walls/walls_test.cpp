// Attacks on the sandbox's walls, run for real (bubblewrap, namespaces,
// loopback), as root when the suite runs as root (as CI does). Each attack
// is a small shell bootstrap with busybox from a layer; each is bounded in
// count and time and touches only its own processes and files.
#include <arpa/inet.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "image/image.hpp"
#include "invoke/invoke.hpp"

namespace fs = std::filesystem;
using namespace layered;

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

// A TCP listener on one of this machine's addresses (loopback by default)
// that counts connections and closes each at once.
class HostListener {
 public:
  explicit HostListener(const std::string& address = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      ADD_FAILURE() << "cannot listen on " << address;
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
          int c = ::accept(fd_, nullptr, nullptr);
          if (c >= 0) {
            ++accepted_;
            ::close(c);
          }
        }
      }
    });
  }
  ~HostListener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class Walls : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("walls-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "layer/bin");
    fs::copy_file(image::host_busybox(), root_ / "layer/bin/busybox");
    fs::permissions(root_ / "layer/bin/busybox", fs::perms(0755));
  }
  void TearDown() override { fs::remove_all(root_); }

  // A function whose bootstrap is `script` (busybox at $BB).
  model::Function function(const std::string& name, const std::string& script) {
    fs::create_directories(root_ / name);
    auto path = root_ / name / "bootstrap";
    std::ofstream(path) << "#!/bin/sh\nBB=/opt/bin/busybox\n" << script << "\n";
    fs::permissions(path, fs::perms(0755));
    model::Function s;
    s.name = name;
    s.arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
    s.code_dir = (root_ / name).string();
    s.layers.push_back({"arn:aws:lambda:us-east-1:123456789012:layer:bb:1", (root_ / "layer").string()});
    s.timeout_s = 10;
    return s;
  }
  invoke::Options options() {
    invoke::Options o;
    o.cache_dir = (root_ / "cache").string();
    o.outbound_network = false;
    return o;
  }
  invoke::InvokeResult run(const model::Function& s, const std::string& event = "{}") {
    auto r = invoke::invoke_once(s, event, options());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.error()));
    return r.ok() ? *r : invoke::InvokeResult{};
  }

  fs::path root_;
};

// A Runtime API loop in busybox sh: answers each event with `answer`.
std::string serve_loop(const std::string& answer) {
  return "API=http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\n"
         "while true; do\n"
         "  $BB wget -S -q -O /tmp/event $API/invocation/next 2>/tmp/headers || exit 1\n"
         "  ID=$(sed -n 's/^ *[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' /tmp/headers | tr -d "
         "'\\r')\n"
         "  " +
         answer +
         " > /tmp/out\n"
         "  $BB wget -q -O /dev/null --post-file /tmp/out $API/invocation/$ID/response\n"
         "done\n";
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
                     "/proc/1/root/var/task/marker /proc/sys/kernel/hostname; do\n"
                     "  (echo pwned > $f) 2>/dev/null && echo \"WROTE: $f\"\n"
                     "done\n"
                     "(echo pwned >> /opt/bin/busybox) 2>/dev/null && echo 'WROTE: busybox'\n"
                     "(echo pwned >> /usr/lib64/libc.so.6) 2>/dev/null && echo 'WROTE: libc'\n"
                     "echo attempts-done");
  const auto code_before = snapshot(root_ / "escape");
  const auto layer_before = snapshot(root_ / "layer");
  auto r = run(fn);
  EXPECT_NE(r.logs.find("attempts-done"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("ESCAPED"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("WROTE"), std::string::npos) << r.logs;
  EXPECT_EQ(snapshot(root_ / "escape"), code_before);
  EXPECT_EQ(snapshot(root_ / "layer"), layer_before);
  // The merged /opt in the cache holds links to the layer's files: unchanged too.
  for (const auto& entry : fs::recursive_directory_iterator(root_ / "cache"))
    EXPECT_NE(entry.path().filename(), "marker") << entry.path();
}

TEST_F(Walls, AFunctionCannotStealAnotherFunctionsInvocation) {
  // The thief scans every TCP listener it can see for a bounded time and
  // asks each for an invocation, printing whatever it gets.
  auto thief = function(
      "thief",
      "end=$(( $(date +%s) + 4 ))\n"
      "while [ $(date +%s) -lt $end ]; do\n"
      "  for f in /proc/net/tcp /proc/net/tcp6; do\n"
      "    for hexport in $(awk '$4 == \"0A\" {split($2, a, \":\"); print a[2]}' $f 2>/dev/null); do\n"
      "      port=$(printf '%d' 0x$hexport)\n"
      "      [ $port = 9001 ] && continue\n"
      "      echo \"LISTENER $port\"\n"
      "      $BB timeout 1 $BB wget -q -O - "
      "http://127.0.0.1:$port/2018-06-01/runtime/invocation/next 2>/dev/null\n"
      "    done\n"
      "  done\n"
      "  sleep 0.2\n"
      "done\n"
      "echo scan-done");
  auto victim = function("victim", serve_loop("cat /tmp/event"));
  invoke::InvokeResult stolen;
  std::thread scan([&] { stolen = run(thief); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string secret = R"({"secret":"victims-own-payload-7c1e"})";
  auto own = run(victim, secret);
  scan.join();
  EXPECT_EQ(own.payload, secret) << own.logs;
  EXPECT_EQ(own.function_error, "");
  EXPECT_NE(stolen.logs.find("scan-done"), std::string::npos) << stolen.logs;
  EXPECT_EQ(stolen.logs.find("victims-own-payload"), std::string::npos) << stolen.logs;
  EXPECT_EQ(stolen.logs.find("LISTENER"), std::string::npos) << stolen.logs;
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

TEST_F(Walls, TheHostsLoopbackIsUnreachable) {
  HostListener host;
  const std::string port = std::to_string(host.port());
  auto r = run(function("reach", "$BB timeout 2 $BB nc -w 1 127.0.0.1 " + port +
                                     " </dev/null && echo REACHED-LOOPBACK\n"
                                     "$BB timeout 2 $BB wget -q -T 1 -O /dev/null http://127.0.0.1:" +
                                     port +
                                     "/ 2>/dev/null; echo tried\n"
                                     "$BB ip -o link 2>/dev/null | $BB awk '{print $2}'"));
  EXPECT_NE(r.logs.find("tried"), std::string::npos) << r.logs;
  EXPECT_EQ(r.logs.find("REACHED"), std::string::npos) << r.logs;
  EXPECT_EQ(host.accepted(), 0);
}

// This machine's first non-loopback IPv4 address, or "".
std::string host_address() {
  std::string out;
  FILE* p = ::popen(
      "ip -o -4 addr show scope global 2>/dev/null | awk '{split($4, a, \"/\"); print a[1]; exit}'", "r");
  if (!p) return out;
  char line[64] = {};
  if (std::fgets(line, sizeof line, p)) out = line;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

TEST_F(Walls, OutboundNetworkReachesTheWorldButNotTheHostsLoopback) {
  if (::access("/usr/bin/slirp4netns", X_OK) != 0) GTEST_SKIP() << "slirp4netns is not installed";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is not open to this user";
  const std::string address = host_address();
  if (address.empty()) GTEST_SKIP() << "this machine has no non-loopback address";
  HostListener loopback;
  HostListener outside(address);
  const std::string script = "$BB timeout 2 $BB nc -w 1 " + address + " " + std::to_string(outside.port()) +
                             " </dev/null && echo REACHED-OUTSIDE\n"
                             "$BB timeout 2 $BB nc -w 1 127.0.0.1 " +
                             std::to_string(loopback.port()) +
                             " </dev/null 2>/dev/null && echo REACHED-LOOPBACK\n"
                             "echo tried";
  auto fn = function("outbound", script);
  auto opts = options();
  opts.outbound_network = true;
  auto on = invoke::invoke_once(fn, "{}", opts);
  ASSERT_TRUE(on.ok()) << format_error(on.error());
  EXPECT_NE(on->logs.find("REACHED-OUTSIDE"), std::string::npos) << on->logs;
  EXPECT_EQ(on->logs.find("REACHED-LOOPBACK"), std::string::npos) << on->logs;
  EXPECT_EQ(loopback.accepted(), 0);
  const int reached = outside.accepted();
  EXPECT_GE(reached, 1);
  opts.outbound_network = false;
  auto off = invoke::invoke_once(fn, "{}", opts);
  ASSERT_TRUE(off.ok());
  EXPECT_NE(off->logs.find("tried"), std::string::npos) << off->logs;
  EXPECT_EQ(off->logs.find("REACHED"), std::string::npos) << off->logs;
  EXPECT_EQ(outside.accepted(), reached);
}

// The bootstrap runs once the network helper has configured the interface,
// before it says "ready": a helper that then dies must fail the invocation,
// not leave the function running without a network.
TEST_F(Walls, ANetworkHelperThatDiesAfterConfiguringFailsTheInvocation) {
  if (::geteuid() != 0) GTEST_SKIP() << "configuring the environment's namespace from outside needs root";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/net/tun is not open to this user";
  if (::access("/usr/bin/nsenter", X_OK) != 0) GTEST_SKIP() << "nsenter is not installed";
  // Called as slirp4netns is (... PID TAP): configures the tap device as
  // slirp4netns does, then exits without saying "ready" on --ready-fd.
  const fs::path helper = root_ / "dying-network-helper";
  std::ofstream(helper) << R"(#!/bin/sh
eval pid=\${$(($# - 1))}
nsenter --net=/proc/$pid/ns/net sh -c \
  'ip link set tap0 up && ip addr add 10.0.2.100/24 dev tap0 && ip route add default via 10.0.2.2' || exit 1
sleep 0.5
exit 1
)";
  fs::permissions(helper, fs::perms(0755));
  ::setenv("LAYERED_SLIRP4NETNS", helper.c_str(), 1);
  auto opts = options();
  opts.outbound_network = true;
  auto r = invoke::invoke_once(function("answers", serve_loop("echo ok")), "{}", opts);
  ::unsetenv("LAYERED_SLIRP4NETNS");
  ASSERT_FALSE(r.ok()) << r->payload << "\n" << r->logs;
  EXPECT_NE(r.error().message.find("did not bring the environment's network up"), std::string::npos)
      << format_error(r.error());
}

// Without root, slirp4netns opens /dev/net/tun itself: where this user
// cannot, the invocation says so before laying anything out.
TEST_F(Walls, WithoutRootAClosedTunDeviceIsNamed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  if (::access("/usr/bin/slirp4netns", X_OK) != 0) GTEST_SKIP() << "slirp4netns is not installed";
  auto fn = function("unreachable", serve_loop("echo ok"));
  auto opts = options();
  opts.outbound_network = true;
  fs::create_directories(opts.cache_dir);
  const uid_t nobody = 65534;
  ASSERT_EQ(::chown(opts.cache_dir.c_str(), nobody, nobody), 0);
  // In a child, as nobody: 0 named the device, 2 the device is open to nobody
  // here (nothing to test), 1 anything else.
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(nobody, nobody, nobody) != 0 ||
        ::setresuid(nobody, nobody, nobody) != 0)
      ::_exit(1);
    if (::access("/dev/net/tun", R_OK | W_OK) == 0) ::_exit(2);
    auto r = invoke::invoke_once(fn, "{}", opts);
    const bool named = !r.ok() && r.error().message.find("/dev/net/tun") != std::string::npos &&
                       r.error().hint.find("--no-network") != std::string::npos;
    ::_exit(named ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) GTEST_SKIP() << "/dev/net/tun is open to every user here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
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
  // builtins only, since nothing can fork while the sleepers live.
  auto fn = function("forks",
                     "( for i in $(seq 1 1100); do $BB sleep 30 & echo $! >> /tmp/pids; done ) 2>/dev/null\n"
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

TEST_F(Walls, TmpIsOnDiskNotChargedToMemoryAndLimitedToEphemeralStorage) {
  if (::geteuid() != 0) GTEST_SKIP() << "disk-backed /tmp needs root (loop devices)";
  auto fn =
      function("tmp",
               "echo \"tmp=[$($BB ls -A /tmp)] mode=$($BB stat -c %a /tmp)\"\n"
               "$BB dd if=/dev/zero of=/tmp/big bs=1048576 count=96 2>/dev/null && echo wrote-96mb\n"
               "$BB dd if=/dev/zero of=/tmp/more bs=1048576 count=600 2>/tmp/err; tail -c 200 /tmp/err\n"
               "df -k /tmp | tail -1");
  fn.memory_mb = 64;
  fn.ephemeral_mb = 160;
  auto r = run(fn);
  // Lambda's /tmp: empty (no lost+found) and open to everyone.
  EXPECT_NE(r.logs.find("tmp=[] mode=1777"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("wrote-96mb"), std::string::npos) << r.logs;
  EXPECT_NE(r.logs.find("No space left on device"), std::string::npos) << r.logs;
  EXPECT_EQ(r.error_type, "Runtime.ExitError") << r.logs;  // not Runtime.OutOfMemory
}

}  // namespace
