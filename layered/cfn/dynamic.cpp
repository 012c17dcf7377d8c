// Dynamic references inside strings: {{resolve:ssm:name}} and
// {{resolve:ssm:name:version}}. CloudFormation resolves them after the
// intrinsics, so they may be assembled with Fn::Join (CDK does that for
// parameter names that are tokens).
#include <climits>

#include "cfn/internal.hpp"

namespace layered::cfn {

Result<std::string> Evaluator::Impl::resolve_dynamic_string(const std::string& s,
                                                            const std::string& where) const {
  static const std::string kOpen = "{{resolve:";
  std::string out;
  std::size_t pos = 0;
  for (std::size_t i = s.find(kOpen); i != std::string::npos; i = s.find(kOpen, pos)) {
    out += s.substr(pos, i - pos);
    const std::size_t end = s.find("}}", i);
    if (end == std::string::npos) return make_error("unterminated dynamic reference in '" + s + "'", where);
    const std::string reference = s.substr(i, end + 2 - i);
    const std::string body = s.substr(i + kOpen.size(), end - i - kOpen.size());
    pos = end + 2;
    const std::string service = body.substr(0, body.find(':'));
    if (service != "ssm") {
      return make_error("dynamic reference '" + reference + "' is not emulated by layered", where,
                        "only {{resolve:ssm:NAME}} is emulated; use an SSM String parameter for local runs");
    }
    std::string name = body.size() > 4 ? body.substr(4) : "";
    std::optional<long> version;
    // A version is a trailing ":<digits>"; names with ':' otherwise (ARNs) stay whole.
    if (auto colon = name.rfind(':'); colon != std::string::npos && colon + 1 < name.size() &&
                                      name.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      // Past 18 digits no version exists (and std::stol would throw).
      version = name.size() - colon - 1 <= 18 ? std::stol(name.substr(colon + 1)) : LONG_MAX;
      name = name.substr(0, colon);
    }
    if (name.empty()) return make_error("dynamic reference '" + reference + "' names no parameter", where);
    std::optional<std::string> value;
    if (version) {
      if (!env.ssm_version) {
        return make_error(
            "dynamic reference '" + reference + "' pins a version, which layered does not emulate", where,
            "use {{resolve:ssm:" + name + "}} for the current value");
      }
      value = env.ssm_version(name, *version);
      // SSM's own answer (ParameterVersionNotFound) when the parameter exists.
      if (!value && env.ssm && env.ssm(name)) {
        return make_error("Systems Manager could not find version " + std::to_string(*version) + " of " +
                              name + ". Verify the version and try again.",
                          where, "'layered list' shows the parameter's current version");
      }
    } else if (env.ssm) {
      value = env.ssm(name);
    }
    if (!value) {
      return make_error("Unable to fetch parameters [" + name + "] from parameter store for this account.",
                        where, missing_ssm_hint(name));
    }
    LAYERED_TRY(check_string(out.size() + value->size(), where));
    out += *value;
  }
  out += s.substr(pos);
  return out;
}

Status Evaluator::Impl::resolve_dynamic_references(Json& v, const std::string& where) const {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.find("{{resolve:") == std::string::npos) return Ok{};
    auto resolved = resolve_dynamic_string(s, where);
    if (!resolved) return std::move(resolved.error());
    v = std::move(*resolved);
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      LAYERED_TRY(resolve_dynamic_references(v[i], where + "[" + std::to_string(i) + "]"));
    }
  } else if (v.is_object()) {
    for (auto& [key, x] : v.items()) LAYERED_TRY(resolve_dynamic_references(x, where + "." + key));
  }
  return Ok{};
}

Result<Json> Evaluator::resolve_dynamic_references(Json value, const std::string& where) const {
  LAYERED_TRY(impl_->resolve_dynamic_references(value, where));
  return value;
}

}  // namespace layered::cfn
