// Attacks on the walls of an environment's network, run for real: another
// environment's Runtime API, the host's loopback, the outbound network
// through slirp4netns and what happens when it fails. As root when the suite
// runs as root (as CI does); each attack is bounded in count and time.
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
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "walls_fixture.hpp"

namespace fs = std::filesystem;
using namespace layered;
using layered::walls_test::serve_loop;
using layered::walls_test::Walls;

namespace {

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

}  // namespace
