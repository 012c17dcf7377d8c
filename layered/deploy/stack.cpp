// One stack: evaluate the template resource by resource, apply each change,
// delete what disappeared, then enforce the export rules and record the stack.
#include <algorithm>
#include <chrono>
#include <climits>
#include <ctime>
#include <set>

#include "deploy/internal.hpp"

namespace layered::deploy::detail {

// What CloudFormation and Lambda record as a time: 2024-01-01T00:00:00Z.
std::string now_utc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

namespace {

// One stack as CloudFormation names it; several quoted one by one.
std::string joined(const std::vector<std::string>& names) {
  return names.size() == 1 ? names.front() : quoted_names(names);
}

// Exports and SSM parameters belong to one account and region: a stack sees
// only those of stacks in its own environment (a parameter no stack owns,
// such as the CDK bootstrap version, is everywhere).
bool same_environment(const StackContext& ctx, const std::string& owner) {
  if (owner.empty() || owner == ctx.stack.name) return true;
  auto env = ctx.state.stack_environment(owner);
  return env.ok() && env->account_id == ctx.env.account_id && env->region == ctx.env.region;
}

// Where the stack `owner` lives when it is not this stack's account and
// region ("region eu-west-1 (stack 'Producer')"), else "".
std::string other_environment(const StackContext& ctx, const std::string& owner) {
  if (owner.empty() || same_environment(ctx, owner)) return "";
  auto env = ctx.state.stack_environment(owner);
  if (!env.ok()) return "";
  const std::string account =
      env->account_id == ctx.env.account_id ? "" : "account " + env->account_id + ", ";
  return account + "region " + env->region + " (stack '" + owner + "')";
}

// Fn::GetStackOutput reads a deployed stack's recorded outputs, and locks
// nothing: the producer may change or go (a weak reference).
cfn::StackOutputs stack_outputs(const StackContext& ctx, const std::string& stack, const std::string& account,
                                const std::string& region) {
  cfn::StackOutputs out;
  auto record = ctx.state.stack(stack);
  if (!record.ok() || !record->has_value()) return out;
  auto env = ctx.state.stack_environment(stack);
  if (!env.ok()) return out;
  if (env->account_id == account && env->region == region) {
    out.exists = true;
    out.outputs = (*record)->outputs;
  } else {
    out.elsewhere = "account " + env->account_id + ", region " + env->region;
  }
  return out;
}

std::string attribute_names(const Json& attributes) {
  std::string out;
  for (const auto& [name, value] : attributes.items())
    if (name.rfind("layered:", 0) != 0)
      out += (out.empty() ? "" : ", ") + name;  // ours, not CloudFormation's
  return out.empty() ? "no attributes" : out;
}

// The values the template's parameters get besides their defaults: the
// assets', the ones given with --parameters, and what the previous deploy's
// keep (cfn::keep_previous_values).
std::map<std::string, std::string> parameter_values(const StackContext& ctx,
                                                    const std::optional<state::StackRecord>& before) {
  auto values = ctx.stack.asset_parameters;
  if (ctx.stack.nesting_depth > 0) return values;  // a nested stack's come from its parent
  // Every stack's first, then this stack's own, which win as in cdk deploy.
  for (const auto& given : ctx.options.parameters)
    if (given.stack.empty() && ctx.tpl.find_parameter(given.key)) values[given.key] = given.value;
  for (const auto& given : ctx.options.parameters)
    if (given.stack == ctx.stack.name) values[given.key] = given.value;
  if (before) cfn::keep_previous_values(ctx.tpl, before->parameters, values);
  return values;
}

cfn::Environment environment(StackContext& ctx, const std::optional<state::StackRecord>& before) {
  cfn::Environment env;
  env.account_id = ctx.env.account_id;
  env.region = ctx.env.region;
  env.stack_name = ctx.stack.name;
  env.stack_id = state::stack_arn(ctx.env, ctx.stack.name);
  env.parameter_overrides = parameter_values(ctx, before);
  env.ssm = [&ctx](const std::string& name) -> std::optional<std::string> {
    auto p = ctx.state.ssm_parameter(name);
    if (!p.ok() || !p->has_value() || !same_environment(ctx, (*p)->stack)) return std::nullopt;
    return (*p)->value;
  };
  env.ssm_version = [&ctx](const std::string& name, long version) -> std::optional<std::string> {
    auto p = ctx.state.ssm_parameter(name);
    if (!p.ok() || !p->has_value() || !same_environment(ctx, (*p)->stack) || version < 1 || version > INT_MAX)
      return std::nullopt;
    auto value = ctx.state.ssm_parameter_version(name, static_cast<int>(version));
    return value.ok() ? *value : std::nullopt;
  };
  env.ssm_elsewhere = [&ctx](const std::string& name) -> std::string {
    auto p = ctx.state.ssm_parameter(name);
    return p.ok() && p->has_value() ? other_environment(ctx, (*p)->stack) : "";
  };
  env.import_value = [&ctx](const std::string& name) -> std::optional<std::string> {
    auto e = ctx.state.find_export(name);
    if (!e.ok() || !e->has_value() || !same_environment(ctx, (*e)->stack)) return std::nullopt;
    return (*e)->value;
  };
  env.export_elsewhere = [&ctx](const std::string& name) -> std::string {
    auto e = ctx.state.find_export(name);
    return e.ok() && e->has_value() ? other_environment(ctx, (*e)->stack) : "";
  };
  env.stack_outputs = [&ctx](const std::string& stack, const std::string& account,
                             const std::string& region) {
    return stack_outputs(ctx, stack, account, region);
  };
  env.resources.ref = [&ctx](const std::string& id) -> Result<std::string> {
    auto it = ctx.current.find(id);
    if (it == ctx.current.end()) return make_error("resource '" + id + "' has not been created yet");
    return it->second.physical_id;
  };
  env.resources.get_att = [&ctx](const std::string& id, const std::string& attribute) -> Result<Json> {
    auto it = ctx.current.find(id);
    if (it == ctx.current.end()) return make_error("resource '" + id + "' has not been created yet");
    auto attributes = Json::parse(it->second.attributes_json, nullptr, false);
    if (attributes.is_object() && attributes.contains(attribute)) return attributes[attribute];
    // Emulated types carry every attribute CloudFormation gives them.
    if (it->second.emulated) {
      return make_error("Template error: resource " + id + " does not support attribute type " + attribute +
                            " in Fn::GetAtt",
                        "", "'" + it->second.type + "' has: " + attribute_names(attributes));
    }
    // CloudFormation would give a value that only the real service knows:
    // a marked placeholder, said once, rather than failing the whole deploy
    // for a resource that is recorded only.
    const std::string placeholder = "<" + id + "." + attribute + ": not emulated>";
    if (ctx.placeholders.insert(id + "." + attribute).second)
      ctx.progress("note: " + it->second.type + " " + id + " is recorded only; Fn::GetAtt " + id + "." +
                   attribute + " is given the placeholder '" + placeholder + "'");
    return Json(placeholder);
  };
  return env;
}

// Deletes resources the template no longer has (or whose Condition turned
// false), newest first, then the physical resources replaced by this deploy.
Status cleanup(StackContext& ctx, const std::vector<state::ResourceRecord>& before) {
  for (auto it = before.rbegin(); it != before.rend(); ++it) {
    if (ctx.current.count(it->logical_id)) continue;
    const bool retain = it->deletion_policy == "Retain";
    ctx.progress((retain ? "retaining " : "deleting ") + it->type + " " + it->logical_id +
                 (retain ? " (DeletionPolicy Retain)" : "") + "...");
    LAYERED_TRY(remove_physical(ctx.state, *it, retain));
    LAYERED_TRY(ctx.state.delete_resource(ctx.stack.name, it->logical_id));
    ctx.changed = true;
  }
  for (const auto& old : ctx.replaced) {
    auto now = ctx.current.find(old.logical_id);
    const bool retain = now != ctx.current.end() && (now->second.update_replace_policy == "Retain" ||
                                                     now->second.deletion_policy == "Retain");
    ctx.progress((retain ? "retaining old " : "deleting old ") + old.type + " " + old.logical_id + " (" +
                 old.physical_id + ")" + (retain ? " (Retain policy)" : "") + "...");
    LAYERED_TRY(remove_physical(ctx.state, old, retain));
  }
  return Ok{};
}

// Export uniqueness and the "in use" locks, then the new exports.
Status apply_exports(StackContext& ctx, const std::vector<cfn::ResolvedOutput>& outputs) {
  std::map<std::string, std::pair<std::string, std::string>> wanted;  // name -> (value, output id)
  for (const auto& o : outputs) {
    if (o.export_name.empty()) continue;
    std::string where = ctx.stack.name + "/Outputs/" + o.logical_id + ".Export.Name";
    if (wanted.count(o.export_name)) {
      return make_error(
          "Export with name " + o.export_name + " is already exported by stack " + ctx.stack.name, where,
          "give each output's Export a different Name");
    }
    auto existing = ctx.state.find_export(o.export_name);
    if (!existing.ok()) return existing.error();
    if (existing->has_value() && (*existing)->stack != ctx.stack.name) {
      return make_error(
          "Export with name " + o.export_name + " is already exported by stack " + (*existing)->stack, where,
          same_environment(ctx, (*existing)->stack)
              ? "export names are unique per account and region: rename this export"
              : "export names are unique per account and region, and locally across regions too: rename "
                "this export");
    }
    wanted[o.export_name] = {o.value, o.logical_id};
  }
  auto ours = ctx.state.exports_of(ctx.stack.name);
  if (!ours.ok()) return ours.error();
  for (const auto& e : *ours) {
    auto w = wanted.find(e.name);
    if (w != wanted.end() && w->second.first == e.value) continue;
    if (!e.importers.empty()) {
      const bool removed = w == wanted.end();
      return make_error("Export " + e.name + " cannot be " + (removed ? "deleted" : "updated") +
                            " as it is in use by " + joined(e.importers),
                        ctx.stack.name + (removed ? "" : "/Outputs/" + w->second.second),
                        quoted_names(e.importers) + " must stop importing it first (or keep the old value " +
                            "exported for one more deploy, e.g. with CDK's stack.exportValue())");
    }
    if (w == wanted.end()) LAYERED_TRY(ctx.state.delete_export(e.name));
    ctx.changed = true;
  }
  for (const auto& [name, value] : wanted) {
    auto existing = ctx.state.find_export(name);
    if (!existing.ok()) return existing.error();
    if (!existing->has_value()) ctx.changed = true;
    LAYERED_TRY(ctx.state.put_export(state::ExportRecord{name, value.first, ctx.stack.name, {}}));
  }
  return Ok{};
}

std::string digest(const cfn::Evaluator& ev, const StackContext& ctx,
                   const std::vector<cfn::ResolvedOutput>& outputs) {
  Json doc;
  doc["Parameters"] = ev.parameter_values();
  for (const auto& [id, r] : ctx.current) {
    doc["Resources"][id] = {{"Type", r.type},
                            {"Properties", Json::parse(r.properties_json, nullptr, false)},
                            {"PhysicalId", r.physical_id},
                            {"DeletionPolicy", r.deletion_policy},
                            {"UpdateReplacePolicy", r.update_replace_policy}};
  }
  for (const auto& o : outputs)
    doc["Outputs"][o.logical_id] = {{"Value", o.value}, {"Export", o.export_name}};
  return store::sha256_hex(doc.dump());
}

Status evaluate_resources(StackContext& ctx, const cfn::Evaluator& ev) {
  auto order = ev.resource_order();
  if (!order.ok()) return order.error();
  for (const auto& id : *order) {
    const cfn::Resource* resource = ctx.tpl.find_resource(id);
    auto properties = ev.evaluate_properties(id);
    if (!properties.ok()) return properties.error();
    LAYERED_TRY(apply_resource(ctx, *resource, *properties));
  }
  return Ok{};
}

}  // namespace

Result<StackResult> deploy_stack(const assembly::Assembly& app, const assembly::Stack& stack,
                                 state::State& state, const store::Store& store, const DeployOptions& options,
                                 bool* validated) {
  auto tpl = cfn::parse(stack.template_json, stack.name);
  if (!tpl.ok()) return tpl.error();
  StackContext ctx{app,
                   stack,
                   state,
                   store,
                   options,
                   *tpl,
                   state::resolve_environment(state.settings(), stack.account, stack.region),
                   {},
                   {},
                   {},
                   false,
                   {},
                   {},
                   {},
                   {}};
  ctx.result.name = stack.name;
  ctx.result.stack_id = state::stack_arn(ctx.env, stack.name);
  auto previous_stack = state.stack(stack.name);
  if (!previous_stack.ok()) return previous_stack.error();
  auto before = state.resources(stack.name);
  if (!before.ok()) return before.error();
  for (const auto& r : *before) ctx.previous[r.logical_id] = r;
  if (!previous_stack->has_value()) {
    // Resources and exports reference the stack row.
    LAYERED_TRY(state.put_stack(state::StackRecord{
        stack.name, "CREATE_IN_PROGRESS", "", {}, {}, now_utc(), ctx.env.account_id, ctx.env.region}));
  }

  cfn::Evaluator ev(*tpl, environment(ctx, *previous_stack));
  LAYERED_TRY(ev.prepare());
  LAYERED_TRY(ev.check_imports());
  if (validated) *validated = true;
  LAYERED_TRY(evaluate_resources(ctx, ev));
  auto outputs = ev.evaluate_outputs();
  if (!outputs.ok()) return outputs.error();
  auto imports = ev.imported_exports();
  if (!imports.ok()) return imports.error();
  LAYERED_TRY(apply_exports(ctx, *outputs));
  LAYERED_TRY(state.set_imports(stack.name, std::vector<std::string>(imports->begin(), imports->end())));
  // As CloudFormation: deletions and the old halves of replacements go last.
  LAYERED_TRY(cleanup(ctx, *before));

  for (const auto& o : *outputs) ctx.result.outputs.emplace_back(o.logical_id, o.value);
  state::Pairs parameters;
  for (const auto& [name, value] : ev.parameter_values())
    parameters.emplace_back(name, cfn::parameter_string(value));
  std::string template_digest = digest(ev, ctx, *outputs);
  const auto& prev = *previous_stack;
  if (prev && !ctx.changed && prev->template_digest == template_digest) {
    ctx.result.outcome = Outcome::unchanged;
    return ctx.result;
  }
  ctx.result.outcome = prev ? Outcome::updated : Outcome::created;
  LAYERED_TRY(state.put_stack(state::StackRecord{stack.name, prev ? "UPDATE_COMPLETE" : "CREATE_COMPLETE",
                                                 template_digest, ctx.result.outputs, parameters, now_utc(),
                                                 ctx.env.account_id, ctx.env.region}));
  return ctx.result;
}

std::string StackContext::where(const std::string& logical_id, const std::string& path) const {
  return stack.name + "/" + logical_id + (path.empty() ? "" : ".Properties." + path);
}

void StackContext::progress(const std::string& text) const {
  if (options.progress) options.progress(stack.name + ": " + text);
}

void StackContext::action(const std::string& verb, const cfn::Resource& resource,
                          const std::string& detail) const {
  progress(verb + " " + resource.type + " " + resource.logical_id + (detail.empty() ? "" : " " + detail) +
           "...");
}

}  // namespace layered::deploy::detail
