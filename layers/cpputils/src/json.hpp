// JSON string escaping into a caller's buffer. Internal to cpputils.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cpputils {

// Appends `text` escaped for a JSON string literal (without the quotes): the
// log lines and error bodies are built in one string, no temporary per field.
void append_json_escaped(std::string& out, std::string_view text);

// The length of the start of `text` that stands in a JSON string as it is:
// all of it for a request id and most messages.
std::size_t json_plain_prefix(std::string_view text);

}  // namespace cpputils
