// The bubblewrap command line that lays out an execution environment from
// the emulated base image: nothing of this machine but glibc's files, the
// static busybox and the files the image data names.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

// Where the image's tools point to. Lambda's image has no busybox; this one
// path is the only trace of how the tools are provided.
constexpr const char* kBusyboxPath = "/usr/libexec/busybox";

std::string host_architecture() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  return m == "aarch64" ? "arm64" : m;
}

Result<int> data_fd(const std::string& content) {
  int fd = ::memfd_create("layered-image-file", MFD_CLOEXEC);
  if (fd < 0) return make_error("cannot create a memory file for the sandbox");
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      return make_error("cannot write a memory file for the sandbox");
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

// Where the bundle of host programs is bound (see prepare_host_programs).
constexpr const char* kHostProgramsDir = "/usr/libexec/layered";

class Builder {
 public:
  void add(std::initializer_list<std::string> words) { cmd_.args.insert(cmd_.args.end(), words); }
  Status data(const std::string& content, const std::string& dest, const char* perms) {
    auto fd = data_fd(content);
    if (!fd) return fd.error();
    cmd_.data_fds.push_back(*fd);
    add({"--perms", perms, "--ro-bind-data", std::to_string(*fd), dest});
    return Ok{};
  }
  // Binds a host directory through a descriptor opened here, so the
  // unprivileged user bubblewrap runs as needs no access to its parents.
  Status bind_dir(const std::string& host, const std::string& dest, bool writable = false) {
    int fd = ::open(host.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open " + dest + "'s directory: " + std::strerror(errno), host);
    cmd_.data_fds.push_back(fd);
    add({writable ? "--bind-fd" : "--ro-bind-fd", std::to_string(fd), dest});
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
  BwrapCommand take() { return std::move(cmd_); }
  void abandon() {
    for (int fd : cmd_.data_fds) ::close(fd);
    cmd_.data_fds.clear();
  }

 private:
  BwrapCommand cmd_;
};

// Each host program runs through its own copy of the loader with its own
// library directory, so none of its libraries (libcurl, libssl, ...) becomes
// visible to functions through the image's library directories.
Status add_host_programs(Builder& b, const image::BaseImage& image, const std::string& bundle) {
  if (bundle.empty()) return Ok{};
  LAYERED_TRY(b.bind_dir(bundle, kHostProgramsDir));
  for (const auto& program : image.host_programs) {
    const std::string name = fs::path(program).filename().string();
    std::error_code ec;
    if (!fs::exists(fs::path(bundle) / name / name, ec)) continue;
    const std::string dir = std::string(kHostProgramsDir) + "/" + name;
    const std::string wrapper = "#!" + image.tools_dir + "/sh\nexec " + dir + "/lib/ld-linux-x86-64.so.2" +
                                " --library-path " + dir + "/lib " + dir + "/" + name + " \"$@\"\n";
    LAYERED_TRY(b.data(wrapper, image.tools_dir + "/" + name, "0555"));
  }
  return Ok{};
}

Status add_image(Builder& b, const image::BaseImage& image, const std::string& host_programs_dir) {
  for (const auto& dir : image.directories) b.add({"--dir", dir});
  for (const auto& [link, target] : image.symlinks) b.add({"--symlink", target, link});
  const std::string host_libs = image::host_library_dir();
  for (const auto& lib : image.libraries) {
    const std::string from = host_libs + "/" + lib;
    std::error_code ec;
    if (fs::exists(from, ec)) b.add({"--ro-bind", from, image.library_dir + "/" + lib});
  }
  const std::string busybox = image::host_busybox();
  if (busybox.empty())
    return make_error("busybox is not installed", "",
                      "install the 'busybox-static' package (scripts/setup.sh)");
  b.add({"--ro-bind", busybox, kBusyboxPath});
  for (const auto& tool : image.tools) b.add({"--symlink", kBusyboxPath, image.tools_dir + "/" + tool});
  // busybox has no bash applet: a wrapper runs the script with its sh.
  for (const auto& [alias, applet] : image.tool_aliases) {
    const std::string wrapper =
        "#!" + image.tools_dir + "/" + applet + "\nexec " + image.tools_dir + "/" + applet + " \"$@\"\n";
    LAYERED_TRY(b.data(wrapper, image.tools_dir + "/" + alias, "0555"));
  }
  LAYERED_TRY(add_host_programs(b, image, host_programs_dir));
  for (const auto& file : image.files) {
    if (!file.host.empty()) {
      b.add({"--ro-bind-try", file.host, file.path});
    } else {
      LAYERED_TRY(b.data(file.content, file.path, "0444"));
    }
  }
  return Ok{};
}

// Lambda's sbx_user1051 (lambda-facts.md).
constexpr const char* kSandboxUid = "993";
constexpr const char* kSandboxGid = "990";

Status add_mounts(Builder& b, const Plan& plan, bool disk_tmp) {
  b.add({"--proc", "/proc", "--dev", "/dev"});
  if (disk_tmp) {
    LAYERED_TRY(b.reserve_tmp());
  } else {
    const auto tmp_bytes = static_cast<long long>(plan.ephemeral_mb) * 1024 * 1024;
    b.add({"--size", std::to_string(tmp_bytes), "--tmpfs", "/tmp"});
  }
  if (plan.opt_dir.empty()) {
    b.add({"--dir", "/opt"});
  } else {
    LAYERED_TRY(b.bind_dir(plan.opt_dir, "/opt"));
  }
  LAYERED_TRY(b.bind_dir(plan.code_dir, "/var/task"));
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

Result<BwrapCommand> bwrap_command(const image::BaseImage& image, const Plan& plan, bool disk_tmp) {
  if (plan.architecture != host_architecture()) {
    return make_error(
        "architecture '" + plan.architecture + "' cannot run on this machine (" + host_architecture() + ")",
        "", "deploy the function for '" + host_architecture() + "' to invoke it locally");
  }
  Builder b;
  // The network namespace is the launcher's (walls.hpp); bubblewrap runs
  // unprivileged and maps Lambda's user onto the caller, with no
  // capabilities and no further user namespaces inside.
  b.add({"--unshare-user", "--uid", kSandboxUid, "--gid", kSandboxGid, "--disable-userns", "--unshare-ipc",
         "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
         "--clearenv"});
  Status status = add_image(b, image, plan.host_programs_dir);
  if (status) status = add_mounts(b, plan, disk_tmp);
  if (!status) {
    b.abandon();
    return status.error();
  }
  // Everything but /tmp is read-only on Lambda, the root included.
  b.add({"--remount-ro", "/", "--chdir", "/var/task"});
  for (const auto& [name, value] : plan.environment) b.add({"--setenv", name, value});
  b.add({"--", plan.bootstrap});
  return b.take();
}

}  // namespace layered::sandbox
