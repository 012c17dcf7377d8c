// The user-mode network stack (slirp4netns) that connects an environment's
// network namespace to the outside (see walls.hpp).
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/vfork_child.hpp"
#include "sandbox/walls.hpp"

namespace layered::sandbox {

namespace {

// The tap device slirp4netns attaches to, made persistent first in the
// environment's network namespace: when slirp4netns exits, closing its
// descriptor then leaves the device alone instead of unregistering it, which
// waits out RCU grace periods (20 ms and more) before the exit completes.
// The device goes with the namespace, in the kernel's own cleanup. Root only
// (joining the namespace and /dev/net/tun, often 0600, need it); runs in the
// child that then execs slirp4netns, which must stay in this
// machine's namespace: false (the child must not exec) if it cannot return.
bool persistent_tap_in(const char* netns_path) {
  int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = ::open(netns_path, O_RDONLY | O_CLOEXEC);
  bool back = true;
  if (home >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    ifreq req{};
    std::strncpy(req.ifr_name, kTapDevice, IFNAMSIZ - 1);
    req.ifr_flags = IFF_TAP | IFF_NO_PI;  // as slirp4netns opens it
    if (fd >= 0 && ::ioctl(fd, TUNSETIFF, &req) == 0) (void)::ioctl(fd, TUNSETPERSIST, 1);
    if (fd >= 0) ::close(fd);
    back = ::setns(home, CLONE_NEWNET) == 0;
  }
  if (home >= 0) ::close(home);
  if (target >= 0) ::close(target);
  return back;
}

// How long slirp4netns may take to bring an environment's network up.
constexpr std::chrono::milliseconds kNetworkStartLimit{5000};

int ms_until(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

Error network_failure() {
  return make_error("slirp4netns did not bring the environment's network up", "",
                    "run with --no-network, or check that slirp4netns works on this machine");
}

// Reads the route events waiting on `fd`: true once one adds an IPv4
// default route to the main table, slirp4netns's last configuring step.
bool default_route_added(int fd) {
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return false;
    auto left = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) continue;
      const auto* route = static_cast<const rtmsg*>(NLMSG_DATA(h));
      if (route->rtm_family == AF_INET && route->rtm_dst_len == 0 && route->rtm_table == RT_TABLE_MAIN)
        return true;
    }
  }
}

// LAYERED_SLIRP4NETNS: another network helper with slirp4netns's command
// line (the tests use one that fails after configuring the interface).
const char* network_helper() {
  const char* chosen = std::getenv("LAYERED_SLIRP4NETNS");
  return chosen && *chosen ? chosen : "/usr/bin/slirp4netns";
}

}  // namespace

Status outbound_network_usable(bool as_root) {
  if (as_root || ::access(network_helper(), X_OK) != 0) return Ok{};
  // Without root, slirp4netns opens the device itself, inside the namespace.
  if (::access("/dev/net/tun", R_OK | W_OK) == 0) return Ok{};
  return make_error("the outbound network needs /dev/net/tun, which this user cannot open", "/dev/net/tun",
                    "run with --no-network, or open the device to this user (most distributions make it "
                    "mode 0666)");
}

Result<OutboundNetwork> start_outbound_network(pid_t pid, const WallsSpec& spec) {
  const char* slirp = network_helper();
  // Made here: the child may not allocate.
  const std::string netns_path = "/proc/" + std::to_string(pid) + "/ns/net";
  if (::access(slirp, X_OK) != 0) return OutboundNetwork{};
  int ready[2], exit_pipe[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return make_error("cannot create a pipe for slirp4netns");
  if (::pipe2(exit_pipe, O_CLOEXEC) != 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return make_error("cannot create a pipe for slirp4netns");
  }
  std::vector<std::string> args = {slirp,
                                   "--configure",
                                   "--mtu=65520",
                                   "--disable-host-loopback",
                                   "--enable-sandbox",
                                   "--enable-seccomp",
                                   "--ready-fd=" + std::to_string(ready[1]),
                                   "--exit-fd=" + std::to_string(exit_pipe[0])};
  if (!spec.as_root) args.push_back("--userns-path=/proc/" + std::to_string(pid) + "/ns/user");
  args.push_back(std::to_string(pid));
  args.push_back(kTapDevice);
  auto argv = exec_args(args);
  auto body = [&] {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::fcntl(ready[1], F_SETFD, 0);
    ::fcntl(exit_pipe[0], F_SETFD, 0);
    if (spec.as_root && !persistent_tap_in(netns_path.c_str())) ::_exit(127);
    ::execv(slirp, argv.data());
    ::_exit(127);
  };
  pid_t child = vfork_child(body);
  ::close(ready[1]);
  ::close(exit_pipe[0]);
  if (child < 0) {
    ::close(ready[0]);
    ::close(exit_pipe[1]);
    return make_error("cannot start slirp4netns: " + std::string(std::strerror(errno)));
  }
  return OutboundNetwork{child, exit_pipe[1], ready[0]};
}

Status await_outbound_network(OutboundNetwork& network, int routes_fd) {
  if (network.pid <= 0 || network.ready_fd < 0) return Ok{};
  // The function's first connect must not race the interface's set-up.
  const auto deadline = std::chrono::steady_clock::now() + kNetworkStartLimit;
  for (;;) {
    pollfd p[2] = {{network.ready_fd, POLLIN, 0}, {routes_fd, POLLIN, 0}};
    if (::poll(p, 2, ms_until(deadline)) <= 0) break;
    if (p[0].revents != 0) return confirm_outbound_network(network, 0);
    if (p[1].revents != 0 && default_route_added(routes_fd)) return Ok{};
  }
  stop_outbound_network(network);
  return network_failure();
}

Status confirm_outbound_network(OutboundNetwork& network, int timeout_ms) {
  if (network.pid <= 0 || network.ready_fd < 0) return Ok{};
  pollfd p{network.ready_fd, POLLIN, 0};
  char byte = 0;
  bool up = ::poll(&p, 1, timeout_ms) > 0 && ::read(network.ready_fd, &byte, 1) == 1;
  ::close(std::exchange(network.ready_fd, -1));
  if (up) return Ok{};
  stop_outbound_network(network);
  return network_failure();
}

void end_outbound_network(OutboundNetwork& network) {
  if (network.pid <= 0 || network.exit_fd < 0) return;
  ::close(network.exit_fd);  // slirp4netns exits when this closes
  network.exit_fd = -1;
  ::kill(network.pid, SIGKILL);
}

void stop_outbound_network(OutboundNetwork& network) {
  if (network.pid <= 0) return;
  if (network.ready_fd >= 0) ::close(network.ready_fd);
  end_outbound_network(network);
  ::waitpid(network.pid, nullptr, 0);
  network = {};
}

}  // namespace layered::sandbox
