// A small RFC 4180 CSV reader for the catalog's data file: comma separated,
// fields optionally in double quotes ("" inside quotes is one quote).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace catalog {

using CsvRow = std::vector<std::string>;

// Parses `text` into rows. Throws std::runtime_error naming `source` and the
// line of an unterminated quote or of a row whose field count differs from
// the first row's.
std::vector<CsvRow> parse_csv(std::string_view text, std::string_view source);

}  // namespace catalog
