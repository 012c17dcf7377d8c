// Private helpers of the assembly module (not part of its public API).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/common.hpp"

namespace layered::assembly::detail {

// Parses a JSON file; a syntax error becomes where = "<shown>:<line>:<column>".
Result<nlohmann::json> read_json_file(const std::filesystem::path& path, const std::string& shown);

}  // namespace layered::assembly::detail
