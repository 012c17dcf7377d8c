// Inputs of a check: a directory as is, or a zip extracted to a temporary
// directory (with the store's safety checks).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/common.hpp"

namespace layered::doctor {

// A private directory under $TMPDIR, removed with everything in it; locked
// while it lives, so that one left by a killed process (no destructor ran)
// is removed by the next TempDir made in the same $TMPDIR.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // A new, not yet existing path inside the directory.
  std::filesystem::path fresh() { return path_ / std::to_string(++used_); }

 private:
  std::filesystem::path path_;
  int lock_ = -1;
  int used_ = 0;
};

struct Input {
  std::filesystem::path dir;               // the tree to check
  std::optional<std::uint64_t> zip_bytes;  // set when the input was a zip
};

// `label` ("layer 'x'", "function") prefixes errors about the input. A zip
// is extracted into `scratch`, which is made on the first zip: a check of
// directories leaves no trace in $TMPDIR, even when it is killed.
Result<Input> open_input(const std::filesystem::path& path, const std::string& label,
                         std::optional<TempDir>& scratch);

}  // namespace layered::doctor
