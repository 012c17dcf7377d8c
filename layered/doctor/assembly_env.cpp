#include <climits>

#include "doctor/assembly_run.hpp"

namespace layered::doctor {

std::string literal_or(const Json& properties, const char* key, const std::string& fallback) {
  auto it = properties.find(key);
  return it != properties.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string assembly_layer_arn(const cfn::Environment& env, const std::string& name) {
  return "arn:" + env.partition + ":lambda:" + env.region + ":" + env.account_id + ":layer:" + name + ":0";
}

std::string scoped(const cfn::Environment& env, const std::string& name) {
  return env.account_id + "/" + env.region + "/" + name;
}

namespace {

bool same_environment(const StackRun& run, const cfn::Environment& env, const std::string& owner) {
  if (owner.empty() || !run.state) return true;
  auto other = run.state->stack_environment(owner);
  return other.ok() && other->account_id == env.account_id && other->region == env.region;
}

// Where `name` (an export or SSM parameter of `known`, scoped()) exists in
// another account or region than `env`'s, for the error's hint; "" when not.
std::string known_elsewhere(const std::map<std::string, std::string>& known, const cfn::Environment& env,
                            const std::string& name) {
  for (const auto& [key, value] : known) {
    const auto slash = key.find('/', key.find('/') + 1);
    if (key.substr(slash + 1) != name || key.substr(0, slash) == env.account_id + "/" + env.region) continue;
    const std::string account = key.substr(0, key.find('/'));
    return (account == env.account_id ? "" : "account " + account + ", ") + "region " +
           key.substr(key.find('/') + 1, slash - key.find('/') - 1);
  }
  return "";
}

// The same for the local state: the environment of the stack that owns it.
std::string state_elsewhere(const StackRun& run, const cfn::Environment& env, const std::string& owner) {
  if (!run.state || owner.empty() || same_environment(run, env, owner)) return "";
  auto other = run.state->stack_environment(owner);
  if (!other.ok()) return "";
  return (other->account_id == env.account_id ? "" : "account " + other->account_id + ", ") + "region " +
         other->region + " (stack '" + owner + "')";
}

// Fn::GetStackOutput: a stack of this app evaluated before, else one the
// local state has deployed, in the account and region asked for.
cfn::StackOutputs stack_outputs(const StackRun& run, const std::string& stack, const std::string& account,
                                const std::string& region) {
  cfn::StackOutputs out;
  std::string found_in;
  if (auto it = run.known.stacks.find(stack); it != run.known.stacks.end()) {
    found_in = it->second.first;
    out.outputs = it->second.second;
  } else if (run.state) {
    auto record = run.state->stack(stack);
    auto env = run.state->stack_environment(stack);
    if (!record.ok() || !record->has_value() || !env.ok()) return out;
    found_in = env->account_id + "/" + env->region;
    out.outputs = (*record)->outputs;
  } else {
    return out;
  }
  out.exists = found_in == account + "/" + region;
  if (!out.exists) {
    out.outputs.clear();
    out.elsewhere = "account " + found_in.substr(0, found_in.find('/')) + ", region " +
                    found_in.substr(found_in.find('/') + 1);
  }
  return out;
}

}  // namespace

cfn::Environment environment(StackRun& run, const cfn::Template& tpl) {
  cfn::Environment env;
  const state::Settings defaults =
      run.state ? run.state->settings() : state::State::settings_from_environment();
  const state::Settings resolved = state::resolve_environment(defaults, run.stack.account, run.stack.region);
  env.account_id = resolved.account_id;
  env.region = resolved.region;
  env.stack_name = run.stack.name;
  env.stack_id = state::stack_arn(resolved, run.stack.name);
  env.parameter_overrides = run.stack.asset_parameters;
  // A parameter given at the last deploy (--parameters) keeps its value, as in deploy.
  if (run.state) {
    auto before = run.state->stack(run.stack.name);
    if (before.ok() && before->has_value())
      cfn::keep_previous_values(tpl, (*before)->parameters, env.parameter_overrides);
  }
  env.ssm = [&run, scope = env](const std::string& name) -> std::optional<std::string> {
    if (auto it = run.known.ssm.find(scoped(scope, name)); it != run.known.ssm.end()) return it->second;
    if (run.state) {
      auto p = run.state->ssm_parameter(name);
      if (p.ok() && p->has_value() && same_environment(run, scope, (*p)->stack)) return (*p)->value;
    }
    if (cfn::is_bootstrap_version_parameter(name)) return std::string(cfn::kBootstrapVersion);
    return std::nullopt;
  };
  env.ssm_version = [&run, scope = env](const std::string& name, long version) -> std::optional<std::string> {
    // The app's own parameter is at version 1 when this stack deploys first.
    if (auto it = run.known.ssm.find(scoped(scope, name)); it != run.known.ssm.end() && version == 1)
      return it->second;
    if (!run.state || version < 1 || version > INT_MAX) return std::nullopt;
    auto p = run.state->ssm_parameter(name);
    if (!p.ok() || !p->has_value() || !same_environment(run, scope, (*p)->stack)) return std::nullopt;
    auto value = run.state->ssm_parameter_version(name, static_cast<int>(version));
    return value.ok() ? *value : std::nullopt;
  };
  env.ssm_elsewhere = [&run, scope = env](const std::string& name) -> std::string {
    std::string found = known_elsewhere(run.known.ssm, scope, name);
    if (!found.empty() || !run.state) return found;
    auto p = run.state->ssm_parameter(name);
    return p.ok() && p->has_value() ? state_elsewhere(run, scope, (*p)->stack) : "";
  };
  env.export_elsewhere = [&run, scope = env](const std::string& name) -> std::string {
    std::string found = known_elsewhere(run.known.exports, scope, name);
    if (!found.empty() || !run.state) return found;
    auto e = run.state->find_export(name);
    return e.ok() && e->has_value() ? state_elsewhere(run, scope, (*e)->stack) : "";
  };
  env.stack_outputs = [&run](const std::string& stack, const std::string& account,
                             const std::string& region) {
    return stack_outputs(run, stack, account, region);
  };
  env.import_value = [&run, scope = env](const std::string& name) -> std::optional<std::string> {
    if (auto it = run.known.exports.find(scoped(scope, name)); it != run.known.exports.end())
      return it->second;
    if (run.state) {
      auto e = run.state->find_export(name);
      if (e.ok() && e->has_value() && same_environment(run, scope, (*e)->stack)) return (*e)->value;
    }
    return std::nullopt;
  };
  env.resources.ref = [&tpl, &run, env_copy = env](const std::string& id) -> Result<std::string> {
    const cfn::Resource* r = tpl.find_resource(id);
    if (!r) return make_error("unknown resource '" + id + "'");
    if (r->type == "AWS::Lambda::LayerVersion") {
      return assembly_layer_arn(env_copy, literal_or(r->properties, "LayerName", id));
    }
    if (r->type == "AWS::SSM::Parameter") return literal_or(r->properties, "Name", id);
    if (r->type == "AWS::Lambda::Function")
      return literal_or(r->properties, "FunctionName", run.stack.name + "-" + id);
    return make_error("'" + id + "' (" + r->type + ") has no value before it is deployed");
  };
  env.resources.get_att = [ref = env.resources.ref, &tpl](const std::string& id,
                                                          const std::string& attribute) -> Result<Json> {
    const cfn::Resource* r = tpl.find_resource(id);
    if (r && r->type == "AWS::Lambda::LayerVersion" && attribute == "LayerVersionArn") {
      auto arn = ref(id);
      if (!arn) return arn.error();
      return Json(*arn);
    }
    return make_error("attribute '" + attribute + "' of '" + id + "' has no value before it is deployed");
  };
  return env;
}

}  // namespace layered::doctor
