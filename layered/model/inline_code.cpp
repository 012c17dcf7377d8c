// What CloudFormation puts in the package it makes of inline code: the code
// in index.py / index.js, and for a custom resource's handler that loads it,
// the cfn-response module (our own, layered/runtimes/cfn-response/), looked
// for the one way CloudFormation does ("Use this exact import statement").
// Plain scans, not std::regex: libstdc++'s recurses per character, and
// inline code may be as large as a template.
#include <string_view>

#include "model/model.hpp"

namespace layered::model {

extern const char* const kCfnResponsePython;
extern const char* const kCfnResponseNode;

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A line that is exactly `import cfnresponse` (spaces aside).
bool imports_cfnresponse(std::string_view code) {
  for (std::size_t start = 0; start <= code.size();) {
    const std::size_t end = std::min(code.find('\n', start), code.size());
    std::string_view line = trimmed(code.substr(start, end - start));
    if (line.starts_with("import") && trimmed(line.substr(6)) == "cfnresponse" && line.size() > 6 &&
        (line[6] == ' ' || line[6] == '\t'))
      return true;
    start = end + 1;
  }
  return false;
}

// require('cfn-response') or require("cfn-response"), spaces allowed inside.
bool requires_cfn_response(std::string_view code) {
  for (std::size_t at = code.find("require("); at != std::string_view::npos;
       at = code.find("require(", at + 1)) {
    std::string_view rest = trimmed(code.substr(at + 8, 40));
    for (std::string_view quoted : {"'cfn-response'", "\"cfn-response\""}) {
      if (rest.starts_with(quoted) && trimmed(rest.substr(quoted.size())).starts_with(")")) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> inline_package(Runtime runtime, const std::string& code) {
  const auto file = inline_code_file(runtime);
  if (!file) return {};
  std::vector<std::pair<std::string, std::string>> files{{*file, code}};
  if (family(runtime) == Family::python && imports_cfnresponse(code))
    files.emplace_back("cfnresponse.py", kCfnResponsePython);
  if (family(runtime) == Family::nodejs && requires_cfn_response(code))
    files.emplace_back("cfn-response.js", kCfnResponseNode);
  return files;
}

}  // namespace layered::model
