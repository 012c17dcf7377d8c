// The disk-backed /tmp's filesystem image: formatted once per size, copied
// for each environment (see walls.hpp; the child mounts it).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "sandbox/sandbox.hpp"
#include "sandbox/vfork_child.hpp"
#include "sandbox/walls.hpp"

namespace layered::sandbox {

namespace {

std::string find_e2fs_tool(const char* name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
    std::string path = std::string(dir) + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

// Runs `program` with its output discarded; true when it exits with 0.
bool run_quietly(const std::string& program, std::vector<std::string> args) {
  auto argv = exec_args(args);
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
  // metadata however large the filesystem, so copying it is cheap. 4 KiB
  // blocks and an inode per 16 KiB whatever the size (mke2fs would make a
  // small one of 1 KiB blocks and four times the inodes), so that image_mb
  // knows the overhead.
  if (!run_quietly(mke2fs, {"mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-i", "16384", "-O",
                            "^has_journal,^resize_inode", "-E", "lazy_itable_init=1,nodiscard", "-m", "0",
                            image, std::to_string(size_mb) + "M"}))
    return make_error("cannot format the /tmp image", image, "check that mke2fs works on this machine");
  // Lambda's /tmp as it is mounted: empty and open to everyone. Done here
  // once, not in each environment, where every metadata change is a round
  // trip through the loop device before the function may start.
  if (!run_quietly(debugfs, {"debugfs", "-w", "-R", "rmdir lost+found", image}) ||
      !run_quietly(debugfs, {"debugfs", "-w", "-R", "sif / mode 041777", image}))
    return make_error("cannot prepare the /tmp image", image, "check that debugfs works on this machine");
  return Ok{};
}

// Images an engine killed while formatting left behind (sparse, but of the
// ephemeral storage's apparent size): "<image>.partial-<pid>-<random>" whose
// process is gone.
void remove_dead_partials(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.find(".partial-");
    if (at == std::string::npos) continue;
    const long pid = std::strtol(name.c_str() + at + 9, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink(entry.path().c_str());
  }
}

// The pristine image for `size_mb`, made once (atomically) and reused.
Result<std::string> pristine_image(const std::string& dir, int size_mb) {
  // "-empty-4k": no lost+found, mode 1777, 4 KiB blocks (images of earlier
  // versions had lost+found, or blocks of 1 KiB).
  std::string path = dir + "/ext4-" + std::to_string(size_mb) + "m-empty-4k.img";
  if (::access(path.c_str(), R_OK) == 0) return path;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  remove_dead_partials(dir);
  std::string partial =
      path + ".partial-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  if (auto formatted = format_image(partial, size_mb); !formatted) {
    ::unlink(partial.c_str());
    return formatted.error();
  }
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    ::unlink(partial.c_str());
    return make_error("cannot store the /tmp image: " + std::string(std::strerror(errno)), path);
  }
  return path;
}

// The filesystem's size for `ephemeral_mb` writable: ext4 takes its inode
// tables (1.6% at its default ratio) and a reserve for delayed allocation
// (2%, at most 16 MiB) from the size, and a function must be able to fill
// its EphemeralStorage, as on Lambda.
int image_mb(int ephemeral_mb) {
  const int inodes = (ephemeral_mb * 16 + 999) / 1000;
  const int reserve = std::min((ephemeral_mb * 2 + 99) / 100, 16);
  return ephemeral_mb + inodes + reserve + 2;
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

// The image is sparse: its blocks are taken as the function writes. A disk
// that fills meanwhile fails those writes in the loop device, where the
// function sees data lost, not ENOSPC; an environment starts only when its
// EphemeralStorage fits on the disk now.
// What the /tmp images this process holds on the disk of `dir` may still
// take: each is an unnamed file (no link) whose holes its function may fill
// at any time. Read from the process's own descriptors, so that no
// environment has to register its image.
unsigned long long promised_mb(const std::string& dir) {
  struct stat disk {};
  if (::stat(dir.c_str(), &disk) != 0) return 0;
  unsigned long long bytes = 0;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    struct stat file {};
    if (::stat(fd.path().c_str(), &file) != 0) continue;
    if (!S_ISREG(file.st_mode) || file.st_nlink != 0 || file.st_dev != disk.st_dev) continue;
    const auto written = static_cast<unsigned long long>(file.st_blocks) * 512;
    const auto size = static_cast<unsigned long long>(file.st_size);
    if (size > written) bytes += size - written;
  }
  return bytes >> 20U;
}

Status room_for(const std::string& dir, int ephemeral_mb) {
  struct statvfs disk {};
  if (::statvfs(dir.c_str(), &disk) != 0) return Ok{};
  const unsigned long long free_mb = static_cast<unsigned long long>(disk.f_bavail) * disk.f_frsize >> 20U;
  const unsigned long long promised = promised_mb(dir);
  if (free_mb >= static_cast<unsigned long long>(ephemeral_mb) + promised) return Ok{};
  return make_error("not enough free disk for the function's /tmp: " + std::to_string(free_mb) +
                        " MB free, " +
                        (promised ? std::to_string(promised) + " MB of it promised to the /tmp of running "
                                                               "environments, "
                                  : std::string()) +
                        "its EphemeralStorage is " + std::to_string(ephemeral_mb) + " MB",
                    dir, "free space on that disk, or lower the function's EphemeralStorage");
}

}  // namespace

bool disk_tmp_supported() {
  return ::geteuid() == 0 && ::access("/dev/loop-control", W_OK) == 0 && !find_e2fs_tool("mke2fs").empty() &&
         !find_e2fs_tool("debugfs").empty();
}

Result<int> ephemeral_storage_file(const Plan& plan) {
  if (plan.scratch_dir.empty() || !disk_tmp_supported()) return -1;
  return tmp_backing_file(plan.scratch_dir, plan.ephemeral_mb);
}

Result<int> tmp_backing_file(const std::string& dir, int ephemeral_mb) {
  const int size_mb = image_mb(ephemeral_mb);
  auto pristine = pristine_image(dir, size_mb);
  if (!pristine) return pristine.error();
  // One image at a time: the next one counts what this one promises.
  static std::mutex claiming;
  std::lock_guard claim(claiming);
  LAYERED_TRY(room_for(dir, ephemeral_mb));
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
