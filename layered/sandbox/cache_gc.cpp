// Collecting the state's cache: merged /opt trees and host-program bundles
// that no deployed function needs any more. Entries are deleted under an
// exclusive lock, so an environment holding a CacheLease keeps its entry.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTempPrefix = ".tmp-";

// ".tmp-<pid>-<random>" of a process that still runs (it may be filling it).
bool temp_dir_in_use(const std::string& name) {
  const std::string rest = name.substr(std::strlen(kTempPrefix));
  char* end = nullptr;
  const long pid = std::strtol(rest.c_str(), &end, 10);
  if (end == rest.c_str() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Deletes `dir` unless an environment holds a lease on it: renamed away
// first under the exclusive lock, so no new lease can find it half deleted.
Status remove_entry(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Ok{};  // already gone
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Ok{};  // in use: collected by a later run
  }
  const fs::path doomed = dir.parent_path() / (std::string(kTempPrefix) + "gc-" + dir.filename().string());
  Status status = Ok{};
  if (::rename(dir.c_str(), doomed.c_str()) != 0) {
    status = make_error(std::string("cannot remove cache entry: ") + std::strerror(errno), dir.string());
  }
  ::close(fd);
  std::error_code ec;
  if (status.ok()) fs::remove_all(doomed, ec);
  if (ec) return make_error("cannot remove cache entry: " + ec.message(), doomed.string());
  return status;
}

// Every entry of `root` not named in `keep`, and dead processes' temporaries.
Status collect(const fs::path& root, const std::set<std::string>& keep) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Ok{};
  std::vector<std::string> names;  // listed first: removal renames entries
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return make_error("cannot read the cache: " + ec.message(), root.string());
  for (const auto& name : names) {
    const bool temp = name.rfind(kTempPrefix, 0) == 0;
    if (temp ? temp_dir_in_use(name) : keep.count(name) > 0) continue;
    if (temp) {  // a dead builder's, or one a collector renamed away
      fs::remove_all(root / name, ec);
      continue;
    }
    LAYERED_TRY(remove_entry(root / name));
  }
  return Ok{};
}

}  // namespace

CacheLease& CacheLease::operator=(CacheLease&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

CacheLease::~CacheLease() {
  if (fd_ >= 0) ::close(fd_);
}

Result<CacheLease> lease_cache_entry(const std::string& entry) {
  if (entry.empty()) return CacheLease{};
  const int fd = ::open(entry.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::flock(fd, LOCK_SH) != 0) {
    if (fd >= 0) ::close(fd);
    return make_error(std::string("cache entry is gone: ") + std::strerror(errno), entry,
                      "it was collected meanwhile: build it again");
  }
  // The collector renames an entry before deleting it: the path must still
  // lead to the directory we locked.
  struct stat locked {
  }, now{};
  if (::fstat(fd, &locked) != 0 || ::stat(entry.c_str(), &now) != 0 || locked.st_ino != now.st_ino ||
      locked.st_dev != now.st_dev) {
    ::close(fd);
    return make_error("cache entry is gone", entry, "it was collected meanwhile: build it again");
  }
  return CacheLease(fd);
}

Status collect_cache_garbage(const std::string& cache_dir,
                             const std::vector<std::vector<std::string>>& keep_layer_sets) {
  std::set<std::string> opt;
  for (const auto& dirs : keep_layer_sets) {
    if (!dirs.empty()) opt.insert(layers_cache_key(dirs));
  }
  std::set<std::string> bundles;
  std::set<std::string> trees;  // the current image tree of every runtime
  for (const auto& runtime : image::runtimes()) {
    auto image = image::load(runtime);
    if (!image.ok()) continue;
    const std::string bundle = host_programs_cache_key(*image);
    bundles.insert(bundle);
    std::error_code ec;
    const bool bundled = fs::is_directory(fs::path(cache_dir) / "host-programs" / bundle, ec);
    if (auto name = image_tree_name(*image, bundled ? bundle : ""); name.ok()) trees.insert(*name);
  }
  LAYERED_TRY(collect(fs::path(cache_dir) / "opt", opt));
  LAYERED_TRY(collect(fs::path(cache_dir) / "image", trees));
  return collect(fs::path(cache_dir) / "host-programs", bundles);
}

}  // namespace layered::sandbox
