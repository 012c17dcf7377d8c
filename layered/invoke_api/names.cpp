// FunctionName in the forms Lambda's Invoke takes (docs/lambda-facts.md
// section 7): a name, name:qualifier, a partial ARN or a full ARN.
#include <re2/re2.h>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

namespace {

// Invoke's FunctionName pattern as the current Lambda API model gives it
// (docs/lambda-facts.md section 7), as Lambda quotes it in its message.
constexpr const char* kNamePattern =
    "(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:|"
    "(((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?))(function:)?"
    "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?";
constexpr std::size_t kMaxNameLength = 256;

// The same pattern with only the parts kept that a lookup needs: partition,
// region and account of an ARN, or region and account of a partial one;
// name; qualifier.
const re2::RE2& name_parts() {
  static const re2::RE2 parts(
      R"((?:arn:(aws[a-zA-Z-]*)?:lambda:((?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(\d{12}):|)"
      R"((?:((?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(\d{12}):)?)(?:function:)?)"
      R"(([a-zA-Z0-9_.-]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?)");
  return parts;
}

bool valid_qualifier(const std::string& qualifier) {
  static const re2::RE2 pattern(R"([a-zA-Z0-9$_-]{1,128})");
  return re2::RE2::FullMatch(qualifier, pattern);
}

ApiError malformed(const std::string& function_name) {
  return constraint_error(function_name, "functionName", kMaxNameLength, kNamePattern);
}

}  // namespace

Api<FunctionRef> parse_function_name(const std::string& function_name, const std::string& query_qualifier) {
  FunctionRef ref;
  std::string arn_region;
  std::string arn_account;
  if (function_name.size() > kMaxNameLength ||
      !re2::RE2::FullMatch(function_name, name_parts(), &ref.partition, &arn_region, &arn_account,
                           &ref.region, &ref.account, &ref.name, &ref.qualifier)) {
    return malformed(function_name);
  }
  if (function_name.rfind("arn:", 0) == 0) {
    ref.region = arn_region;
    ref.account = arn_account;
    if (ref.partition.empty()) ref.partition = "aws";
  }
  if (!query_qualifier.empty()) {
    if (!valid_qualifier(query_qualifier)) {
      return validation_error("1 validation error detected: Value '" + query_qualifier +
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
