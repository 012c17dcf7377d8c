// The bubblewrap command line that lays out an execution environment from
// the emulated base image: nothing of this machine but glibc's files, the
// static busybox and the files the image data names.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "sandbox/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

std::string host_architecture() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  return m == "aarch64" ? "arm64" : m;
}

// Lambda reads a function's files as an unprivileged user: a directory
// closed to others is a permission error inside, said plainly here.
Status readable_by_everyone(const std::string& host, const std::string& dest) {
  struct stat st {};
  if (::stat(host.c_str(), &st) != 0)
    return make_error("cannot read " + dest + "'s directory: " + std::strerror(errno), host);
  if ((st.st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error(
        "the directory for " + dest + " is not readable by the function's user (mode " + mode + ")", host,
        "Lambda needs code readable by everyone: chmod -R a+rX, or zip with 644/755 modes");
  }
  return Ok{};
}

class Builder {
 public:
  explicit Builder(bool stage) : stage_(stage) {}
  void add(std::initializer_list<std::string> words) { cmd_.args.insert(cmd_.args.end(), words); }
  // Binds a host directory read-only through a descriptor: opened here, or
  // reserved here and filled by the launcher's child (staging).
  Status bind_dir(const std::string& host, const std::string& dest) {
    LAYERED_TRY(readable_by_everyone(host, dest));
    int fd = ::open(stage_ ? "/dev/null" : host.c_str(), O_PATH | O_CLOEXEC | (stage_ ? 0 : O_DIRECTORY));
    if (fd < 0) return make_error("cannot open " + dest + "'s directory: " + std::strerror(errno), host);
    cmd_.data_fds.push_back(fd);
    if (stage_) cmd_.staged.emplace_back(host, fd);
    add({"--ro-bind-fd", std::to_string(fd), dest});
    return Ok{};
  }
  // A descriptor number the launcher's child replaces with /tmp's mount.
  Status reserve_tmp() {
    int fd = ::open("/dev/null", O_PATH | O_CLOEXEC);
    if (fd < 0) return make_error("cannot reserve a descriptor for /tmp");
    cmd_.data_fds.push_back(fd);
    cmd_.tmp_slot = fd;
    add({"--bind-fd", std::to_string(fd), "/tmp"});
    return Ok{};
  }
  // The system calls the environment may not make (seccomp.cpp).
  Status deny_syscalls() {
    auto fd = seccomp_filter_fd();
    if (!fd) return fd.error();
    cmd_.data_fds.push_back(*fd);
    add({"--seccomp", std::to_string(*fd)});
    return Ok{};
  }
  BwrapCommand take() { return std::move(cmd_); }
  void abandon() {
    for (int fd : cmd_.data_fds) ::close(fd);
    cmd_.data_fds.clear();
  }

 private:
  bool stage_;
  BwrapCommand cmd_;
};

// Lambda's sbx_user1051 (lambda-facts.md).
constexpr const char* kSandboxUid = "993";
constexpr const char* kSandboxGid = "990";

// The image tree is the root, read-only; the rest is mounted on its empty
// mount points.
Status add_mounts(Builder& b, const Plan& plan, bool disk_tmp) {
  if (plan.image_dir.empty())
    return make_error("no image tree to build the sandbox from", "", "prepare one with prepare_image_tree");
  LAYERED_TRY(b.bind_dir(plan.image_dir, "/"));
  if (!plan.host_programs_dir.empty()) LAYERED_TRY(b.bind_dir(plan.host_programs_dir, kHostProgramsDir));
  // Lambda has no /dev/shm (Python's multiprocessing.Queue and Pool fail
  // there): bubblewrap's /dev is read-only, so nothing can be kept in
  // memory outside the function's memory limit either.
  b.add({"--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"});
  if (disk_tmp) {
    LAYERED_TRY(b.reserve_tmp());
  } else {
    const auto tmp_bytes = static_cast<long long>(plan.ephemeral_mb) * 1024 * 1024;
    b.add({"--size", std::to_string(tmp_bytes), "--tmpfs", "/tmp"});
  }
  if (!plan.opt_dir.empty()) LAYERED_TRY(b.bind_dir(plan.opt_dir, "/opt"));
  LAYERED_TRY(b.bind_dir(plan.code_dir, "/var/task"));
  return Ok{};
}

// A managed runtime's interpreter, standard library and client (interpreter.cpp).
Status add_managed_runtime(Builder& b, const Plan& plan) {
  for (const auto& [host, dest] : managed_runtime_binds(plan)) LAYERED_TRY(b.bind_dir(host, dest));
  for (const auto& path : managed_runtime_hidden(plan)) b.add({"--tmpfs", path, "--remount-ro", path});
  return Ok{};
}

}  // namespace

Result<std::string> find_bwrap() {
  for (const char* path : {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"}) {
    if (::access(path, X_OK) == 0) return std::string(path);
  }
  return make_error("bubblewrap ('bwrap') is not installed", "",
                    "install the 'bubblewrap' package (scripts/setup.sh does)");
}

Result<BwrapCommand> bwrap_command(const Plan& plan, bool disk_tmp, bool stage) {
  // Python and Node.js run on this machine's interpreter whatever the
  // function's architecture (doctor flags native extensions built for
  // another); native code must be this machine's.
  if (!plan.managed && plan.architecture != host_architecture()) {
    return make_error(
        "architecture '" + plan.architecture + "' cannot run on this machine (" + host_architecture() + ")",
        "", "deploy the function for '" + host_architecture() + "' to invoke it locally");
  }
  Builder b(stage);
  // The network namespace is the launcher's (walls.hpp); bubblewrap runs
  // unprivileged and maps Lambda's user onto the caller, with no
  // capabilities and no further user namespaces inside.
  b.add({"--unshare-user", "--uid", kSandboxUid, "--gid", kSandboxGid, "--disable-userns", "--unshare-ipc",
         "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
         "--clearenv"});
  Status status = add_mounts(b, plan, disk_tmp);
  if (status) status = add_managed_runtime(b, plan);
  if (status) status = b.deny_syscalls();
  if (!status) {
    b.abandon();
    return status.error();
  }
  b.add({"--chdir", "/var/task"});
  for (const auto& [name, value] : plan.environment) b.add({"--setenv", name, value});
  b.add({"--"});
  for (const auto& arg : bootstrap_command(plan)) b.add({arg});
  return b.take();
}

}  // namespace layered::sandbox
