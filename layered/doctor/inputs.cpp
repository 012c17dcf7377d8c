// Turns what the user named (a directory or a zip) into a directory to scan.
// Zips go to a private temporary directory that is removed afterwards.
#include "doctor/inputs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "store/store.hpp"

namespace layered::doctor {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "layered-doctor-";

// A scratch directory whose owner died (killed, crashed) before its
// destructor ran: nobody holds its lock any more. Young ones are left alone,
// so a directory is never taken between its mkdtemp and its flock.
bool abandoned(const fs::path& dir) {
  std::error_code ec;
  const auto age = fs::file_time_type::clock::now() - fs::last_write_time(dir, ec);
  if (ec || age < std::chrono::minutes(1)) return false;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Destructors do not run when a process is killed; the next doctor removes
// what such a process left.
void collect_abandoned(const fs::path& tmp) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(tmp, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) == 0 && it->is_directory(ec) && abandoned(it->path())) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

}  // namespace

TempDir::TempDir() {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  if (ec) return;
  collect_abandoned(tmp);
  std::string pattern = (tmp / (std::string(kPrefix) + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) return;
  // Held for the directory's life: a live owner's directory is never collected.
  lock_ = ::open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_ >= 0) ::flock(lock_, LOCK_EX);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
  if (lock_ >= 0) ::close(lock_);
}

Result<Input> open_input(const fs::path& path, const std::string& label, std::optional<TempDir>& scratch) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status))
    return make_error(label + ": no such file or directory", path.string(), "pass a directory or a .zip");
  if (fs::is_directory(status)) return Input{path, std::nullopt};
  if (!scratch) scratch.emplace();
  if (scratch->path().empty()) return make_error("cannot create a temporary directory", path.string());
  fs::path dest = scratch->fresh();
  fs::create_directories(dest, ec);
  if (auto st = store::extract_zip(path, dest, {}); !st) {
    Error e = st.error();
    if (e.where.empty()) e.where = path.string();
    if (e.hint.empty()) e.hint = "pass a directory or a valid .zip";
    return e;
  }
  return Input{dest, fs::file_size(path, ec)};
}

}  // namespace layered::doctor
