// The network namespace, the disk-backed /tmp, the limits and the
// unprivileged user of one environment (see walls.hpp).
#include "sandbox/walls.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/if_tun.h>
#include <linux/loop.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include "sandbox/vfork_child.hpp"

namespace layered::sandbox {

namespace {

// ---- child half: system calls only ----

// Appends the decimal digits of `value` to `out` (no allocation).
char* append_number(char* out, unsigned long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
  return out;
}

char* append_text(char* out, const char* text) {
  while (*text) *out++ = *text++;
  *out = '\0';
  return out;
}

bool write_file(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  auto len = static_cast<ssize_t>(std::strlen(text));
  bool ok = ::write(fd, text, static_cast<size_t>(len)) == len;
  ::close(fd);
  return ok;
}

// "<inside> <outside> 1"
bool write_id_map(const char* path, unsigned long id) {
  char line[64];
  char* at = append_number(line, id);
  at = append_text(at, " ");
  at = append_number(at, id);
  append_text(at, " 1\n");
  return write_file(path, line);
}

// A new network namespace has loopback down.
bool loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &req) == 0;
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &req) == 0;
  ::close(fd);
  return ok;
}

// The environment's own user and network namespaces. The caller is an
// unprivileged user by now; its ids map onto themselves, so bubblewrap
// inside behaves as it would outside, and the namespaces belong to that
// user (the network stack joins them).
bool enter_namespaces(const WallsSpec& spec) {
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return false;
  const unsigned long uid = spec.as_root ? spec.host_uid : spec.own_uid;
  const unsigned long gid = spec.as_root ? spec.host_gid : spec.own_gid;
  return write_file("/proc/self/setgroups", "deny") && write_id_map("/proc/self/uid_map", uid) &&
         write_id_map("/proc/self/gid_map", gid);
}

// Where staged directories go, inside the child's own mount namespace.
constexpr const char* kStageDir = "/run";

// A private mount namespace with a small tmpfs on /run holding a bind of
// each directory bubblewrap needs, read-only, reachable by anyone.
bool stage_binds(const WallsSpec& spec) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (::mount("layered", kStageDir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") != 0) return false;
  for (int i = 0; i < spec.staged_count; ++i) {
    char target[64];
    append_number(append_text(append_text(target, kStageDir), "/b"), static_cast<unsigned long>(i));
    if (::mkdir(target, 0755) != 0) return false;
    if (::mount(spec.staged[i].source, target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
    if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) !=
        0)
      return false;
    int fd = ::open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::dup2(fd, spec.staged[i].slot) < 0) return false;
    ::close(fd);
  }
  return true;
}

// Attaches the image to a free loop device (detached again when the last
// mount of it goes, with this child's mount namespace) and mounts it.
bool mount_tmp(const WallsSpec& spec) {
  int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) return false;
  char device[64];
  int loop = -1;
  for (int attempt = 0; attempt < 64 && loop < 0; ++attempt) {
    long n = ::ioctl(control, LOOP_CTL_GET_FREE);
    if (n < 0) break;
    append_number(append_text(device, "/dev/loop"), static_cast<unsigned long>(n));
    loop = ::open(device, O_RDWR | O_CLOEXEC);
    if (loop < 0) continue;
    loop_config config{};
    config.fd = static_cast<__u32>(spec.tmp_backing_fd);
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    if (::ioctl(loop, LOOP_CONFIGURE, &config) == 0) break;
    ::close(loop);
    loop = -1;  // another environment took it first
  }
  ::close(control);
  if (loop < 0) return false;
  // The inode tables stay unwritten (the kernel would zero them in the
  // background: megabytes of writes for every environment).
  bool ok = (::mkdir(spec.tmp_mount_dir, 0755) == 0 || errno == EEXIST) &&
            ::mount(device, spec.tmp_mount_dir, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable") == 0;
  ::close(loop);
  ::close(spec.tmp_backing_fd);
  if (!ok) return false;
  // Empty and mode 1777 already (format_image).
  int dir = ::open(spec.tmp_mount_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  ok = ::dup2(dir, spec.tmp_fd_slot) >= 0;
  ::close(dir);
  return ok;
}

// Sends one or two descriptors in one message.
bool send_fds(int channel, const int* fds, int count) {
  char byte = 'S';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(static_cast<unsigned>(count) * sizeof(int));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(static_cast<unsigned>(count) * sizeof(int));
  std::memcpy(CMSG_DATA(c), fds, static_cast<std::size_t>(count) * sizeof(int));
  return ::sendmsg(channel, &msg, MSG_NOSIGNAL) == 1;
}

// A netlink socket of the current network namespace that hears IPv4 routes
// being added; bound before slirp4netns can configure anything.
int route_watch_socket() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_IPV4_ROUTE;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The child's sockets of its new network namespace, to the engine.
bool hand_over_sockets(const WallsSpec& spec) {
  int fds[2] = {::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1};
  if (spec.watch_routes) fds[1] = route_watch_socket();
  const int count = spec.watch_routes ? 2 : 1;
  bool ok = fds[0] >= 0 && (count == 1 || fds[1] >= 0) && send_fds(spec.control_fd, fds, count);
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  return ok;
}

// The tap device slirp4netns attaches to, made persistent first in the
// environment's network namespace: when slirp4netns exits, closing its
// descriptor then leaves the device alone instead of unregistering it, which
// waits out RCU grace periods (20 ms and more) before the exit completes.
// The device goes with the namespace, in the kernel's own cleanup. Root only
// (joining the namespace and /dev/net/tun, often 0600, need it); runs in the
// forked child that then execs slirp4netns, which must stay in this
// machine's namespace: false (the child must not exec) if it cannot return.
bool persistent_tap_in(pid_t pid) {
  char path[64];
  append_text(append_number(append_text(path, "/proc/"), static_cast<unsigned long>(pid)), "/ns/net");
  int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = ::open(path, O_RDONLY | O_CLOEXEC);
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

bool set_limit(int resource, long value) {
  rlimit limit{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  return ::setrlimit(resource, &limit) == 0;
}

// Changing ids makes a process non-dumpable, which would keep even its own
// user out of its namespaces: it is made dumpable again.
bool become_unprivileged(const WallsSpec& spec) {
  if (!spec.as_root) return true;
  return ::setgroups(0, nullptr) == 0 && ::setresgid(spec.host_gid, spec.host_gid, spec.host_gid) == 0 &&
         ::setresuid(spec.host_uid, spec.host_uid, spec.host_uid) == 0 &&
         ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0;
}

// ---- engine half ----

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

std::string find_e2fs_tool(const char* name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
    std::string path = std::string(dir) + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

// Runs `program` with its output discarded; true when it exits with 0.
bool run_quietly(const std::string& program, std::vector<std::string> args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Status format_image(const std::string& image, int size_mb) {
  std::string mke2fs = find_e2fs_tool("mke2fs");
  std::string debugfs = find_e2fs_tool("debugfs");
  if (mke2fs.empty() || debugfs.empty())
    return make_error("mke2fs or debugfs is not installed", "",
                      "install the 'e2fsprogs' package (scripts/setup.sh)");
  // No journal and lazy tables: the image is a few hundred kilobytes of
  // metadata however large the filesystem, so copying it is cheap.
  if (!run_quietly(mke2fs, {"mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal,^resize_inode", "-E",
                            "lazy_itable_init=1,nodiscard", "-m", "0", image, std::to_string(size_mb) + "M"}))
    return make_error("cannot format the /tmp image", image, "check that mke2fs works on this machine");
  // Lambda's /tmp as it is mounted: empty and open to everyone. Done here
  // once, not in each environment, where every metadata change is a round
  // trip through the loop device before the function may start.
  if (!run_quietly(debugfs, {"debugfs", "-w", "-R", "rmdir lost+found", image}) ||
      !run_quietly(debugfs, {"debugfs", "-w", "-R", "sif / mode 041777", image}))
    return make_error("cannot prepare the /tmp image", image, "check that debugfs works on this machine");
  return Ok{};
}

// The pristine image for `size_mb`, made once (atomically) and reused.
Result<std::string> pristine_image(const std::string& dir, int size_mb) {
  // "-empty": no lost+found, mode 1777 (images of earlier versions had both).
  std::string path = dir + "/ext4-" + std::to_string(size_mb) + "m-empty.img";
  if (::access(path.c_str(), R_OK) == 0) return path;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string partial =
      path + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  LAYERED_TRY(format_image(partial, size_mb));
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    ::unlink(partial.c_str());
    return make_error("cannot store the /tmp image: " + std::string(std::strerror(errno)), path);
  }
  return path;
}

// Copies only the data of `from` into `to`: the holes stay holes.
bool copy_sparse(int from, int to, off_t size) {
  off_t at = 0;
  while (at < size) {
    off_t data = ::lseek(from, at, SEEK_DATA);
    if (data < 0) break;  // ENXIO: no more data
    off_t hole = ::lseek(from, data, SEEK_HOLE);
    if (hole < 0) return false;
    loff_t in = data, out = data;
    while (in < hole) {
      auto n = ::copy_file_range(from, &in, to, &out, static_cast<size_t>(hole - in), 0);
      if (n <= 0) return false;
    }
    at = hole;
  }
  return ::ftruncate(to, size) == 0;
}

}  // namespace

int raise_walls(const WallsSpec& spec, const char** stage) {
  auto failed = [&](const char* name) {
    *stage = name;
    return errno != 0 ? errno : EPERM;
  };
  errno = 0;
  // Else the engine closing its end would never wake this child.
  ::close(spec.engine_fd);
  // What needs root comes first: the staged directories and /tmp's mount.
  if (spec.as_root && (::unshare(CLONE_NEWNS) != 0 || !stage_binds(spec))) return failed("stage the mounts");
  if (spec.tmp_backing_fd >= 0 && !mount_tmp(spec)) return failed("mount /tmp");
  if (!set_limit(RLIMIT_NOFILE, kMaxFileDescriptors) || !set_limit(RLIMIT_NPROC, kMaxProcesses))
    return failed("set the limits");
  if (!become_unprivileged(spec)) return failed("drop privileges");
  if (!enter_namespaces(spec)) return failed("create the network namespace");
  if (!loopback_up()) return failed("bring up loopback");
  if (!hand_over_sockets(spec)) return failed("hand over the Runtime API socket");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("forbid new privileges");
  return 0;
}

Result<NetworkSockets> receive_network_sockets(int control_fd, int timeout_ms) {
  pollfd p{control_fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return make_error("the environment did not set up its network in time");
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(control_fd, &msg, MSG_CMSG_CLOEXEC) != 1)
    return make_error("the environment failed to start");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return make_error("the environment sent no network socket");
  int fds[2] = {-1, -1};
  const std::size_t count = std::min<std::size_t>(2, (c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
  std::memcpy(fds, CMSG_DATA(c), count * sizeof(int));
  return NetworkSockets{fds[0], fds[1]};
}

uid_t environment_host_uid() {
  // 100,000,000 and up: above the subordinate-id ranges distributions hand
  // out (100,000 + 65,536 per user) and below the overflow ids.
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<uid_t>(100000000U + rng() % (1U << 24));
}

namespace {

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
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto body = [&] {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::fcntl(ready[1], F_SETFD, 0);
    ::fcntl(exit_pipe[0], F_SETFD, 0);
    if (spec.as_root && !persistent_tap_in(pid)) ::_exit(127);
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

bool disk_tmp_supported() {
  return ::geteuid() == 0 && ::access("/dev/loop-control", W_OK) == 0 && !find_e2fs_tool("mke2fs").empty() &&
         !find_e2fs_tool("debugfs").empty();
}

Result<int> tmp_backing_file(const std::string& dir, int size_mb) {
  auto pristine = pristine_image(dir, size_mb);
  if (!pristine) return pristine.error();
  int from = ::open(pristine->c_str(), O_RDONLY | O_CLOEXEC);
  if (from < 0)
    return make_error("cannot read the /tmp image: " + std::string(std::strerror(errno)), *pristine);
  // Unnamed: nothing is left on disk whatever happens to the engine.
  int to = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (to < 0) {
    ::close(from);
    return make_error("cannot create the /tmp image: " + std::string(std::strerror(errno)), dir);
  }
  bool ok = copy_sparse(from, to, static_cast<off_t>(size_mb) * 1024 * 1024);
  ::close(from);
  if (!ok) {
    ::close(to);
    return make_error("cannot copy the /tmp image: " + std::string(std::strerror(errno)), dir);
  }
  return to;
}

}  // namespace layered::sandbox
