// Content-addressed store of extracted assets (function code, layer
// contents) under <state-dir>/store/<key>/, where <key> is the SHA-256 of a
// zip file's bytes or of a directory tree. Identical content is stored once.
//
// Entries are written to a temporary directory inside the store and renamed
// into place, so a crash never leaves a half entry. Extraction and copying
// refuse what Lambda (or safety) would not accept: path traversal, absolute
// paths, symlinks leading outside the tree, hard links, devices/FIFOs/
// sockets, too many entries, and more than Lambda's 250 MB unzipped.
// Stored trees have directories 0755 and files 0644 or 0755 (an executable
// bit anywhere in the source mode gives 0755); in-tree symlinks are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/common.hpp"

namespace layered::store {

inline constexpr const char* kTooManyEntriesHint =
    "Lambda sets no limit on the number of files, layered stops there (a guard against hostile archives): "
    "move part of the package into a layer";

struct ExtractLimits {
  // Lambda: "Unzipped size must be smaller than 262144000 bytes" (250 MiB).
  std::uint64_t max_total_bytes = 262144000;
  // Lambda sets no limit on the number of files; this one bounds what a
  // hostile archive of empty entries costs (a file each on this disk) far
  // above what real packages hold (a large node_modules: tens of thousands).
  std::uint64_t max_entries = 500000;
};

struct StoredAsset {
  std::string key;             // 64 lower-case hex digits
  std::filesystem::path path;  // <store>/<key>: the extracted tree
  bool reused = false;         // already in the store, nothing written
};

class Store {
 public:
  // `root` is <state-dir>/store; it is created on first put().
  explicit Store(std::filesystem::path root, ExtractLimits limits = {});

  const std::filesystem::path& root() const { return root_; }

  // Stores a .zip file (extracted) or a directory (copied). Errors name the
  // source as `where` and the offending entry in the message, e.g.
  // "entry '../evil' has a '..' component (path traversal)".
  Result<StoredAsset> put(const std::filesystem::path& source) const;

  // Stores a package of files at its top (0644), name -> content: inline
  // code (CloudFormation's Code.ZipFile). Keyed like a directory holding them.
  Result<StoredAsset> put_files(const std::vector<std::pair<std::string, std::string>>& files) const;

  // Path of a stored entry (whether or not it exists).
  std::filesystem::path path_of(const std::string& key) const { return root_ / key; }
  bool contains(const std::string& key) const;

  // Keys of all stored entries, sorted.
  std::vector<std::string> keys() const;

  // Deletes every entry whose key is not in `keep`, and leftover temporary
  // directories of interrupted puts. Not safe to run concurrently with put()
  // (callers hold the state lock).
  Status remove_unreferenced(const std::set<std::string>& keep) const;

 private:
  // A private directory in the store, filled by put and put_file.
  Result<std::filesystem::path> make_temp() const;
  // Renames `temp` to the entry `key`; removes it when that entry exists.
  Result<StoredAsset> commit(const std::filesystem::path& temp, const std::string& key) const;

  std::filesystem::path root_;
  ExtractLimits limits_;
};

// Extracts `zip` into `dest` (created if missing; must not hold entries of
// the archive already) with the checks described above. On error `dest` may
// hold part of the archive but nothing is ever written outside `dest`.
Status extract_zip(const std::filesystem::path& zip, const std::filesystem::path& dest,
                   const ExtractLimits& limits);

// Copies directory `source` into `dest` with the same checks and mode
// normalisation as extract_zip.
Status copy_tree(const std::filesystem::path& source, const std::filesystem::path& dest,
                 const ExtractLimits& limits);

// SHA-256 of a file's bytes, lower-case hex.
Result<std::string> sha256_file(const std::filesystem::path& path);

// SHA-256 of a directory tree: sorted relative paths, each with its kind,
// normalised mode (0755/0644) and content or symlink target. Independent of
// timestamps, owners and the directory's location.
Result<std::string> sha256_tree(const std::filesystem::path& dir);

// Bytes of the regular files under `dir` (links not followed): what Lambda
// counts as unzipped size.
std::uint64_t unpacked_size(const std::filesystem::path& dir);

// SHA-256 of bytes in memory, lower-case hex.
std::string sha256_hex(const std::string& bytes);
// The first 128 bits of sha256_hex(seed) in a UUID's 8-4-4-4-12 shape: the
// same seed, the same id (stack ids, RevisionIds, generated names).
std::string uuid_of(const std::string& seed);

}  // namespace layered::store
