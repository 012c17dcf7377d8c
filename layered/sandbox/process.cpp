// Starting, watching and ending the environment's process, with or without
// bubblewrap around it.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/memory.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=value
  std::vector<int> keep_fds;
  std::string cwd;
  std::string join_file;  // the memory cgroup's cgroup.procs
  bool new_session = false;
};

struct Child {
  pid_t pid = -1;
  int exit_fd = -1;
  int output_fd = -1;
};

// Runs in the forked child: only async-signal-safe calls.
[[noreturn]] void exec_child(const SpawnSpec& spec, char* const* argv, char* const* envp, int out_w,
                             int err_w) {
  auto fail = [err_w](int stage) {
    int info[2] = {stage, errno};
    (void)!::write(err_w, info, sizeof info);
    ::_exit(127);
  };
  if (!spec.join_file.empty()) {
    int fd = ::open(spec.join_file.c_str(), O_WRONLY | O_CLOEXEC);
    char digits[24];
    int n = 0;
    for (pid_t p = ::getpid(); p > 0; p /= 10) digits[n++] = static_cast<char>('0' + p % 10);
    char text[24];
    for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    if (fd < 0 || ::write(fd, text, static_cast<std::size_t>(n)) != n) fail(1);
    ::close(fd);
  }
  if (spec.new_session) ::setsid();
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(out_w, 2) < 0) fail(2);
  for (int fd : spec.keep_fds) ::fcntl(fd, F_SETFD, 0);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail(3);
  ::execve(argv[0], argv, envp);
  fail(4);
  ::_exit(127);
}

std::vector<char*> c_strings(std::vector<std::string>& words) {
  std::vector<char*> out;
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

Result<Child> spawn(SpawnSpec spec) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error("cannot create a pipe: " + std::string(strerror(errno)));
  }
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  pid_t pid = ::fork();
  if (pid == 0) exec_child(spec, argv.data(), envp.data(), out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  int info[2] = {0, 0};
  auto n = pid > 0 ? ::read(err[0], info, sizeof info) : -1;
  ::close(err[0]);
  if (pid < 0 || n > 0) {
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    ::close(out[0]);
    static const char* stages[] = {"fork", "join the memory cgroup", "set up stdio", "enter the directory",
                                   "execute"};
    return make_error("cannot " + std::string(stages[pid < 0 ? 0 : info[0]]) + ": " + strerror(info[1]),
                      spec.argv[0]);
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return Child{pid, pidfd, out[0]};
}

class ProcessSandbox : public Sandbox {
 public:
  ProcessSandbox(Child child, std::unique_ptr<MemoryMonitor> memory, bool through_bwrap)
      : child_(child), memory_(std::move(memory)), through_bwrap_(through_bwrap) {
    memory_->attach(child_.pid);
  }
  ~ProcessSandbox() override {
    kill();
    if (!status_) ::waitpid(child_.pid, nullptr, 0);
    if (child_.exit_fd >= 0) ::close(child_.exit_fd);
    ::close(child_.output_fd);
  }
  int pid() const override { return child_.pid; }
  int output_fd() const override { return child_.output_fd; }
  int exit_fd() const override { return child_.exit_fd; }
  std::optional<ExitStatus> poll_exit() override {
    if (status_) return status_;
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
  int sample_interval_ms() const override { return memory_->sample_interval_ms(); }
  void sample_memory() override { memory_->sample(); }
  std::uint64_t peak_memory_bytes() override { return memory_->peak_bytes(); }
  bool out_of_memory() override { return memory_->out_of_memory(); }
  std::string memory_method() const override { return memory_->method(); }

 private:
  Child child_;
  std::unique_ptr<MemoryMonitor> memory_;
  bool through_bwrap_;
  std::optional<ExitStatus> status_;
};

std::uint64_t limit_bytes(const Plan& plan) {
  return static_cast<std::uint64_t>(plan.memory_mb) * 1024 * 1024;
}

class BwrapLauncher : public Launcher {
 public:
  Result<std::unique_ptr<Sandbox>> start(const Plan& plan) override {
    auto bwrap = find_bwrap();
    if (!bwrap) return bwrap.error();
    auto image = image::load(plan.runtime);
    if (!image) return image.error();
    auto command = bwrap_command(*image, plan);
    if (!command) return command.error();
    auto memory = make_memory_monitor(limit_bytes(plan), plan.memory_watch);
    SpawnSpec spec;
    spec.argv.push_back(*bwrap);
    spec.argv.insert(spec.argv.end(), command->args.begin(), command->args.end());
    spec.keep_fds = command->data_fds;
    spec.join_file = memory->join_file();
    auto child = spawn(std::move(spec));
    for (int fd : command->data_fds) ::close(fd);
    if (!child) return child.error();
    return std::unique_ptr<Sandbox>(std::make_unique<ProcessSandbox>(*child, std::move(memory), true));
  }
};

// No isolation: /var/task and /opt are the host directories themselves.
class DirectLauncher : public Launcher {
 public:
  Result<std::unique_ptr<Sandbox>> start(const Plan& plan) override {
    SpawnSpec spec;
    std::string path = plan.bootstrap;
    if (path.rfind("/var/task/", 0) == 0) path = plan.code_dir + path.substr(9);
    if (path.rfind("/opt/", 0) == 0) path = plan.opt_dir + path.substr(4);
    spec.argv.push_back(path);
    for (const auto& [name, value] : plan.environment) spec.env.push_back(name + "=" + value);
    spec.cwd = plan.code_dir;
    spec.new_session = true;
    auto memory = make_memory_monitor(limit_bytes(plan), plan.memory_watch);
    spec.join_file = memory->join_file();
    auto child = spawn(std::move(spec));
    if (!child) return child.error();
    return std::unique_ptr<Sandbox>(std::make_unique<ProcessSandbox>(*child, std::move(memory), false));
  }
};

}  // namespace

std::unique_ptr<Launcher> bwrap_launcher() { return std::make_unique<BwrapLauncher>(); }
std::unique_ptr<Launcher> direct_launcher() { return std::make_unique<DirectLauncher>(); }

}  // namespace layered::sandbox
