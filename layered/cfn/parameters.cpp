// Template parameters: defaults, overrides, types (including SSM-backed
// ones) and constraints, with CloudFormation's messages.

#include <re2/re2.h>

#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

constexpr const char* kSsmPrefix = "AWS::SSM::Parameter::Value<";

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  try {
    std::size_t used = 0;
    (void)std::stod(s, &used);
    return used == s.size();
  } catch (...) {
    return false;
  }
}

Json split_list(const std::string& s) {
  Json out = Json::array();
  if (s.empty()) return out;
  std::size_t pos = 0;
  for (std::size_t i = s.find(','); i != std::string::npos; i = s.find(',', pos)) {
    out.push_back(s.substr(pos, i - pos));
    pos = i + 1;
  }
  out.push_back(s.substr(pos));
  return out;
}

bool is_list_type(const std::string& type) {
  return type == "CommaDelimitedList" || type.rfind("List<", 0) == 0 ||
         type.find("<List<") != std::string::npos || type == "AWS::SSM::Parameter::Value<CommaDelimitedList>";
}

// RE2, not std::regex: a template is input, and libstdc++'s engine recurses
// per nesting level and per character and backtracks without bound (a
// deeply nested pattern overflowed the stack; "(a|a)*" never ended). RE2
// matches in linear time and refuses patterns nested beyond its limit; it
// lacks backreferences and lookaround, which AllowedPattern rarely needs.
Status check_pattern(const Parameter& p, const std::string& value, const std::string& quoted,
                     const std::string& where) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  const RE2 pattern(p.allowed_pattern, options);
  if (!pattern.ok()) {
    return make_error("AllowedPattern of " + quoted + " is not a regular expression layered can check (" +
                          pattern.error() + ")",
                      where, "simplify the pattern (no backreferences or lookaround)");
  }
  if (!RE2::FullMatch(value, pattern))
    return make_error(quoted + " must match pattern " + p.allowed_pattern, where);
  return Ok{};
}

Status check_constraints(const Parameter& p, const std::string& value, const std::string& where) {
  const std::string quoted = "Parameter '" + p.name + "'";
  if (!p.allowed_values.empty()) {
    bool ok = false;
    for (const std::string& allowed : p.allowed_values) ok = ok || allowed == value;
    if (!ok) {
      std::string list;
      for (const std::string& a : p.allowed_values) list += (list.empty() ? "'" : ", '") + a + "'";
      return make_error(quoted + " must be one of AllowedValues", where, "allowed values: " + list);
    }
  }
  if (!p.allowed_pattern.empty()) LAYERED_TRY(check_pattern(p, value, quoted, where));
  if (p.min_length && value.size() < *p.min_length) {
    return make_error(quoted + " must contain at least " + std::to_string(*p.min_length) + " characters",
                      where);
  }
  if (p.max_length && value.size() > *p.max_length) {
    return make_error(quoted + " must contain at most " + std::to_string(*p.max_length) + " characters",
                      where);
  }
  if ((p.min_value || p.max_value) && is_number(value)) {
    const double v = std::stod(value);
    if (p.min_value && v < *p.min_value) {
      return make_error(quoted + " must be a number not less than " + Json(*p.min_value).dump(), where);
    }
    if (p.max_value && v > *p.max_value) {
      return make_error(quoted + " must be a number not greater than " + Json(*p.max_value).dump(), where);
    }
  }
  return Ok{};
}

}  // namespace

Result<Json> Evaluator::Impl::parameter_value(const Parameter& p, const std::string& given) const {
  const std::string where = prefix() + "Parameters/" + p.name;
  const std::string quoted = "Parameter '" + p.name + "'";
  if (given.size() > kMaxParameterValueBytes) {
    return make_error("the value of " + quoted + " is " + std::to_string(given.size()) +
                          " bytes; CloudFormation takes at most " + std::to_string(kMaxParameterValueBytes),
                      where, "split it into several parameters and join them with Fn::Join");
  }
  if (p.type.rfind(kSsmPrefix, 0) == 0) {
    LAYERED_TRY(check_constraints(p, given, where));
    std::optional<std::string> value;
    if (env.ssm) value = env.ssm(given);
    if (!value) {
      return make_error("Unable to fetch parameters [" + given + "] from parameter store for this account.",
                        where, missing_ssm_hint(given));
    }
    return is_list_type(p.type) ? split_list(*value) : Json(*value);
  }
  if (is_list_type(p.type)) {
    Json list = split_list(given);
    for (const Json& item : list) {
      const std::string s = item.get<std::string>();
      if (p.type == "List<Number>" && !is_number(s))
        return make_error(quoted + " must be a list of numbers", where);
      LAYERED_TRY(check_constraints(p, s, where));
    }
    return list;
  }
  if (p.type == "Number" && !is_number(given)) return make_error(quoted + " must be a number", where);
  LAYERED_TRY(check_constraints(p, given, where));
  return Json(given);
}

std::string parameter_string(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) return value.dump();
  std::string out;
  for (const auto& item : value) out += (out.empty() ? "" : ",") + parameter_string(item);
  return out;
}

bool is_bootstrap_version_parameter(std::string_view name) {
  // The CDK CLI's bootstrap takes a qualifier of letters and digits (at most
  // 10); any name between the slashes is taken, as SSM would store it.
  constexpr std::string_view kPrefix = "/cdk-bootstrap/";
  constexpr std::string_view kSuffix = "/version";
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix))
    return false;
  const std::string_view qualifier =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  return qualifier.find('/') == std::string_view::npos;
}

void keep_previous_values(const Template& tpl,
                          const std::vector<std::pair<std::string, std::string>>& previous,
                          std::map<std::string, std::string>& values) {
  for (const Parameter& p : tpl.parameters) {
    if (values.count(p.name) || p.type.starts_with("AWS::SSM::")) continue;
    for (const auto& [name, value] : previous)
      if (name == p.name) values[name] = value;
  }
}

Status Evaluator::Impl::resolve_parameters() {
  for (const auto& [name, value] : env.parameter_overrides) {
    if (!tpl->find_parameter(name)) {
      std::vector<std::string> names;
      for (const Parameter& p : tpl->parameters) names.push_back(p.name);
      return make_error("Parameters: [" + name + "] do not exist in the template", tpl->stack_name,
                        did_you_mean(name, names));
    }
  }
  std::vector<std::string> missing;
  for (const Parameter& p : tpl->parameters) {
    auto given = env.parameter_overrides.find(p.name);
    if (given == env.parameter_overrides.end() && !p.default_value) {
      missing.push_back(p.name);
      continue;
    }
    auto value =
        parameter_value(p, given != env.parameter_overrides.end() ? given->second : *p.default_value);
    if (!value) return std::move(value.error());
    params[p.name] = std::move(*value);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    // The CDK CLI fills a synthesized template's asset parameters; missing
    // ones mean the assembly lacks the metadata, not that defaults are due.
    const bool assets = missing.front().rfind("AssetParameters", 0) == 0;
    return make_error("Parameters: [" + list + "] must have values", tpl->stack_name,
                      assets
                          ? "these are CDK asset parameters, filled from the stack's 'aws:cdk:asset' "
                            "metadata in manifest.json: synthesize the app again ('npx cdk synth')"
                          : "pass them at deploy ('layered deploy --parameters [STACK:]KEY=VALUE', as 'cdk "
                            "deploy' takes them), or give them a Default in the template");
  }
  return Ok{};
}

}  // namespace layered::cfn
