// A small scanner for the imports of a Python module: enough to see, without
// running Python, which top-level packages the handler module needs at init.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

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

// Plain scans, not std::regex: libstdc++'s recurses per character, and a
// 40 KB import line overflowed the stack.
bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r'; }

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && space(s[i])) ++i;
  return i;
}

// A dotted name at `i` ("a.b.c"): its first part, and where it ends; "" when
// none starts there.
std::string dotted_name(std::string_view s, std::size_t& i) {
  if (i >= s.size() || !ident_start(s[i])) return "";
  const std::size_t start = i;
  while (i < s.size() && ident_char(s[i])) ++i;
  std::string first(s.substr(start, i - start));
  while (i < s.size() && (ident_char(s[i]) || s[i] == '.')) ++i;
  return first;
}

// `word` at `i`, followed by at least one space: where what follows starts.
std::optional<std::size_t> keyword(std::string_view s, std::size_t i, std::string_view word) {
  if (s.substr(i, word.size()) != word) return std::nullopt;
  const std::size_t after = i + word.size();
  if (after >= s.size() || !space(s[after])) return std::nullopt;
  return skip_spaces(s, after);
}

// One item of "import a.b as c, d": its top-level package, when it is one.
std::string imported_name(std::string_view part) {
  std::size_t i = skip_spaces(part, 0);
  std::string first = dotted_name(part, i);
  if (first.empty()) return "";
  std::size_t rest = skip_spaces(part, i);
  if (rest < part.size() && rest > i) {
    auto alias = keyword(part, rest, "as");
    if (!alias) return "";
    std::size_t j = *alias;
    if (dotted_name(part, j).empty() || part.substr(*alias, j - *alias).find('.') != std::string_view::npos)
      return "";
    rest = skip_spaces(part, j);
  }
  return rest == part.size() ? first : "";
}

void add_names(std::string_view list, int line, std::vector<PythonImport>& out) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    std::string name =
        imported_name(list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
    if (!name.empty()) out.push_back({name, line});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

// "from pkg.mod import ...": pkg, else "".
std::string from_package(std::string_view code) {
  auto at = keyword(code, 0, "from");
  if (!at) return "";
  std::size_t i = *at;
  std::string first = dotted_name(code, i);
  if (first.empty() || i >= code.size() || !space(code[i])) return "";
  i = skip_spaces(code, i);
  if (code.substr(i, 6) != "import" || (i + 6 < code.size() && ident_char(code[i + 6]))) return "";
  return first;
}

// "import a, b as c;": "a, b as c", or nullopt.
std::optional<std::string_view> import_list(std::string_view code) {
  auto at = keyword(code, 0, "import");
  if (!at) return std::nullopt;
  std::string_view rest = code.substr(*at);
  while (!rest.empty() && space(rest.back())) rest.remove_suffix(1);
  if (!rest.empty() && rest.back() == ';') rest.remove_suffix(1);
  while (!rest.empty() && space(rest.back())) rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

}  // namespace

std::vector<PythonImport> top_level_imports(std::string_view source) {
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
    if (std::string package = from_package(code); !package.empty()) {
      if (package != "__future__") out.push_back({package, number});
    } else if (auto list = import_list(code)) {
      add_names(*list, number, out);
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
