// The walls' child: the network namespace, the disk-backed /tmp's mount,
// the limits and the unprivileged user of one environment, and the engine's
// side of its hand-over (see walls.hpp).
#include "sandbox/walls.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <linux/keyctl.h>
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
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>

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
  // background: megabytes of writes for every environment). No cache
  // flushes: the filesystem dies with the environment, and each flush (ext4
  // writes its superblock at mount and unmount, and on a function's fsync)
  // would flush the disk the state lives on, 0.3-0.5 ms a time here.
  bool ok = (::mkdir(spec.tmp_mount_dir, 0755) == 0 || errno == EEXIST) &&
            ::mount(device, spec.tmp_mount_dir, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable,nobarrier") == 0;
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

// The environment's own user namespace. The caller is an unprivileged user
// by now; its ids map onto themselves, so bubblewrap inside behaves as it
// would outside, and the namespace belongs to that user (the network stack
// joins the network namespace it will own).
bool enter_user_namespace(const WallsSpec& spec) {
  if (::unshare(CLONE_NEWUSER) != 0) return false;
  const unsigned long uid = spec.as_root ? spec.host_uid : spec.own_uid;
  const unsigned long gid = spec.as_root ? spec.host_gid : spec.own_gid;
  return write_file("/proc/self/setgroups", "deny") && write_id_map("/proc/self/uid_map", uid) &&
         write_id_map("/proc/self/gid_map", gid);
}

// The child shares the engine's memory (vfork_child), and with it the
// "dumpable" flag, which a change of ids clears. Another walls' child that
// opens its /proc/self/uid_map meanwhile finds it owned by root and is
// refused, so one child at a time goes from changing its ids to writing its
// maps. The word holds that child's id (see walls_child_gone).
alignas(4) pid_t ids_holder = 0;

void hold_ids_change() {
  const auto self = static_cast<pid_t>(::syscall(SYS_gettid));
  std::atomic_ref<pid_t> holder(ids_holder);
  for (;;) {
    pid_t seen = 0;
    if (holder.compare_exchange_strong(seen, self)) return;
    ::syscall(SYS_futex, &ids_holder, FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
  }
}

void release_ids_change(pid_t child) {
  if (std::atomic_ref<pid_t>(ids_holder).compare_exchange_strong(child, 0))
    ::syscall(SYS_futex, &ids_holder, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

bool change_ids(const WallsSpec& spec) {
  hold_ids_change();
  const bool ok = become_unprivileged(spec) && enter_user_namespace(spec);
  const int error = errno;
  release_ids_change(static_cast<pid_t>(::syscall(SYS_gettid)));
  errno = error;
  return ok;
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
  if (!change_ids(spec)) return failed("drop privileges and create the user namespace");
  // Keyrings are not namespaced: the session keyring inherited from whoever
  // started the engine (a login's, with its secrets) is left for a new one.
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS)
    return failed("leave the engine's session keyring");
  if (::unshare(CLONE_NEWNET) != 0) return failed("create the network namespace");
  if (!loopback_up()) return failed("bring up loopback");
  if (!hand_over_sockets(spec)) return failed("hand over the Runtime API socket");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("forbid new privileges");
  return 0;
}

bool lower_limits() {
  return set_limit(RLIMIT_NOFILE, kMaxFileDescriptors) && set_limit(RLIMIT_NPROC, kMaxProcesses);
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

void walls_child_gone(pid_t child) { release_ids_change(child); }

uid_t new_host_uid() {
  // 100,000,000 and up: above the subordinate-id ranges distributions hand
  // out (100,000 + 65,536 per user) and below the overflow ids.
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<uid_t>(100000000U + rng() % (1U << 24));
}

}  // namespace layered::sandbox
