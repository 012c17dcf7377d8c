// Lambda's runtime identifiers and what layered does with each.
#include <algorithm>
#include <array>

#include "model/model.hpp"

namespace layered::model {

namespace {

struct RuntimeInfo {
  Runtime runtime;
  std::string_view name;
  Family family;
  bool deprecated;
  Runtime replacement;  // the supported runtime to move to (itself when supported)
};

using R = Runtime;
using F = Family;

// Lambda's runtime table ("Lambda runtimes" and "Runtime deprecation" in the
// Lambda Developer Guide, docs/lambda-facts.md section 10). A deprecated
// runtime's replacement is the current runtime of its language that AWS's
// deprecation notices point to (Amazon Linux 2023 based).
constexpr std::array kRuntimes = {
    RuntimeInfo{R::provided_al2023, "provided.al2023", F::custom, false, R::provided_al2023},
    RuntimeInfo{R::provided_al2, "provided.al2", F::custom, false, R::provided_al2},
    RuntimeInfo{R::python3_9, "python3.9", F::python, false, R::python3_9},
    RuntimeInfo{R::python3_10, "python3.10", F::python, false, R::python3_10},
    RuntimeInfo{R::python3_11, "python3.11", F::python, false, R::python3_11},
    RuntimeInfo{R::python3_12, "python3.12", F::python, false, R::python3_12},
    RuntimeInfo{R::python3_13, "python3.13", F::python, false, R::python3_13},
    RuntimeInfo{R::python3_14, "python3.14", F::python, false, R::python3_14},
    RuntimeInfo{R::nodejs18_x, "nodejs18.x", F::nodejs, false, R::nodejs18_x},
    RuntimeInfo{R::nodejs20_x, "nodejs20.x", F::nodejs, false, R::nodejs20_x},
    RuntimeInfo{R::nodejs22_x, "nodejs22.x", F::nodejs, false, R::nodejs22_x},
    RuntimeInfo{R::nodejs24_x, "nodejs24.x", F::nodejs, false, R::nodejs24_x},
    RuntimeInfo{R::java8_al2, "java8.al2", F::other, false, R::java8_al2},
    RuntimeInfo{R::java11, "java11", F::other, false, R::java11},
    RuntimeInfo{R::java17, "java17", F::other, false, R::java17},
    RuntimeInfo{R::java21, "java21", F::other, false, R::java21},
    RuntimeInfo{R::java25, "java25", F::other, false, R::java25},
    RuntimeInfo{R::ruby3_2, "ruby3.2", F::other, false, R::ruby3_2},
    RuntimeInfo{R::ruby3_3, "ruby3.3", F::other, false, R::ruby3_3},
    RuntimeInfo{R::ruby3_4, "ruby3.4", F::other, false, R::ruby3_4},
    RuntimeInfo{R::ruby4_0, "ruby4.0", F::other, false, R::ruby4_0},
    RuntimeInfo{R::dotnet8, "dotnet8", F::other, false, R::dotnet8},
    RuntimeInfo{R::dotnet10, "dotnet10", F::other, false, R::dotnet10},
    RuntimeInfo{R::provided, "provided", F::custom, true, R::provided_al2023},
    RuntimeInfo{R::go1_x, "go1.x", F::custom, true, R::provided_al2023},
    RuntimeInfo{R::python2_7, "python2.7", F::python, true, R::python3_13},
    RuntimeInfo{R::python3_6, "python3.6", F::python, true, R::python3_13},
    RuntimeInfo{R::python3_7, "python3.7", F::python, true, R::python3_13},
    RuntimeInfo{R::python3_8, "python3.8", F::python, true, R::python3_13},
    RuntimeInfo{R::nodejs, "nodejs", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs4_3, "nodejs4.3", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs4_3_edge, "nodejs4.3-edge", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs6_10, "nodejs6.10", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs8_10, "nodejs8.10", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs10_x, "nodejs10.x", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs12_x, "nodejs12.x", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs14_x, "nodejs14.x", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::nodejs16_x, "nodejs16.x", F::nodejs, true, R::nodejs22_x},
    RuntimeInfo{R::java8, "java8", F::other, true, R::java21},
    RuntimeInfo{R::dotnetcore1_0, "dotnetcore1.0", F::other, true, R::dotnet8},
    RuntimeInfo{R::dotnetcore2_0, "dotnetcore2.0", F::other, true, R::dotnet8},
    RuntimeInfo{R::dotnetcore2_1, "dotnetcore2.1", F::other, true, R::dotnet8},
    RuntimeInfo{R::dotnetcore3_1, "dotnetcore3.1", F::other, true, R::dotnet8},
    RuntimeInfo{R::dotnet6, "dotnet6", F::other, true, R::dotnet8},
    RuntimeInfo{R::ruby2_5, "ruby2.5", F::other, true, R::ruby3_3},
    RuntimeInfo{R::ruby2_7, "ruby2.7", F::other, true, R::ruby3_3},
};

const RuntimeInfo& info(Runtime runtime) {
  const auto* it = std::find_if(kRuntimes.begin(), kRuntimes.end(),
                                [runtime](const RuntimeInfo& i) { return i.runtime == runtime; });
  assert(it != kRuntimes.end());
  return *it;
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

std::optional<Runtime> parse_runtime(std::string_view text) {
  const auto* it = std::find_if(kRuntimes.begin(), kRuntimes.end(),
                                [text](const RuntimeInfo& i) { return i.name == text; });
  if (it == kRuntimes.end()) return std::nullopt;
  return it->runtime;
}

std::string_view to_string(Runtime runtime) { return info(runtime).name; }
Family family(Runtime runtime) { return info(runtime).family; }
bool deprecated(Runtime runtime) { return info(runtime).deprecated; }
bool emulated(Runtime runtime) { return !deprecated(runtime) && family(runtime) != Family::other; }
Runtime replacement(Runtime runtime) { return info(runtime).replacement; }

std::optional<std::string> inline_code_file(Runtime runtime) {
  switch (family(runtime)) {
    case Family::python:
      return "index.py";
    case Family::nodejs:
      return "index.js";
    default:
      return std::nullopt;
  }
}

Error inline_code_refused(Runtime runtime, std::string where) {
  return make_error("Code.ZipFile (inline code) is only for Node.js and Python functions, not " +
                        std::string(to_string(runtime)),
                    std::move(where), "package the function as an asset (lambda.Code.fromAsset)");
}

std::vector<std::string> runtime_names() {
  std::vector<std::string> names;
  names.reserve(kRuntimes.size());
  for (const auto& i : kRuntimes) names.emplace_back(i.name);
  return names;
}

// Lambda's CreateFunction/UpdateFunctionConfiguration answer for these says
// "The runtime parameter of provided is no longer supported for creating or
// updating AWS Lambda functions. We recommend you use the new runtime
// (provided.al2023) while creating or updating functions."
Error unsupported_runtime(const std::string& function, Runtime runtime, std::string where) {
  const std::string_view to = to_string(replacement(runtime));
  return make_error("function " + in_quotes(function) + ": the runtime " + in_quotes(to_string(runtime)) +
                        " is no longer supported for creating or updating AWS Lambda functions",
                    std::move(where),
                    "set the function's runtime to " + in_quotes(to) + " (Lambda's replacement for " +
                        in_quotes(to_string(runtime)) + ") and deploy again");
}

Error not_emulated_runtime(const std::string& function, Runtime runtime, std::string where) {
  return make_error(
      "function " + in_quotes(function) + ": the runtime " + in_quotes(to_string(runtime)) +
          " is not emulated",
      std::move(where),
      "layered runs provided.al2023, provided.al2, python3.X and nodejsNN.x functions; run this "
      "one on AWS");
}

Error unknown_runtime(const std::string& function, const std::string& text, std::string where) {
  std::string hint = did_you_mean(text, runtime_names());
  return make_error(
      "function " + in_quotes(function) + ": unknown runtime " + in_quotes(text), std::move(where),
      (hint.empty() ? "" : hint + " ") +
          "use one of Lambda's runtimes, such as 'provided.al2023', 'python3.13' or 'nodejs22.x'");
}

Result<Runtime> supported_runtime(const std::string& function, const std::string& text, std::string where) {
  auto runtime = parse_runtime(text);
  if (!runtime) return unknown_runtime(function, text, std::move(where));
  if (deprecated(*runtime)) return unsupported_runtime(function, *runtime, std::move(where));
  return *runtime;
}

std::optional<Architecture> parse_architecture(std::string_view text) {
  if (text == "x86_64") return Architecture::x86_64;
  if (text == "arm64") return Architecture::arm64;
  return std::nullopt;
}

std::string_view to_string(Architecture architecture) {
  return architecture == Architecture::arm64 ? "arm64" : "x86_64";
}

}  // namespace layered::model
