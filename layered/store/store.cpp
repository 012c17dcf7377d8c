// The content-addressed store and directory copies.
#include "store/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "store/internal.hpp"

namespace layered::store {

namespace fs = std::filesystem;

namespace detail {

bool write_sparse(int fd, const char* data, std::size_t size) {
  if (std::all_of(data, data + size, [](char c) { return c == 0; })) {
    return ::lseek(fd, static_cast<off_t>(size), SEEK_CUR) >= 0;
  }
  return ::write(fd, data, size) == static_cast<ssize_t>(size);
}

bool finish_sparse(int fd) {
  const off_t end = ::lseek(fd, 0, SEEK_CUR);
  return end >= 0 && ::ftruncate(fd, end) == 0;
}

}  // namespace detail

namespace {

constexpr const char* kTempPrefix = ".tmp-";

bool looks_like_zip(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' &&
         ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
}

bool is_empty_directory(const fs::path& path) {
  std::error_code ec;
  return fs::is_empty(path, ec) && !ec;
}

Status copy_file(const fs::path& from, const fs::path& to, mode_t mode, std::uint64_t& total,
                 const ExtractLimits& limits, const std::string& rel, const std::string& where) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return make_error("cannot read '" + rel + "': " + std::strerror(errno), where);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return make_error("cannot write '" + to.string() + "': " + std::strerror(errno), where);
  }
  Status status = Ok{};
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n == 0) break;
    total += static_cast<std::uint64_t>(std::max<ssize_t>(n, 0));
    if (n < 0 || total > limits.max_total_bytes ||
        !detail::write_sparse(out, buffer, static_cast<std::size_t>(n))) {
      status =
          n >= 0 && total > limits.max_total_bytes
              ? make_error("Unzipped size must be smaller than " + std::to_string(limits.max_total_bytes) +
                               " bytes (exceeded at '" + rel + "')",
                           where, "Lambda's limit for a function and all its layers is 250 MB unzipped")
              : make_error("cannot copy '" + rel + "': " + std::strerror(errno), where);
      break;
    }
  }
  if (status.ok() && !detail::finish_sparse(out)) {
    status = make_error("cannot copy '" + rel + "': " + std::strerror(errno), where);
  }
  if (status.ok() && ::fchmod(out, detail::normalized_file_mode(mode)) != 0) {
    status = make_error("cannot set the mode of '" + rel + "'", where);
  }
  ::close(in);
  ::close(out);
  return status;
}

// Lambda's unzipped limit, from the sizes alone (lstat, links not followed):
// checked before anything reads the files, so that a huge (say, sparse) file
// is refused at once instead of hashed for minutes first.
Status check_tree_size(const fs::path& source, const ExtractLimits& limits) {
  const std::string where = source.string();
  std::error_code ec;
  std::uint64_t total = 0, entries = 0;
  for (auto it = fs::recursive_directory_iterator(source, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (++entries > limits.max_entries) {
      return make_error("directory has more than " + std::to_string(limits.max_entries) + " entries", where,
                        kTooManyEntriesHint);
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    total += static_cast<std::uint64_t>(st.st_size);
    if (total > limits.max_total_bytes) {
      return make_error("Unzipped size must be smaller than " + std::to_string(limits.max_total_bytes) +
                            " bytes (exceeded at '" + it->path().lexically_relative(source).string() + "')",
                        where, "Lambda's limit for a function and all its layers is 250 MB unzipped");
    }
  }
  return Ok{};  // an unreadable directory is reported by the hash or the copy
}

}  // namespace

Status copy_tree(const fs::path& source, const fs::path& dest, const ExtractLimits& limits) {
  const std::string where = source.string();
  std::error_code ec;
  const fs::path root = fs::canonical(source, ec);
  if (ec || !fs::is_directory(root)) return make_error("not a directory", where);
  fs::create_directories(dest, ec);
  if (ec) return make_error("cannot create '" + dest.string() + "': " + ec.message(), where);
  std::uint64_t total = 0, entries = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (++entries > limits.max_entries) {
      return make_error("directory has more than " + std::to_string(limits.max_entries) + " entries", where,
                        kTooManyEntriesHint);
    }
    const fs::path rel = it->path().lexically_relative(root);
    const fs::path to = dest / rel;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) return make_error("cannot stat '" + rel.string() + "'", where);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir(to.c_str(), 0755) != 0 || ::chmod(to.c_str(), 0755) != 0) {
        return make_error("cannot create '" + to.string() + "': " + std::strerror(errno), where);
      }
    } else if (S_ISLNK(st.st_mode)) {
      const std::string target = fs::read_symlink(it->path(), ec).string();
      std::vector<std::string> parent;
      for (const auto& c : rel.parent_path()) parent.push_back(c.string());
      if (ec || detail::escapes(root, parent, target))
        return detail::symlink_escape(rel.string(), target, where);
      if (::symlink(target.c_str(), to.c_str()) != 0) {
        return make_error("cannot create symlink '" + to.string() + "': " + std::strerror(errno), where);
      }
    } else if (S_ISREG(st.st_mode)) {
      LAYERED_TRY(copy_file(it->path(), to, st.st_mode, total, limits, rel.string(), where));
    } else {
      return make_error("'" + rel.string() +
                            "' is a device, FIFO or socket; only files, directories and symlinks are allowed",
                        where);
    }
  }
  if (ec) return make_error("cannot read directory: " + ec.message(), where);
  return Ok{};
}

Store::Store(fs::path root, ExtractLimits limits) : root_(std::move(root)), limits_(limits) {}

bool Store::contains(const std::string& key) const {
  std::error_code ec;
  return !key.empty() && key[0] != '.' && fs::is_directory(root_ / key, ec);
}

std::vector<std::string> Store::keys() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name[0] != '.') out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<StoredAsset> Store::put(const fs::path& source) const {
  std::error_code ec;
  const bool is_dir = fs::is_directory(source, ec);
  if (!is_dir && !fs::is_regular_file(source, ec)) {
    return make_error(fs::exists(source, ec) ? "not a directory or a zip file" : "no such file or directory",
                      source.string());
  }
  // What CDK would upload: the file as it is, or the directory zipped.
  if (!is_dir && !looks_like_zip(source)) {
    return make_error(detail::kNotAZip, source.string(), detail::kNotAZipHint);
  }
  if (is_dir && is_empty_directory(source)) {
    return make_error(detail::kEmptyZip, source.string(), "put at least one file in the package");
  }
  if (is_dir) LAYERED_TRY(check_tree_size(source, limits_));
  auto key = is_dir ? sha256_tree(source) : sha256_file(source);
  if (!key) return std::move(key.error());
  StoredAsset stored{*key, root_ / *key, true};
  if (contains(*key)) return stored;

  auto temp = make_temp();
  if (!temp) return std::move(temp.error());
  Status filled = is_dir ? copy_tree(source, *temp, limits_) : extract_zip(source, *temp, limits_);
  if (!filled.ok()) {
    fs::remove_all(*temp, ec);
    return std::move(filled.error());
  }
  return commit(*temp, *key);
}

namespace {

Status write_new_file(const fs::path& file, const std::string& content) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  std::size_t done = 0;
  for (ssize_t n = 0; fd >= 0 && done < content.size(); done += static_cast<std::size_t>(n)) {
    n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) break;
  }
  const bool written = fd >= 0 && done == content.size() && ::fchmod(fd, 0644) == 0;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (written) return Ok{};
  return make_error("cannot write '" + file.filename().string() + "': " + std::strerror(err));
}

bool plain_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

}  // namespace

Result<StoredAsset> Store::put_files(const std::vector<std::pair<std::string, std::string>>& files) const {
  for (const auto& [name, content] : files)
    if (!plain_name(name)) return make_error("'" + name + "' is not a file name", root_.string());
  if (files.empty())
    return make_error(detail::kEmptyZip, root_.string(), "put at least one file in the package");
  auto temp = make_temp();
  if (!temp) return std::move(temp.error());
  std::error_code ec;
  for (const auto& [name, content] : files) {
    if (Status s = write_new_file(*temp / name, content); !s) {
      fs::remove_all(*temp, ec);
      return Error{s.error().message, root_.string(), ""};
    }
  }
  auto key = sha256_tree(*temp);
  if (!key) {
    fs::remove_all(*temp, ec);
    return std::move(key.error());
  }
  return commit(*temp, *key);
}

Result<fs::path> Store::make_temp() const {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return make_error("cannot create the store: " + ec.message(), root_.string());
  std::string temp = (root_ / (std::string(kTempPrefix) + "XXXXXX")).string();
  if (::mkdtemp(temp.data()) == nullptr || ::chmod(temp.c_str(), 0755) != 0) {
    return make_error(std::string("cannot create a temporary directory: ") + std::strerror(errno),
                      root_.string());
  }
  return fs::path(temp);
}

Result<StoredAsset> Store::commit(const fs::path& temp, const std::string& key) const {
  StoredAsset stored{key, root_ / key, true};
  std::error_code ec;
  if (contains(key)) {
    fs::remove_all(temp, ec);
    return stored;
  }
  if (::rename(temp.c_str(), stored.path.c_str()) != 0) {
    const int err = errno;
    fs::remove_all(temp, ec);
    // Another writer stored the same content first: same key, same bytes.
    if ((err == EEXIST || err == ENOTEMPTY) && contains(key)) return stored;
    return make_error(std::string("cannot move the entry into place: ") + std::strerror(err), root_.string());
  }
  stored.reused = false;
  return stored;
}

Status Store::remove_unreferenced(const std::set<std::string>& keep) const {
  std::error_code ec;
  if (!fs::exists(root_, ec)) return Ok{};
  std::vector<std::string> names;  // listed first: the loop renames entries
  for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return make_error("cannot read the store: " + ec.message(), root_.string());
  for (const std::string& name : names) {
    const bool temp = name.rfind(kTempPrefix, 0) == 0;
    if (!temp && keep.count(name)) continue;
    fs::path victim = root_ / name;
    if (!temp) {
      // An environment running this code holds a shared lock on it (invoke's
      // Environment): it is left for a later deploy's collection.
      const int fd = ::open(victim.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        continue;
      }
      // Rename first (under the lock, so no new lease finds it half deleted)
      // so a crash mid-way leaves a temp dir, never a partial entry.
      const fs::path renamed = root_ / (std::string(kTempPrefix) + "gc-" + name);
      const bool moved = ::rename(victim.c_str(), renamed.c_str()) == 0;
      const int error = errno;
      if (fd >= 0) ::close(fd);
      if (!moved)
        return make_error("cannot remove store entry '" + name + "': " + std::strerror(error),
                          root_.string());
      victim = renamed;
    }
    std::error_code rm;
    fs::remove_all(victim, rm);
    if (rm) return make_error("cannot remove store entry '" + name + "': " + rm.message(), root_.string());
  }
  return Ok{};
}

std::uint64_t unpacked_size(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto e = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && e != std::filesystem::recursive_directory_iterator(); e.increment(ec)) {
    std::error_code size_ec;
    if (e->is_regular_file(size_ec) && !e->is_symlink(size_ec)) total += e->file_size(size_ec);
  }
  return total;
}

}  // namespace layered::store
