// The walls around one environment that bubblewrap does not build itself
// (internal to sandbox). They are raised in the environment's first process,
// before it execs bubblewrap, so they hold whoever runs the engine:
//
// - a network namespace of its own, with only loopback up; the engine gets an
//   unbound TCP socket of that namespace and binds the Runtime API on it, so
//   the Runtime API is the only thing on the environment's loopback and no
//   other environment (or anything on the host's loopback) is reachable;
// - /tmp on a filesystem of its own, backed by a file on disk and limited to
//   EphemeralStorage (root only: it needs a loop device), never charged to
//   the memory size;
// - Lambda's limits: 1,024 file descriptors and 1,024 processes;
// - an unprivileged host user: bubblewrap then runs without privileges and
//   maps Lambda's sbx_user1051 (uid 993) onto that user, so nothing inside
//   holds a capability over anything of the host.
//
// Everything in the child half runs in a child that shares the memory of a
// multithreaded engine (vfork_child) until it execs: system calls only, no
// allocation.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/common.hpp"

namespace layered::sandbox {

// Lambda's limits inside an execution environment (lambda-facts.md).
constexpr long kMaxFileDescriptors = 1024;
constexpr long kMaxProcesses = 1024;

// A host directory the child binds where the unprivileged user can reach
// it, then puts on descriptor `slot` for bubblewrap's --ro-bind-fd.
struct StagedBind {
  const char* source = nullptr;
  int slot = -1;
};

// The environment's network device for slirp4netns (outbound network).
constexpr const char* kTapDevice = "tap0";

// Where a disk-backed /tmp is mounted, inside the child's staging tmpfs.
constexpr const char* kStagedTmp = "/run/tmp";

// Chosen by the engine before fork; read by the child.
struct WallsSpec {
  bool as_root = false;  // the engine runs as root: drop to `host_uid`
  uid_t host_uid = 0;    // the unprivileged user the environment runs as
  gid_t host_gid = 0;
  uid_t own_uid = 0;  // the engine's own ids (for the non-root maps)
  gid_t own_gid = 0;
  // Also hand the engine a netlink socket of the namespace that hears its
  // routes being added (see await_outbound_network).
  bool watch_routes = false;
  int control_fd = -1;                  // child's end of a socketpair with the engine
  int engine_fd = -1;                   // the engine's end: the child closes its copy
  int tmp_backing_fd = -1;              // a formatted filesystem image, or -1 (tmpfs)
  const char* tmp_mount_dir = nullptr;  // an empty directory to mount it on
  int tmp_fd_slot = -1;                 // the descriptor number bubblewrap's --bind-fd names
  // As root: the directories bubblewrap binds, staged in a private mount
  // namespace under /run (their parents may be closed to the unprivileged
  // user, as /root and mkdtemp's directories are).
  const StagedBind* staged = nullptr;
  int staged_count = 0;
};

// Child half: raises the walls. Returns 0, or the errno of the step that
// failed with `*stage` set to a word naming it.
int raise_walls(const WallsSpec& spec, const char** stage);
// Child half, the last step before exec: Lambda's limits on descriptors and
// processes. Last, because this child holds a copy of the engine's
// descriptors (past 1,024 under serve) until exec; and after the user
// namespace exists, so that its processes count against the limit within it,
// not with every process of a user who runs the engine without root.
bool lower_limits();

// Engine half, once vfork_child has returned (the child has exec'd or died):
// frees what the child may still hold for changing its ids, as a child
// killed at that moment would otherwise hold it for good.
void walls_child_gone(pid_t child);

// What the child hands the engine from inside its network namespace.
struct NetworkSockets {
  int runtime_api = -1;  // an unbound TCP socket
  int routes = -1;       // with WallsSpec::watch_routes: netlink, IPv4 route events
};

// Engine half: receives the environment's sockets from the child (waiting
// at most `timeout_ms`), or an error when the child failed first.
Result<NetworkSockets> receive_network_sockets(int control_fd, int timeout_ms);

// A new, unnamed file in `dir` holding an empty filesystem with
// `ephemeral_mb` free, copied from a pristine image kept in `dir` (made once
// per size with mke2fs). -1 and an error when the machine cannot provide one.
Result<int> tmp_backing_file(const std::string& dir, int ephemeral_mb);

// The user-mode network stack (slirp4netns) that connects an environment
// to the outside: its own host loopback disabled, nothing forwarded in.
struct OutboundNetwork {
  pid_t pid = 0;      // 0: none
  int exit_fd = -1;   // slirp4netns exits when this closes (or the engine dies)
  int ready_fd = -1;  // readable once the interface is up (until awaited)
};

// Whether this user can have an outbound network (checked before a sandbox
// is laid out): without root, slirp4netns needs /dev/net/tun.
Status outbound_network_usable(bool as_root);
// Starts connecting the network namespace of `pid` to the outside. None
// (pid 0) when slirp4netns is not installed.
Result<OutboundNetwork> start_outbound_network(pid_t pid, const WallsSpec& spec);
// Waits until its interface is up; on failure, stops it. With `routes_fd`
// (NetworkSockets::routes), returns as soon as slirp4netns has configured the
// interface (its default route exists), about a millisecond before it says
// "ready" (it builds its own sandbox and seccomp filter in between): the
// tap device is attached by then, so what the function sends meanwhile
// waits in the device's queue for slirp4netns to read it. `ready_fd` stays
// open for confirm_outbound_network.
Status await_outbound_network(OutboundNetwork& network, int routes_fd = -1);
// Waits at most `timeout_ms` for a network released early by
// await_outbound_network to say "ready": an error when slirp4netns failed
// or has not said it in time. Ok at once when there is nothing to wait for.
Status confirm_outbound_network(OutboundNetwork& network, int timeout_ms);
// Tells slirp4netns to go without waiting for it, first, to overlap its exit
// with the rest of a teardown. (As root the tap device is persistent, so its
// exit no longer unregisters the device and waits out RCU grace periods.)
void end_outbound_network(OutboundNetwork& network);
// Ends it (if not yet) and reaps it.
void stop_outbound_network(OutboundNetwork& network);

// True where /tmp can be disk-backed (root, loop devices, mke2fs and debugfs).
bool disk_tmp_supported();

}  // namespace layered::sandbox
