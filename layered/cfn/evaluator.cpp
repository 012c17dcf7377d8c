// The evaluator's public face: prepare (parameters, conditions, rules),
// resource ordering, properties, outputs and imports.
#include <algorithm>

#include "cfn/internal.hpp"

namespace layered::cfn {

Evaluator::Evaluator(const Template& tpl, Environment env) : impl_(std::make_unique<Impl>()) {
  impl_->tpl = &tpl;
  impl_->env = std::move(env);
  if (impl_->env.stack_name.empty()) impl_->env.stack_name = tpl.stack_name;
}
Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;

Status Evaluator::prepare() {
  Impl& d = *impl_;
  if (!d.tpl->transforms.empty()) {
    return make_error("transform '" + d.tpl->transforms.front() + "' is not emulated by layered",
                      d.tpl->stack_name,
                      "deploy a template without 'Transform' (CDK apps produce none unless asked)");
  }
  d.params.clear();
  d.conditions.clear();
  LAYERED_TRY(d.resolve_parameters());
  for (const auto& [name, c] : d.tpl->conditions) {
    auto value = d.condition_value(name, d.prefix() + "Conditions/" + name);
    if (!value) return std::move(value.error());
  }
  LAYERED_TRY(d.check_rules());
  d.compute_dependencies();
  d.prepared = true;
  return Ok{};
}

Status Evaluator::Impl::check_rules() const {
  for (const Rule& rule : tpl->rules) {
    const std::string where = prefix() + "Rules/" + rule.name;
    if (!rule.rule_condition.is_null()) {
      auto applies = eval_bool(rule.rule_condition, where + ".RuleCondition", Context::rule);
      if (!applies) return std::move(applies.error());
      if (!*applies) continue;
    }
    for (std::size_t i = 0; i < rule.assertions.size(); ++i) {
      const std::string at = where + ".Assertions[" + std::to_string(i) + "]";
      auto holds = eval_bool(rule.assertions[i].first, at + ".Assert", Context::rule);
      if (!holds) return std::move(holds.error());
      if (!*holds) {
        const std::string& description = rule.assertions[i].second;
        return make_error(description.empty() ? "rule '" + rule.name + "' failed" : description, at);
      }
    }
  }
  return Ok{};
}

void Evaluator::Impl::compute_dependencies() {
  deps.clear();
  auto active = [&](const std::string& id) {
    const Resource* r = tpl->find_resource(id);
    return r && (r->condition.empty() || conditions.at(r->condition));
  };
  for (const Resource& r : tpl->resources) {
    if (!active(r.logical_id)) continue;
    std::set<std::string> names(r.depends_on.begin(), r.depends_on.end());
    collect_references(r.properties, names);
    auto& out = deps[r.logical_id];
    for (const std::string& n : names) {
      if (n == r.logical_id || active(n)) out.insert(n);  // referencing itself is a cycle of one
    }
  }
}

const std::map<std::string, Json>& Evaluator::parameter_values() const { return impl_->params; }

bool Evaluator::condition(const std::string& name) const {
  auto it = impl_->conditions.find(name);
  return it != impl_->conditions.end() && it->second;
}

bool Evaluator::is_active(const std::string& logical_id) const { return impl_->deps.count(logical_id) > 0; }

std::vector<std::string> Evaluator::dependencies_of(const std::string& logical_id) const {
  auto it = impl_->deps.find(logical_id);
  if (it == impl_->deps.end()) return {};
  return {it->second.begin(), it->second.end()};
}

Result<std::vector<std::string>> Evaluator::resource_order() const {
  // Kahn's algorithm; the ready set is ordered, so ties go by logical id.
  std::map<std::string, std::set<std::string>> waiting = impl_->deps;
  std::vector<std::string> order;
  std::set<std::string> ready;
  for (const auto& [id, on] : waiting) {
    if (on.empty()) ready.insert(id);
  }
  while (!ready.empty()) {
    const std::string id = *ready.begin();
    ready.erase(ready.begin());
    waiting.erase(id);
    order.push_back(id);
    for (auto& [other, on] : waiting) {
      if (on.erase(id) && on.empty()) ready.insert(other);
    }
  }
  if (waiting.empty()) return order;
  // Keep only resources on a cycle: drop those nothing left depends on.
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto it = waiting.begin(); it != waiting.end();) {
      bool needed = false;
      for (const auto& [other, on] : waiting) needed = needed || on.count(it->first);
      if (needed) {
        ++it;
      } else {
        it = waiting.erase(it);
        dropped = true;
      }
    }
  }
  std::string list;
  for (const auto& [id, on] : waiting) list += (list.empty() ? "" : ", ") + id;
  return make_error("Circular dependency between resources: [" + list + "]", impl_->tpl->stack_name,
                    "remove a DependsOn or a reference (Ref, Fn::GetAtt, Fn::Sub) between these resources");
}

Result<Json> Evaluator::evaluate_properties(const std::string& logical_id) const {
  const Resource* r = impl_->tpl->find_resource(logical_id);
  const std::string where = impl_->prefix() + logical_id;
  if (!r) return make_error("no resource '" + logical_id + "' in the template", impl_->tpl->stack_name);
  if (!is_active(logical_id)) {
    return make_error(
        "resource '" + logical_id + "' is not created (condition '" + r->condition + "' is false)", where);
  }
  auto value = impl_->eval(r->properties, where + ".Properties", Context::resource);
  if (!value) return std::move(value.error());
  Json properties = value->value_or(Json::object());
  LAYERED_TRY(impl_->resolve_dynamic_references(properties, where + ".Properties"));
  return properties;
}

Result<std::vector<ResolvedOutput>> Evaluator::evaluate_outputs() const {
  std::vector<ResolvedOutput> out;
  for (const Output& o : impl_->tpl->outputs) {
    if (!o.condition.empty() && !condition(o.condition)) continue;
    const std::string where = impl_->prefix() + "Outputs/" + o.logical_id;
    ResolvedOutput resolved{o.logical_id, "", "", o.description};
    auto value = impl_->eval(o.value, where + ".Value", Context::output);
    if (!value) return std::move(value.error());
    auto text = *value ? scalar_string(**value) : std::nullopt;
    if (!text) {
      return make_error(
          "Template format error: The Value field of every Outputs member must evaluate to a String",
          where + ".Value");
    }
    resolved.value = *text;
    if (!o.export_name.is_null()) {
      auto name = impl_->eval_string(o.export_name, where + ".Export.Name", Context::output);
      if (!name) return std::move(name.error());
      resolved.export_name = *name;
      if (resolved.value.size() > kMaxExportValueBytes) {
        return make_error("Cannot export output " + o.logical_id + " with length " +
                              std::to_string(resolved.value.size()) + ". Max length of " +
                              std::to_string(kMaxExportValueBytes) + " exceeded.",
                          where + ".Value", "export a shorter value (an ARN or a name) and look the rest up");
      }
    }
    out.push_back(std::move(resolved));
  }
  return out;
}

Status Evaluator::Impl::walk_imports(const Json& v, const std::string& where, Context ctx,
                                     std::vector<std::pair<std::string, std::string>>& out) const {
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      LAYERED_TRY(walk_imports(v[i], where + "[" + std::to_string(i) + "]", ctx, out));
    }
    return Ok{};
  }
  if (!v.is_object()) return Ok{};
  if (v.size() == 1 && v.contains("Fn::ImportValue")) {
    auto name = eval_string(v["Fn::ImportValue"], where + ".Fn::ImportValue", ctx);
    if (!name) return std::move(name.error());
    out.emplace_back(*name, where);
    return Ok{};
  }
  if (v.size() == 1 && v.contains("Fn::If") && v["Fn::If"].is_array() && v["Fn::If"].size() == 3 &&
      v["Fn::If"][0].is_string()) {
    auto holds = condition_value(v["Fn::If"][0].get<std::string>(), where + ".Fn::If[0]");
    if (!holds) return std::move(holds.error());
    const std::size_t branch = *holds ? 1 : 2;
    return walk_imports(v["Fn::If"][branch], where + ".Fn::If[" + std::to_string(branch) + "]", ctx, out);
  }
  for (const auto& [key, x] : v.items()) LAYERED_TRY(walk_imports(x, where + "." + key, ctx, out));
  return Ok{};
}

Result<std::set<std::string>> Evaluator::imported_exports() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Resource& r : impl_->tpl->resources) {
    if (!is_active(r.logical_id)) continue;
    LAYERED_TRY(impl_->walk_imports(r.properties, impl_->prefix() + r.logical_id + ".Properties",
                                    Context::resource, out));
  }
  for (const Output& o : impl_->tpl->outputs) {
    if (!o.condition.empty() && !condition(o.condition)) continue;
    LAYERED_TRY(impl_->walk_imports(o.value, impl_->prefix() + "Outputs/" + o.logical_id + ".Value",
                                    Context::output, out));
  }
  std::set<std::string> names;
  for (const auto& [name, where] : out) names.insert(name);
  return names;
}

Status Evaluator::check_imports() const {
  // In the order deploy evaluates them, so the error is the one it would meet first.
  auto order = resource_order();
  if (!order) return Ok{};  // the cycle is reported when the resources are evaluated
  for (const std::string& id : *order) {
    // A name that needs a resource's value is checked when it is evaluated.
    std::vector<std::pair<std::string, std::string>> imports;
    if (!impl_->walk_imports(impl_->tpl->find_resource(id)->properties, impl_->prefix() + id + ".Properties",
                             Context::resource, imports))
      continue;
    for (const auto& [name, where] : imports) {
      if (impl_->env.import_value && impl_->env.import_value(name)) continue;
      return make_error("No export named " + name + " found", where, impl_->missing_export_hint(name));
    }
  }
  return Ok{};
}

Result<Json> Evaluator::evaluate(const Json& value, const std::string& where) const {
  auto v = impl_->eval(value, where, Context::resource);
  if (!v) return std::move(v.error());
  return v->value_or(Json());
}

}  // namespace layered::cfn
