// Starting, watching and ending the environment's process, with or without
// bubblewrap around it.
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "sandbox/memory.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/vfork_child.hpp"
#include "sandbox/walls.hpp"

namespace layered::sandbox {

namespace {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=value
  std::vector<int> keep_fds;
  std::string cwd;
  std::string join_file;  // the memory cgroup's file the child joins it by
  bool new_session = false;
  std::optional<WallsSpec> walls;  // raised in the child (bubblewrap only)
  bool outbound_network = false;
  // Read one byte from this descriptor before exec (a held start without
  // bubblewrap, which holds with --block-fd instead); -1: none.
  int hold_fd = -1;
};

struct Child {
  pid_t pid = -1;
  int exit_fd = -1;
  int output_fd = -1;
  OutboundNetwork network;  // when the environment reaches the outside
  int release_fd = -1;      // the write end of a held start's hold pipe
};

// A pipe whose read end the sandbox blocks on until the engine writes to (or
// closes) the write end.
struct HoldPipe {
  int read_end = -1;
  int write_end = -1;
  ~HoldPipe() {
    for (int fd : {read_end, write_end})
      if (fd >= 0) ::close(fd);
  }
};

Status open_hold_pipe(bool held, HoldPipe& pipe) {
  int fds[2];
  if (!held) return Ok{};
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  pipe.read_end = fds[0];
  pipe.write_end = fds[1];
  return Ok{};
}

// What a failed child reports through its error pipe. `wall` points to a
// string literal, which is at the same address in parent and child.
struct ChildFailure {
  int stage = 0;
  int error = 0;
  const char* wall = nullptr;
};

// The stage a held child reports before it waits: not a failure.
constexpr int kHeld = -1;

// Runs in the forked child: only async-signal-safe calls.
[[noreturn]] void exec_child(const SpawnSpec& spec, char* const* argv, char* const* envp, int out_w,
                             int err_w) {
  auto fail = [err_w](int stage, const char* wall = nullptr) {
    ChildFailure info{stage, errno, wall};
    (void)!::write(err_w, &info, sizeof info);
    ::_exit(127);
  };
  if (!spec.join_file.empty()) {
    // "0" is the writer itself (see MemoryMonitor::join_file).
    int fd = ::open(spec.join_file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) fail(1);
    ::close(fd);
  }
  if (spec.walls) {
    const char* wall = nullptr;
    if (int error = raise_walls(*spec.walls, &wall); error != 0) {
      errno = error;
      fail(5, wall);
    }
  }
  if (spec.new_session) ::setsid();
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(out_w, 2) < 0) fail(2);
  // Whatever another thread of the engine opened without O_CLOEXEC (a
  // connection of another environment's Runtime API) must not reach this one.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  for (int fd : spec.keep_fds) ::fcntl(fd, F_SETFD, 0);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail(3);
  if (spec.hold_fd >= 0) {
    // The engine waits for exec to close the error pipe; say "held" instead.
    ChildFailure held{kHeld, 0, nullptr};
    (void)!::write(err_w, &held, sizeof held);
    char go = 0;
    (void)!::read(spec.hold_fd, &go, 1);
    ::close(spec.hold_fd);
  }
  if (spec.walls && !lower_limits()) fail(5, "set the limits");
  ::execve(argv[0], argv, envp);
  fail(4);
  ::_exit(127);
}

struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  int control[2] = {-1, -1};
  ~Pipes() {
    for (int* pair : {out, err, control})
      for (int i : {0, 1})
        if (pair[i] >= 0) ::close(pair[i]);
  }
  static int take(int& fd) {
    int taken = fd;
    fd = -1;
    return taken;
  }
};

Status open_pipes(Pipes& p, bool control) {
  if (::pipe2(p.out, O_CLOEXEC) != 0 || ::pipe2(p.err, O_CLOEXEC) != 0 ||
      (control && ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p.control) != 0))
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  return Ok{};
}

Error child_error(const ChildFailure& info, const std::string& program) {
  static const char* stages[] = {"fork",    "join the memory cgroup",   "set up stdio", "enter the directory",
                                 "execute", "raise the sandbox's walls"};
  std::string what = stages[info.stage];
  if (info.wall) what += " (" + std::string(info.wall) + ")";
  return make_error("cannot " + what + ": " + strerror(info.error), program);
}

// Hands the child's network socket to `bind` and connects the network to the
// outside when asked; bubblewrap holds the bootstrap meanwhile.
Status connect_network(Pipes& p, const SpawnSpec& spec, pid_t pid, const RuntimeApiBinder& bind,
                       OutboundNetwork& network) {
  auto sockets = receive_network_sockets(p.control[0], 10000);
  if (!sockets) return sockets.error();
  struct Closer {
    NetworkSockets& s;
    ~Closer() {
      for (int fd : {s.runtime_api, s.routes})
        if (fd >= 0) ::close(fd);
    }
  } closer{*sockets};
  // slirp4netns starts (milliseconds) while the Runtime API binds and
  // bubblewrap lays the sandbox out; bubblewrap holds the bootstrap
  // (--block-fd) until the network is up (BwrapLauncher).
  if (spec.outbound_network) {
    auto outbound = start_outbound_network(pid, *spec.walls);
    if (!outbound) return outbound.error();
    network = *outbound;
  }
  if (bind) {
    auto port = bind(sockets->runtime_api, kRuntimeApiPort);
    if (!port) return port.error();
  }
  return await_outbound_network(network, sockets->routes);
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

Result<Child> spawn(SpawnSpec spec, const RuntimeApiBinder& bind = nullptr) {
  Pipes p;
  LAYERED_TRY(open_pipes(p, spec.walls.has_value()));
  if (spec.walls) {
    spec.walls->control_fd = p.control[1];
    spec.walls->engine_fd = p.control[0];
  }
  auto argv = exec_args(spec.argv);
  auto envp = exec_args(spec.env);
  auto body = [&] { exec_child(spec, argv.data(), envp.data(), p.out[1], p.err[1]); };
  // A child that waits for the engine before it execs (the direct launcher's
  // held start) needs the engine running: a fork, from the lasting thread too.
  pid_t pid = spec.hold_fd >= 0 ? start_from_lasting_thread([&] {
    const pid_t forked = ::fork();
    if (forked == 0) body();
    return forked;
  })
                                : vfork_child(body);
  if (pid > 0 && spec.walls) walls_child_gone(pid);
  for (int* end : {&p.out[1], &p.err[1], &p.control[1]}) ::close(Pipes::take(*end));
  if (pid < 0) return make_error("cannot fork: " + std::string(strerror(errno)), spec.argv[0]);
  OutboundNetwork outbound;
  Status network = spec.walls ? connect_network(p, spec, pid, bind, outbound) : Status{Ok{}};
  if (p.control[0] >= 0) ::close(Pipes::take(p.control[0]));
  // A child that failed to raise its walls also fails the network's set-up:
  // it is killed first, so that what it reported can be read without waiting.
  if (!network) ::kill(pid, SIGKILL);
  ChildFailure info;
  auto n = ::read(p.err[0], &info, sizeof info);
  bool child_failed = n == sizeof info && info.stage != kHeld;
  if (child_failed || !network) {
    kill_and_reap(pid);
    stop_outbound_network(outbound);
    return child_failed ? child_error(info, spec.argv[0]) : network.error();
  }
  ::fcntl(p.out[0], F_SETFL, O_NONBLOCK);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return Child{pid, pidfd, Pipes::take(p.out[0]), outbound};
}

class ProcessSandbox : public Sandbox {
 public:
  ProcessSandbox(Child child, std::unique_ptr<MemoryMonitor> memory, bool through_bwrap)
      : child_(child), memory_(std::move(memory)), through_bwrap_(through_bwrap) {
    memory_->attach(child_.pid);
  }
  ~ProcessSandbox() override {
    if (child_.release_fd >= 0) ::close(child_.release_fd);
    end_outbound_network(child_.network);
    kill();
    if (!status_) ::waitpid(child_.pid, nullptr, 0);
    stop_outbound_network(child_.network);
    if (child_.exit_fd >= 0) ::close(child_.exit_fd);
    ::close(child_.output_fd);
  }
  int pid() const override { return child_.pid; }
  Status network_ready(int timeout_ms) override {
    return confirm_outbound_network(child_.network, timeout_ms);
  }
  void release() override {
    if (child_.release_fd < 0) return;
    char go = 1;
    (void)!::write(child_.release_fd, &go, 1);
    ::close(std::exchange(child_.release_fd, -1));
  }
  // A process that forks while the others are stopped is caught in the
  // next round; a few rounds catch a fork chain, a fork bomb is bounded by
  // the process limit and stopped over the rounds that follow.
  void freeze() override {
    for (int round = 0; round < 8; ++round) {
      bool stopped_any = false;
      for (pid_t pid : memory_->members()) {
        if (!frozen_.insert(pid).second) continue;
        ::kill(pid, SIGSTOP);
        stopped_any = true;
      }
      if (!stopped_any) return;
    }
  }
  // The members now, not the pids stopped: one that died meanwhile (the
  // memory limit's kill) may have left its number to a process elsewhere.
  void thaw() override {
    for (pid_t pid : memory_->members()) ::kill(pid, SIGCONT);
    frozen_.clear();
  }
  int output_fd() const override { return child_.output_fd; }
  int exit_fd() const override { return child_.exit_fd; }
  std::optional<ExitStatus> poll_exit() override {
    if (status_) return status_;
    // waitpid scans every child of every thread of the engine (serve has
    // hundreds); a pidfd says in O(1) whether there is anything to reap.
    pollfd exited{child_.exit_fd, POLLIN, 0};
    if (child_.exit_fd >= 0 && ::poll(&exited, 1, 0) == 0) return std::nullopt;
    int raw = 0;
    if (::waitpid(child_.pid, &raw, WNOHANG) != child_.pid) return std::nullopt;
    ExitStatus s;
    if (WIFSIGNALED(raw)) {
      s.signal = WTERMSIG(raw);
    } else {
      s.code = WEXITSTATUS(raw);
      // bubblewrap reports a child killed by signal N as exit status 128+N.
      if (through_bwrap_ && s.code > 128 && s.code < 128 + 65) {
        s.signal = s.code - 128;
        s.code = 0;
      }
    }
    status_ = s;
    return status_;
  }
  void kill() override {
    memory_->kill_all();
    if (status_) return;
    ::kill(through_bwrap_ ? child_.pid : -child_.pid, SIGKILL);
  }
  bool shut_down() override {
    kill();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (!status_) {
      int raw = 0;
      if (::waitpid(child_.pid, &raw, 0) == child_.pid) status_ = ExitStatus{0, SIGKILL};
    }
    return memory_->await_empty(deadline);
  }
  int sample_interval_ms() const override { return memory_->sample_interval_ms(); }
  void sample_memory() override { memory_->sample(); }
  std::uint64_t peak_memory_bytes() override { return memory_->peak_bytes(); }
  bool out_of_memory() override { return memory_->out_of_memory(); }
  std::string memory_method() const override { return memory_->method(); }

 private:
  Child child_;
  std::unique_ptr<MemoryMonitor> memory_;
  bool through_bwrap_;
  std::set<pid_t> frozen_;  // stopped by the freeze() under way (its rounds)
  std::optional<ExitStatus> status_;
};

std::uint64_t limit_bytes(const Plan& plan) {
  return static_cast<std::uint64_t>(plan.memory_mb) * 1024 * 1024;
}

void set_runtime_api(Pairs& environment, int port) {
  const std::string value = "127.0.0.1:" + std::to_string(port);
  for (auto& [name, current] : environment) {
    if (name == "AWS_LAMBDA_RUNTIME_API") {
      current = value;
      return;
    }
  }
  environment.emplace_back("AWS_LAMBDA_RUNTIME_API", value);
}

// /tmp's backing file and the directory the child mounts it on; none when
// /tmp stays in memory (no scratch directory, or not root).
struct DiskTmp {
  int backing = -1;
  std::string mount_dir;
  ~DiskTmp() {
    if (backing >= 0) ::close(backing);
  }
};

// Root only (loop devices): mounted by the child on its staging tmpfs.
Status prepare_disk_tmp(const Plan& plan, DiskTmp& tmp) {
  if (plan.tmp_backing >= 0) {
    tmp.backing = ::fcntl(plan.tmp_backing, F_DUPFD_CLOEXEC, 0);
    if (tmp.backing < 0)
      return make_error("cannot reuse the /tmp image: " + std::string(std::strerror(errno)));
    tmp.mount_dir = kStagedTmp;
    return Ok{};
  }
  auto backing = ephemeral_storage_file(plan);
  if (!backing) return backing.error();
  if (*backing < 0) return Ok{};
  tmp.backing = *backing;
  tmp.mount_dir = kStagedTmp;
  return Ok{};
}

class BwrapLauncher : public Launcher {
 public:
  Result<std::unique_ptr<Sandbox>> start(const Plan& given) override {
    auto bwrap = find_bwrap();
    if (!bwrap) return bwrap.error();
    Plan plan = given;
    const bool as_root = ::geteuid() == 0;
    if (plan.outbound_network) LAYERED_TRY(outbound_network_usable(as_root));
    set_runtime_api(plan.environment, kRuntimeApiPort);
    DiskTmp tmp;
    LAYERED_TRY(prepare_disk_tmp(plan, tmp));
    auto command = bwrap_command(plan, tmp.backing >= 0, as_root);
    if (!command) return command.error();
    // bubblewrap holds the bootstrap (after laying the sandbox out, before
    // exec) until the Runtime API listens and the network is up, or until a
    // prepared environment is released: the walls' child never waits for
    // the engine, so it starts without a fork.
    HoldPipe hold;
    if (auto opened = open_hold_pipe(true, hold); !opened) {
      for (int fd : command->data_fds) ::close(fd);
      return opened.error();
    }
    command->args.insert(command->args.begin(), {"--block-fd", std::to_string(hold.read_end)});
    command->data_fds.push_back(std::exchange(hold.read_end, -1));
    auto memory = make_memory_monitor(limit_bytes(plan), plan.memory_watch);
    SpawnSpec spec;
    spec.argv.push_back(*bwrap);
    spec.argv.insert(spec.argv.end(), command->args.begin(), command->args.end());
    spec.keep_fds = command->data_fds;
    spec.join_file = memory->join_file();
    const uid_t host_id = plan.host_uid != 0 ? plan.host_uid : new_host_uid();
    spec.outbound_network = plan.outbound_network;
    std::vector<StagedBind> staged;
    for (const auto& [source, slot] : command->staged) staged.push_back({source.c_str(), slot});
    spec.walls = WallsSpec{.as_root = as_root,
                           .host_uid = host_id,
                           .host_gid = host_id,
                           .own_uid = ::getuid(),
                           .own_gid = ::getgid(),
                           // A held sandbox waits for "ready" (it is prepared ahead).
                           .watch_routes = plan.outbound_network && !plan.held,
                           .tmp_backing_fd = tmp.backing,
                           .tmp_mount_dir = tmp.mount_dir.c_str(),
                           .tmp_fd_slot = command->tmp_slot,
                           .staged = staged.data(),
                           .staged_count = static_cast<int>(staged.size())};
    auto child = spawn(std::move(spec), plan.bind_runtime_api);
    for (int fd : command->data_fds) ::close(fd);
    if (!child) return child.error();
    child->release_fd = std::exchange(hold.write_end, -1);
    auto box = std::make_unique<ProcessSandbox>(*child, std::move(memory), true);
    // The Runtime API listens, the network is up.
    if (!plan.held && (!plan.may_release || plan.may_release())) box->release();
    return std::unique_ptr<Sandbox>(std::move(box));
  }
};

// No isolation: /var/task and /opt are the host directories themselves, and
// the Runtime API listens on the host's loopback.
class DirectLauncher : public Launcher {
 public:
  Result<std::unique_ptr<Sandbox>> start(const Plan& given) override {
    Plan plan = given;
    if (plan.bind_runtime_api) {
      int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (socket < 0) return make_error("cannot create a socket: " + std::string(strerror(errno)));
      auto port = plan.bind_runtime_api(socket, 0);
      ::close(socket);
      if (!port) return port.error();
      set_runtime_api(plan.environment, *port);
    }
    SpawnSpec spec;
    std::string path = plan.bootstrap;
    if (path.rfind("/var/task/", 0) == 0) path = plan.code_dir + path.substr(9);
    if (path.rfind("/opt/", 0) == 0) path = plan.opt_dir + path.substr(4);
    spec.argv.push_back(path);
    for (const auto& [name, value] : plan.environment) spec.env.push_back(name + "=" + value);
    spec.cwd = plan.code_dir;
    spec.new_session = true;
    HoldPipe hold;
    LAYERED_TRY(open_hold_pipe(plan.held || plan.may_release, hold));
    spec.hold_fd = hold.read_end;
    auto memory = make_memory_monitor(limit_bytes(plan), plan.memory_watch);
    spec.join_file = memory->join_file();
    auto child = spawn(std::move(spec));
    if (!child) return child.error();
    child->release_fd = std::exchange(hold.write_end, -1);
    auto box = std::make_unique<ProcessSandbox>(*child, std::move(memory), false);
    if (!plan.held && plan.may_release && plan.may_release()) box->release();
    return std::unique_ptr<Sandbox>(std::move(box));
  }
};

}  // namespace

std::unique_ptr<Launcher> bwrap_launcher() { return std::make_unique<BwrapLauncher>(); }
std::unique_ptr<Launcher> direct_launcher() { return std::make_unique<DirectLauncher>(); }

}  // namespace layered::sandbox
