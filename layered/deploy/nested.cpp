// AWS::CloudFormation::Stack, as CDK's NestedStack writes it: a template of
// the cloud assembly (the resource's asset), parameters passed as strings,
// outputs read back as Fn::GetAtt "Outputs.<Name>". The nested stack is a
// stack of its own (named "<parent>-<LogicalId>-<suffix>", as CloudFormation
// names it), deployed in its parent's transaction, deleted with it.
#include "deploy/internal.hpp"

namespace layered::deploy::detail {

namespace {

Result<std::map<std::string, std::string>> parameters(const StackContext& ctx, const std::string& id,
                                                      const Json& properties) {
  std::map<std::string, std::string> out;
  auto given = properties.find("Parameters");
  if (given == properties.end() || given->is_null()) return out;
  if (!given->is_object()) {
    return make_error("Parameters must be an object of parameter names and values",
                      ctx.where(id, "Parameters"), "give each of the nested template's parameters a value");
  }
  for (const auto& [name, value] : given->items()) out[name] = cfn::parameter_string(value);
  return out;
}

std::string template_url(const Json& properties) {
  return string_property(properties, "TemplateURL").value_or("");
}

// CloudFormation's quota of stacks per account and Region. Also what bounds
// a template that nests several copies of itself (2^10 stacks at depth 10).
constexpr std::size_t kMaxStacks = 2000;

Status within_stack_quota(const StackContext& ctx, const std::string& id, const std::string& name) {
  auto existing = ctx.state.stack(name);
  if (!existing.ok()) return existing.error();
  if (existing->has_value()) return Ok{};
  auto stacks = ctx.state.stacks();
  if (!stacks.ok()) return stacks.error();
  if (stacks->size() < kMaxStacks) return Ok{};
  return make_error(
      "the quota of " + std::to_string(kMaxStacks) + " stacks per account and Region is reached",
      ctx.where(id), "nest fewer stacks, or destroy stacks you no longer use");
}

}  // namespace

bool nested_template_in_assembly(const StackContext& ctx, const cfn::Resource& resource,
                                 const Json& properties) {
  return ctx.app.nested_template(ctx.stack, resource.logical_id, template_url(properties)) != nullptr;
}

std::string nested_stack_name(const std::string& stack_arn) {
  const auto at = stack_arn.find(":stack/");
  if (stack_arn.rfind("arn:", 0) != 0 || at == std::string::npos) return "";
  const auto start = at + 7;
  return stack_arn.substr(start, stack_arn.find('/', start) - start);
}

Status apply_nested_stack(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  const std::string& id = resource.logical_id;
  if (!properties.contains("TemplateURL")) return required_property(ctx, id, "TemplateURL");
  const std::string name = generated_name(ctx.stack.name, id, 128);
  auto nested = ctx.app.nested_stack(ctx.stack, id, template_url(properties), name);
  if (!nested.ok()) return nested.error();
  LAYERED_TRY(within_stack_quota(ctx, id, name));
  auto given = parameters(ctx, id, properties);
  if (!given.ok()) return given.error();
  nested->asset_parameters = std::move(*given);
  auto deployed = deploy_stack(ctx.app, *nested, ctx.state, ctx.store, ctx.options);
  if (!deployed.ok()) return deployed.error();
  auto record = new_record(ctx, resource, properties);
  record.physical_id = deployed->stack_id;
  Json attributes = Json::object();
  for (const auto& [output, value] : deployed->outputs) attributes["Outputs." + output] = value;
  record.attributes_json = attributes.dump();
  if (deployed->outcome != Outcome::unchanged) ctx.changed = true;
  return record_resource(ctx, resource, std::move(record));
}

}  // namespace layered::deploy::detail
