// Private helpers of the assembly module (not part of its public API).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/common.hpp"

namespace layered::assembly::detail {

// Manifests are not held to a CloudFormation quota, but are still read
// with a bound.
inline constexpr std::size_t kMaxManifestBytes = 64u * 1024 * 1024;

// Parses a JSON file of at most `max_bytes` (a larger one is refused
// unread, with `too_large` as the message when given) nested at most
// kMaxJsonDepth deep; a syntax error becomes where = "<shown>:<line>:<column>".
Result<nlohmann::json> read_json_file(const std::filesystem::path& path, const std::string& shown,
                                      std::size_t max_bytes = kMaxManifestBytes,
                                      const std::string& too_large = {});

}  // namespace layered::assembly::detail
