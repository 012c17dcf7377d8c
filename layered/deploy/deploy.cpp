// Selecting stacks, one transaction per stack, rollback and garbage collection.
#include "deploy/deploy.hpp"

#include <algorithm>
#include <set>

#include "deploy/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::deploy {

namespace {

void say(const Progress& progress, const std::string& line) {
  if (progress) progress(line);
}

Result<std::vector<const assembly::Stack*>> select_stacks(const assembly::Assembly& app,
                                                          const std::vector<std::string>& names, bool all,
                                                          assembly::Expand expand) {
  if (names.empty() && !all && app.stacks().size() > 1) {
    std::string list;
    for (const auto& n : app.stack_names()) list += (list.empty() ? "" : ", ") + n;
    return make_error(
        "since this app includes more than a single stack, specify which stacks to use (wildcards are "
        "supported) or "
        "specify `--all`",
        "", "stacks: " + list);
  }
  return app.select(names, all, expand);
}

// The bootstrap version parameters the stack reads: the default
// qualifier's, and the one a parameter's Default names (the
// BootstrapVersion parameter of a DefaultStackSynthesizer({ qualifier })).
std::set<std::string> bootstrap_version_parameters(const assembly::Stack& stack) {
  std::set<std::string> names{cfn::kBootstrapVersionParameter};
  auto parameters = stack.template_json.find("Parameters");
  if (parameters == stack.template_json.end() || !parameters->is_object()) return names;
  for (const auto& parameter : *parameters) {
    if (!parameter.is_object() || !parameter.contains("Default") || !parameter["Default"].is_string())
      continue;
    const std::string value = parameter["Default"].get<std::string>();
    if (cfn::is_bootstrap_version_parameter(value)) names.insert(value);
  }
  return names;
}

// As `cdk bootstrap` would have made them: every CDK stack checks one.
Status seed_bootstrap_version(state::State& state, const assembly::Stack& stack) {
  for (const std::string& name : bootstrap_version_parameters(stack)) {
    auto existing = state.ssm_parameter(name);
    if (!existing.ok()) return existing.error();
    if (existing->has_value()) continue;
    LAYERED_TRY(
        state.put_ssm_parameter(state::SsmParameterRecord{name, "String", cfn::kBootstrapVersion, 1, ""}));
  }
  return Ok{};
}

// The template's parameter names, as `cfn` reads them.
std::vector<std::string> parameter_names(const assembly::Stack& stack) {
  std::vector<std::string> out;
  auto parameters = stack.template_json.find("Parameters");
  if (parameters == stack.template_json.end() || !parameters->is_object()) return out;
  for (const auto& [name, _] : parameters->items()) out.push_back(name);
  return out;
}

// `--parameters` as CloudFormation takes them, checked before any stack
// deploys: a STACK: that names no stack of the app, or a key that no stack
// being deployed declares, would otherwise be dropped without a word. The
// stack is named as `cfn` names it (a display name or artifact id becomes
// the stack's name).
Result<std::vector<StackParameter>> checked_parameters(const assembly::Assembly& app,
                                                       const std::vector<const assembly::Stack*>& stacks,
                                                       std::vector<StackParameter> given) {
  for (StackParameter& p : given) {
    if (p.stack.empty()) continue;
    const assembly::Stack* stack = app.find_stack(p.stack);
    if (!stack) {
      std::string hint = did_you_mean(p.stack, app.stack_names());
      return make_error("--parameters names the stack '" + p.stack + "', which the app does not have",
                        "--parameters", hint.empty() ? "stacks: " + quoted_names(app.stack_names()) : hint);
    }
    p.stack = stack->name;
  }
  std::vector<std::string> declared;
  for (const assembly::Stack* stack : stacks)
    for (std::string& name : parameter_names(*stack))
      if (std::find(declared.begin(), declared.end(), name) == declared.end())
        declared.push_back(std::move(name));
  for (const StackParameter& p : given) {
    if (!p.stack.empty() || std::find(declared.begin(), declared.end(), p.key) != declared.end()) continue;
    std::string hint = did_you_mean(p.key, declared);
    if (hint.empty())
      hint = declared.empty() ? "the stacks being deployed have no parameters"
                              : "the stacks being deployed declare " + quoted_names(declared);
    return make_error("Parameters: [" + p.key + "] do not exist in the template", "--parameters", hint);
  }
  return given;
}

// After a failed update CloudFormation leaves the stack's resources as they
// were and says so in its status. (A failed create is not recorded at all:
// CloudFormation would leave it in ROLLBACK_COMPLETE, which 'cdk deploy'
// deletes before it tries again; see docs/design.md.)
void mark_update_rolled_back(state::State& state, state::StackRecord record) {
  auto tx = state.begin();
  if (!tx.ok()) return;
  record.status = "UPDATE_ROLLBACK_COMPLETE";
  if (state.put_stack(record).ok()) (void)tx->commit();
}

// One stack in one transaction; any failure leaves the state as it was.
Result<StackResult> deploy_one(const assembly::Assembly& app, const assembly::Stack& stack,
                               state::State& state, const store::Store& store, const DeployOptions& options) {
  auto before = state.stack(stack.name);
  if (!before.ok()) return before.error();
  say(options.progress, stack.name + ": deploying...");
  auto tx = state.begin();
  if (!tx.ok()) return tx.error();
  bool validated = false;
  Result<StackResult> result = [&]() -> Result<StackResult> {
    LAYERED_TRY(seed_bootstrap_version(state, stack));
    return detail::deploy_stack(app, stack, state, store, options, &validated);
  }();
  Status committed = Ok{};
  if (result.ok() && result->outcome != Outcome::unchanged) {
    committed = tx->commit();
  } else {
    tx->rollback();  // failed, or nothing to write
  }
  if (!result.ok() || !committed.ok()) {
    // CloudFormation refuses a template that fails validation before it
    // starts: nothing to roll back, and the stack keeps its status.
    const bool refused = !validated;
    if (before->has_value() && !refused) mark_update_rolled_back(state, **before);
    detail::collect_garbage(state, store);
    say(options.progress, " ❌  " + stack.name +
                              (refused ? " failed validation: " : " failed, rolled back: ") + stack.name +
                              (before->has_value() ? " is unchanged" : " was not created"));
    return result.ok() ? committed.error() : result.error();
  }
  if (result->outcome != Outcome::unchanged) detail::collect_garbage(state, store);
  say(options.progress, " ✅  " + stack.name + (result->outcome == Outcome::unchanged ? " (no changes)" : ""));
  return result;
}

}  // namespace

Result<std::vector<StackResult>> deploy(const assembly::Assembly& app, state::State& state,
                                        const store::Store& store, const DeployOptions& options) {
  auto stacks = select_stacks(app, options.stacks, options.all,
                              options.exclusively ? assembly::Expand::none : assembly::Expand::dependencies);
  if (!stacks.ok()) return stacks.error();
  auto parameters = checked_parameters(app, *stacks, options.parameters);
  if (!parameters.ok()) return parameters.error();
  DeployOptions checked = options;
  checked.parameters = std::move(*parameters);
  LAYERED_TRY(detail::provide_layers(state, store, checked));
  std::vector<StackResult> results;
  for (const assembly::Stack* stack : *stacks) {
    auto result = deploy_one(app, *stack, state, store, checked);
    if (!result.ok()) return result.error();
    if (options.stack_done) options.stack_done(*result);
    results.push_back(std::move(*result));
  }
  return results;
}

Result<std::vector<std::string>> plan_destroy(const assembly::Assembly& app, const state::State& state,
                                              const DestroyOptions& options) {
  auto stacks = select_stacks(app, options.stacks, options.all,
                              options.exclusively ? assembly::Expand::none : assembly::Expand::dependents);
  if (!stacks.ok()) return stacks.error();
  std::vector<std::string> out;
  for (auto it = stacks->rbegin(); it != stacks->rend(); ++it) {
    auto deployed = state.stack((*it)->name);
    if (!deployed.ok()) return deployed.error();
    if (deployed->has_value()) out.push_back((*it)->name);
  }
  return out;
}

Status destroy(state::State& state, const store::Store& store, const std::vector<std::string>& stacks,
               const Progress& progress, const std::vector<std::string>& left_out) {
  for (const auto& name : stacks) {
    say(progress, name + ": destroying...");
    auto tx = state.begin();
    if (!tx.ok()) return tx.error();
    Status status = detail::destroy_stack(state, name, progress, left_out);
    if (status.ok()) status = tx->commit();
    if (!status.ok()) {
      tx->rollback();
      say(progress, " ❌  " + name + " failed, rolled back: " + name + " is unchanged");
      return status;
    }
    detail::collect_garbage(state, store);
    say(progress, " ✅  " + name + ": destroyed");
  }
  return Ok{};
}

store::Store store_for(const state::State& state) { return store::Store(state.dir() + "/store"); }

namespace detail {

namespace {

// The stack that holds `nested` as an AWS::CloudFormation::Stack resource,
// "" for a stack of the app's own.
std::string parent_of(const state::State& state, const std::string& nested) {
  auto stacks = state.stacks();
  if (!stacks.ok()) return "";
  for (const auto& s : *stacks) {
    auto resources = state.resources(s.name);
    if (!resources.ok()) continue;
    for (const auto& r : *resources)
      if (r.type == "AWS::CloudFormation::Stack" && nested_stack_name(r.physical_id) == nested) return s.name;
  }
  return "";
}

// The stacks to destroy so that `importers` import no more: a nested stack
// goes only with its parent, so its topmost parent is named instead.
std::vector<std::string> stacks_to_destroy(const state::State& state,
                                           const std::vector<std::string>& importers) {
  std::vector<std::string> out;
  for (std::string name : importers) {
    for (int depth = 0; depth <= assembly::kMaxNestingDepth; ++depth) {
      std::string parent = parent_of(state, name);
      if (parent.empty()) break;
      name = std::move(parent);
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace

Status destroy_stack(state::State& state, const std::string& name, const Progress& progress,
                     const std::vector<std::string>& left_out) {
  auto exports = state.exports_of(name);
  if (!exports.ok()) return exports.error();
  for (const auto& e : *exports) {
    if (e.importers.empty()) continue;
    const std::vector<std::string> first = stacks_to_destroy(state, e.importers);
    // Without --exclusively the app's stacks that depend on this one go
    // first; that helps only when every importer is one of them.
    const bool dependents = std::all_of(first.begin(), first.end(), [&](const std::string& i) {
      return std::find(left_out.begin(), left_out.end(), i) != left_out.end();
    });
    return make_error("Export " + e.name + " cannot be deleted as it is in use by " +
                          (e.importers.size() == 1 ? e.importers.front() : quoted_names(e.importers)),
                      name,
                      "destroy " + quoted_names(first) + " first" +
                          (dependents ? " (or name '" + name + "' without --exclusively)" : ""));
  }
  auto resources = state.resources(name);
  if (!resources.ok()) return resources.error();
  for (auto it = resources->rbegin(); it != resources->rend(); ++it) {
    const bool retain = it->deletion_policy == "Retain";
    if (progress)
      progress(name + ": " + (retain ? "retaining " : "deleting ") + it->type + " " + it->logical_id +
               (retain ? " (DeletionPolicy Retain)" : "") + "...");
    LAYERED_TRY(remove_physical(state, *it, retain));
  }
  return state.delete_stack(name);
}

void collect_garbage(state::State& state, const store::Store& store) {
  // Holding the write lock: no other deploy is between put() and commit.
  auto tx = state.begin();
  if (!tx.ok()) return;
  auto keys = state.referenced_content_keys();
  if (keys.ok()) (void)store.remove_unreferenced(std::set<std::string>(keys->begin(), keys->end()));
  // Merged /opt trees name the store's layer directories: they go with them.
  auto layer_sets = state.layer_sets();
  if (layer_sets.ok()) (void)sandbox::collect_cache_garbage(state.dir() + "/cache", *layer_sets);
}

}  // namespace detail
}  // namespace layered::deploy
