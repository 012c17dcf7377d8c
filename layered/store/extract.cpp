// Safe zip extraction with libarchive. Entries are written by us (not by
// archive_write_disk) so that every path is checked first; symlinks are
// created only after all files, so no write can pass through one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "store/internal.hpp"
#include "store/loaded_libs.hpp"
#include "store/store.hpp"

namespace layered::store {

namespace fs = std::filesystem;

namespace detail {

std::string join(const std::vector<std::string>& components) {
  std::string out;
  for (const std::string& c : components) out += (out.empty() ? "" : "/") + c;
  return out;
}

Result<std::vector<std::string>> entry_components(const std::string& name, const std::string& where) {
  if (!name.empty() && name[0] == '/') {
    return make_error("entry '" + name + "' is an absolute path", where,
                      "rebuild the archive with paths relative to its root");
  }
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t slash = name.find('/', pos);
    if (slash == std::string::npos) slash = name.size();
    const std::string c = name.substr(pos, slash - pos);
    if (c == "..") {
      return make_error("entry '" + name + "' has a '..' component (path traversal)", where,
                        "rebuild the archive with paths relative to its root");
    }
    if (!c.empty() && c != ".") out.push_back(c);
    pos = slash + 1;
  }
  return out;
}

bool escapes(const fs::path& root, std::vector<std::string> parent, const std::string& target) {
  if (target.empty() || target[0] == '/') return true;
  std::deque<std::string> todo;
  auto push_front_all = [&](const std::string& t) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= t.size()) {
      std::size_t slash = t.find('/', pos);
      if (slash == std::string::npos) slash = t.size();
      parts.push_back(t.substr(pos, slash - pos));
      pos = slash + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
  };
  push_front_all(target);
  int hops = 0;
  while (!todo.empty()) {
    const std::string c = todo.front();
    todo.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (parent.empty()) return true;
      parent.pop_back();
      continue;
    }
    parent.push_back(c);
    struct stat st {};
    const fs::path p = root / join(parent);
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
    if (++hops > 40) return true;  // a loop never resolves; treat it as leaving
    std::error_code ec;
    const fs::path next = fs::read_symlink(p, ec);
    if (ec || next.is_absolute()) return true;
    parent.pop_back();
    push_front_all(next.string());
  }
  return false;
}

Error symlink_escape(const std::string& entry, const std::string& target, const std::string& where) {
  return make_error("symlink '" + entry + "' -> '" + target + "' points outside the archive", where,
                    "symlinks in a package must stay inside it");
}

}  // namespace detail

namespace {

using detail::kEmptyZip;
using detail::kNotAZip;
using detail::kNotAZipHint;

// libarchive, once extract_zip has loaded it.
const detail::ArchiveLib& la() { return **detail::archive_lib(); }

struct ArchiveCloser {
  void operator()(archive* a) const { la().archive_read_free(a); }
};

// libarchive leaves the message unset on some failures.
std::string archive_message(archive* a) {
  const char* text = la().archive_error_string(a);
  return text ? text : "unknown error";
}

std::uint32_t little_endian(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr std::uint64_t kEndRecordSize = 22;
constexpr std::uint64_t kMaxCommentSize = 0xffff;

// Lambda reads a package through its central directory, so it refuses a zip
// whose end record is missing or points past the file (a cut-off upload),
// and an archive with no entries. libarchive alone would stream what it can
// of such a file, or fail in ways that are not Lambda's.
Status check_zip_structure(const fs::path& zip, const std::string& where) {
  const Error unreadable = make_error(std::string(kNotAZip), where, kNotAZipHint);
  const int fd = ::open(zip.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(std::string("cannot read the zip: ") + std::strerror(errno), where);
  struct stat st {};
  std::vector<unsigned char> tail;
  if (::fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(kEndRecordSize)) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t want = std::min<std::uint64_t>(size, kEndRecordSize + kMaxCommentSize);
    tail.resize(want);
    if (::pread(fd, tail.data(), want, static_cast<off_t>(size - want)) != static_cast<ssize_t>(want))
      tail.clear();
  }
  ::close(fd);
  if (tail.size() < kEndRecordSize) return unreadable;
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t base = size - tail.size();
  for (std::size_t at = tail.size() - kEndRecordSize + 1; at-- > 0;) {
    const unsigned char* r = tail.data() + at;
    if (!(r[0] == 'P' && r[1] == 'K' && r[2] == 5 && r[3] == 6)) continue;
    const std::uint64_t comment = little_endian(r + 20, 2);
    if (at + kEndRecordSize + comment != tail.size()) continue;  // a signature inside the comment
    const std::uint32_t entries = little_endian(r + 10, 2);
    const std::uint64_t directory_size = little_endian(r + 12, 4);
    const std::uint64_t directory_offset = little_endian(r + 16, 4);
    if (entries == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff) {
      return Ok{};  // ZIP64: its own records say where things are; libarchive checks them
    }
    if (entries == 0)
      return make_error(std::string(kEmptyZip), where, "put at least one file in the package");
    if (directory_offset + directory_size > base + at) return unreadable;
    return Ok{};
  }
  return unreadable;
}

struct PendingLink {
  std::vector<std::string> components;
  std::string target;
  std::string name;
};

Status make_dirs(const fs::path& dest, const std::vector<std::string>& components, std::size_t count,
                 const std::string& entry, const std::string& where) {
  fs::path p = dest;
  for (std::size_t i = 0; i < count; ++i) {
    p /= components[i];
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return make_error(
            "entry '" + entry + "' needs '" +
                detail::join({components.begin(), components.begin() + static_cast<long>(i) + 1}) +
                "' to be a directory, but the archive has a file there",
            where);
      }
      continue;
    }
    if (::mkdir(p.c_str(), 0755) != 0 || ::chmod(p.c_str(), 0755) != 0) {
      return make_error("cannot create directory '" + p.string() + "': " + std::strerror(errno), where);
    }
  }
  return Ok{};
}

Status write_file(archive* a, const fs::path& path, mode_t mode, std::uint64_t& total,
                  const ExtractLimits& limits, const std::string& entry, const std::string& where) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot write '" + entry + "': " + std::strerror(errno), where);
  char buffer[64 * 1024];
  Status status = Ok{};
  for (;;) {
    const la_ssize_t n = la().archive_read_data(a, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      status = make_error(std::string(kNotAZip) + " (entry '" + entry + "': " + archive_message(a) + ")",
                          where, kNotAZipHint);
      break;
    }
    total += static_cast<std::uint64_t>(n);
    if (total > limits.max_total_bytes) {
      status = make_error("Unzipped size must be smaller than " + std::to_string(limits.max_total_bytes) +
                              " bytes (exceeded at entry '" + entry + "')",
                          where, "Lambda's limit for a function and all its layers is 250 MB unzipped");
      break;
    }
    if (!detail::write_sparse(fd, buffer, static_cast<std::size_t>(n))) {
      status = make_error("cannot write '" + entry + "': " + std::strerror(errno), where);
      break;
    }
  }
  if (status.ok() && !detail::finish_sparse(fd)) {
    status = make_error("cannot write '" + entry + "': " + std::strerror(errno), where);
  }
  if (status.ok() && ::fchmod(fd, detail::normalized_file_mode(mode)) != 0) {
    status = make_error("cannot set the mode of '" + entry + "'", where);
  }
  ::close(fd);
  return status;
}

Status create_links(const fs::path& dest, const std::vector<PendingLink>& links, const std::string& where) {
  for (const PendingLink& link : links) {
    LAYERED_TRY(make_dirs(dest, link.components, link.components.size() - 1, link.name, where));
    const fs::path p = dest / detail::join(link.components);
    if (::symlink(link.target.c_str(), p.c_str()) != 0) {
      return make_error("cannot create symlink '" + link.name + "': " + std::strerror(errno), where);
    }
  }
  // With every link in place, follow each one for real: chains of in-tree
  // links can still lead out even when each target looks harmless.
  for (const PendingLink& link : links) {
    std::vector<std::string> parent(link.components.begin(), link.components.end() - 1);
    if (detail::escapes(dest, parent, link.target))
      return detail::symlink_escape(link.name, link.target, where);
  }
  return Ok{};
}

Status extract_entry(archive* a, archive_entry* entry, const fs::path& dest, const ExtractLimits& limits,
                     std::uint64_t& total, std::vector<PendingLink>& links, const std::string& where) {
  const char* raw = la().archive_entry_pathname(entry);
  const std::string name = raw ? raw : "";
  auto components = detail::entry_components(name, where);
  if (!components) return std::move(components.error());
  if (la().archive_entry_hardlink(entry) != nullptr) {
    return make_error("entry '" + name + "' is a hard link; only files, directories and symlinks are allowed",
                      where);
  }
  const auto type = la().archive_entry_filetype(entry);
  if (components->empty()) {
    if (type == AE_IFDIR) return Ok{};
    return make_error("entry '" + name + "' has no name", where);
  }
  if (type == AE_IFDIR) return make_dirs(dest, *components, components->size(), name, where);
  if (type == AE_IFLNK) {
    const char* target = la().archive_entry_symlink(entry);
    const std::string t = target ? target : "";
    std::vector<std::string> parent(components->begin(), components->end() - 1);
    // A lexical check now (a root that does not exist has no links to
    // follow); create_links() checks again with the links in place.
    if (t.empty() || t[0] == '/' || detail::escapes(fs::path("/nonexistent-root"), parent, t)) {
      return detail::symlink_escape(name, t, where);
    }
    links.push_back({*components, t, name});
    return Ok{};
  }
  if (type != AE_IFREG) {
    return make_error(
        "entry '" + name + "' is a device, FIFO or socket; only files, directories and symlinks are allowed",
        where);
  }
  if (la().archive_entry_size_is_set(entry) &&
      total + static_cast<std::uint64_t>(la().archive_entry_size(entry)) > limits.max_total_bytes) {
    return make_error("Unzipped size must be smaller than " + std::to_string(limits.max_total_bytes) +
                          " bytes (exceeded at entry '" + name + "')",
                      where, "Lambda's limit for a function and all its layers is 250 MB unzipped");
  }
  LAYERED_TRY(make_dirs(dest, *components, components->size() - 1, name, where));
  return write_file(a, dest / detail::join(*components), la().archive_entry_perm(entry), total, limits, name,
                    where);
}

}  // namespace

Status extract_zip(const fs::path& zip, const fs::path& dest, const ExtractLimits& limits) {
  const std::string where = zip.string();
  LAYERED_TRY(check_zip_structure(zip, where));
  if (const auto& lib = detail::archive_lib(); !lib) return lib.error();
  std::unique_ptr<archive, ArchiveCloser> a(la().archive_read_new());
  la().archive_read_support_format_zip_seekable(a.get());
  if (la().archive_read_open_filename(a.get(), zip.c_str(), std::size_t{64} * 1024) != ARCHIVE_OK) {
    return make_error(std::string(kNotAZip) + " (" + archive_message(a.get()) + ")", where, kNotAZipHint);
  }
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) return make_error("cannot create '" + dest.string() + "': " + ec.message(), where);
  std::uint64_t total = 0, entries = 0;
  std::vector<PendingLink> links;
  archive_entry* entry = nullptr;
  int r = ARCHIVE_OK;
  while ((r = la().archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    if (++entries > limits.max_entries) {
      return make_error("archive has more than " + std::to_string(limits.max_entries) + " entries", where,
                        kTooManyEntriesHint);
    }
    LAYERED_TRY(extract_entry(a.get(), entry, dest, limits, total, links, where));
  }
  if (r != ARCHIVE_EOF) {
    return make_error(std::string(kNotAZip) + " (" + archive_message(a.get()) + ")", where, kNotAZipHint);
  }
  if (entries == 0) return make_error(std::string(kEmptyZip), where, "put at least one file in the package");
  return create_links(dest, links, where);
}

}  // namespace layered::store
