// FunctionName in the forms Lambda's Invoke takes (docs/lambda-facts.md
// section 7): a name, name:qualifier, a partial ARN or a full ARN.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// 1 to `max` characters, each a letter, a digit or one of `others`.
bool word_of(const std::string& text, std::size_t max, std::string_view others) {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || others.find(c) != std::string_view::npos;
  });
}

bool valid_name(const std::string& name) { return word_of(name, 64, "-_"); }

// Lambda's Qualifier: [a-zA-Z0-9$_-] ($LATEST, a version, an alias).
bool valid_qualifier(const std::string& qualifier) { return word_of(qualifier, 128, "$-_"); }

bool twelve_digits(const std::string& text) {
  if (text.size() != 12) return false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

ApiError malformed(const std::string& function_name) {
  return invalid_parameter(
      "1 validation error detected: Value '" + function_name +
      "' at 'functionName' failed to satisfy constraint: Member must satisfy regular "
      "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
      "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
}

}  // namespace

Api<FunctionRef> parse_function_name(const std::string& function_name, const std::string& query_qualifier) {
  auto parts = split(function_name, ':');
  FunctionRef ref;
  std::size_t at = 0;  // index of the name in parts
  if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function") {
    ref.region = parts[3];
    ref.account = parts[4];
    at = 6;
  } else if (parts.size() >= 3 && twelve_digits(parts[0]) && parts[1] == "function") {
    ref.account = parts[0];
    at = 2;
  }
  if (parts.size() > at + 2 || !valid_name(parts[at])) return malformed(function_name);
  ref.name = parts[at];
  if (parts.size() == at + 2) {
    ref.qualifier = parts[at + 1];
    if (!valid_qualifier(ref.qualifier)) return malformed(function_name);
  }
  if (!query_qualifier.empty()) {
    if (!valid_qualifier(query_qualifier)) {
      return invalid_parameter("1 validation error detected: Value '" + query_qualifier +
                               "' at 'qualifier' failed to satisfy constraint: Member must satisfy regular "
                               "expression pattern: (|[a-zA-Z0-9$_-]+)");
    }
    if (!ref.qualifier.empty() && ref.qualifier != query_qualifier) {
      return invalid_parameter(
          "The derived qualifier from the function name does not match the specified "
          "qualifier.");
    }
    ref.qualifier = query_qualifier;
  }
  return ref;
}

}  // namespace layered::invoke_api
