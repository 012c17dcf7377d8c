// A small scanner for the imports of a Python module: enough to see, without
// running Python, which top-level packages the handler module needs at init.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "doctor/internal.hpp"

namespace layered::doctor {

extern const char* const kPythonStdlibJson;

namespace {

// Removes string literals and comments from one physical line, tracking
// triple-quoted strings across lines in `open` ("", "\"\"\"" or "'''").
std::string code_of(std::string_view line, std::string& open) {
  std::string code;
  std::size_t i = 0;
  while (i < line.size()) {
    if (!open.empty()) {
      std::size_t end = line.find(open, i);
      if (end == std::string_view::npos) return code;
      i = end + 3;
      open.clear();
      code += "\"\"";
      continue;
    }
    char c = line[i];
    if (c == '#') break;
    if (c == '"' || c == '\'') {
      std::string triple(3, c);
      if (line.substr(i, 3) == triple) {
        open = triple;
        i += 3;
        continue;
      }
      std::size_t j = i + 1;
      while (j < line.size() && line[j] != c) j += line[j] == '\\' ? 2 : 1;
      i = j + 1;
      code += "\"\"";
      continue;
    }
    code += c;
    ++i;
  }
  return code;
}

void add_names(const std::string& list, int line, std::vector<PythonImport>& out) {
  static const std::regex item(
      R"(\s*([A-Za-z_][A-Za-z0-9_]*)[A-Za-z0-9_.]*(\s+as\s+[A-Za-z_][A-Za-z0-9_]*)?\s*)");
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    std::string part = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::smatch m;
    if (std::regex_match(part, m, item)) out.push_back({m[1], line});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

}  // namespace

std::vector<PythonImport> top_level_imports(std::string_view source) {
  static const std::regex plain(R"(import\s+(.+?)\s*;?\s*)");
  static const std::regex from(R"(from\s+([A-Za-z_][A-Za-z0-9_]*)[A-Za-z0-9_.]*\s+import\b.*)");
  std::vector<PythonImport> out;
  std::string open;
  int number = 0;
  bool continued = false;  // the previous line ended in a backslash
  std::size_t at = 0;
  while (at <= source.size()) {
    std::size_t end = source.find('\n', at);
    std::string_view line =
        source.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? source.size() + 1 : end + 1;
    ++number;
    bool in_string = !open.empty();
    std::string code = code_of(line, open);
    if (!code.empty() && code.back() == '\r') code.pop_back();
    bool starts_statement = !in_string && !continued;
    continued = !code.empty() && code.back() == '\\';
    if (!starts_statement || code.empty() || code[0] == ' ' || code[0] == '\t') continue;
    std::smatch m;
    if (std::regex_match(code, m, from)) {
      if (m[1] != "__future__") out.push_back({m[1], number});
    } else if (std::regex_match(code, m, plain)) {
      add_names(m[1], number, out);
    }
  }
  return out;
}

bool is_stdlib_module(const std::string& version, const std::string& name) {
  static const nlohmann::json data = nlohmann::json::parse(kPythonStdlibJson).at("versions");
  auto it = data.find(version);
  if (it == data.end()) return false;
  const auto& names = *it;
  return std::binary_search(names.begin(), names.end(), nlohmann::json(name));
}

}  // namespace layered::doctor
