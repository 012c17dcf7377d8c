// Private helpers of the store module: the checks shared by zip extraction
// and directory copies.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/common.hpp"

namespace layered::store::detail {

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

}  // namespace layered::store::detail
