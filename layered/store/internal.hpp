// Private helpers of the store module: the checks shared by zip extraction
// and directory copies.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/common.hpp"

namespace layered::store::detail {

// Lambda's wording for an upload it cannot read as a zip, and for an empty one.
inline constexpr const char* kNotAZip =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";
inline constexpr const char* kNotAZipHint =
    "the package is not a complete zip archive: build it again (scripts/build.sh, then 'npx cdk synth')";
inline constexpr const char* kEmptyZip = "Uploaded file must be a non-empty zip";

// The components of an archive entry name ("./a//b/" -> {"a", "b"}), or an
// error for absolute names and '..' components. `where` is the archive.
Result<std::vector<std::string>> entry_components(const std::string& name, const std::string& where);

// 0755 when any execute bit is set, else 0644.
inline mode_t normalized_file_mode(mode_t mode) { return (mode & 0111) ? 0755 : 0644; }

// True if following `target` from directory `parent` (components relative to
// `root`) leaves `root`, resolving symlinks that already exist under `root`
// as it goes. Absolute targets always leave.
bool escapes(const std::filesystem::path& root, std::vector<std::string> parent, const std::string& target);

// "symlink 'a/b' -> '../../x' points outside the archive"
Error symlink_escape(const std::string& entry, const std::string& target, const std::string& where);

std::string join(const std::vector<std::string>& components);

// Writes a block, seeking over it instead when it is all zeros, so that
// sparse files (and zips of them) stay sparse in the store.
bool write_sparse(int fd, const char* data, std::size_t size);
// Sets the file's size to where the last write or seek ended.
bool finish_sparse(int fd);

}  // namespace layered::store::detail
