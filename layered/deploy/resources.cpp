// Dispatch by resource type, and the simple types: IAM roles (recorded),
// SSM parameters (written to the local parameter store), CDK metadata and
// types that are recorded but not emulated.
#include <algorithm>
#include <cctype>

#include "deploy/internal.hpp"

namespace layered::deploy::detail {

Status record_resource(StackContext& ctx, const cfn::Resource& resource, state::ResourceRecord record,
                       const std::string& detail) {
  auto prev = ctx.previous.find(resource.logical_id);
  const bool existed = prev != ctx.previous.end();
  // Attributes too: a nested stack's outputs change with its template alone.
  const bool same = existed && prev->second.properties_json == record.properties_json &&
                    prev->second.physical_id == record.physical_id &&
                    prev->second.attributes_json == record.attributes_json;
  if (!same) {
    const bool replaced = existed && prev->second.physical_id != record.physical_id;
    ctx.action(!existed ? "creating" : replaced ? "replacing" : "updating", resource, detail);
    if (replaced) ctx.replaced.push_back(prev->second);
  }
  if (!same || prev->second.deletion_policy != record.deletion_policy ||
      prev->second.update_replace_policy != record.update_replace_policy) {
    ctx.changed = true;
    LAYERED_TRY(ctx.state.put_resource(record));
  }
  ctx.current[resource.logical_id] = std::move(record);
  return Ok{};
}

namespace {

Status apply_role(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  auto record = new_record(ctx, resource, properties);
  std::string name =
      string_property(properties, "RoleName").value_or(generated_name(ctx.stack.name, resource.logical_id));
  std::string path = string_property(properties, "Path").value_or("/");
  record.physical_id = name;
  record.attributes_json =
      Json{{"Arn", "arn:aws:iam::" + ctx.env.account_id + ":role" + path + name},
           {"RoleId", "AROA" + name_suffix("role:" + name) + name_suffix("id:" + name).substr(0, 4)}}
          .dump();
  return record_resource(ctx, resource, std::move(record));
}

Status apply_ssm_parameter(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  auto value = string_property(properties, "Value");
  if (!value) return required_property(ctx, resource.logical_id, "Value");
  std::string type = string_property(properties, "Type").value_or("String");
  if (type != "String" && type != "StringList") {
    return make_error("parameter type '" + type + "' is not supported (String or StringList)",
                      ctx.where(resource.logical_id, "Type"),
                      "CloudFormation cannot create SecureString parameters");
  }
  auto record = new_record(ctx, resource, properties);
  std::string name = string_property(properties, "Name")
                         .value_or("CFN-" + resource.logical_id + "-" +
                                   name_suffix(ctx.stack.name + "/" + resource.logical_id));
  auto existing = ctx.state.ssm_parameter(name);
  if (!existing.ok()) return existing.error();
  auto prev = ctx.previous.find(resource.logical_id);
  const bool ours = prev != ctx.previous.end() && prev->second.physical_id == name;
  if (existing->has_value() && !ours) {
    return make_error("Resource of type 'AWS::SSM::Parameter' with identifier '" + name + "' already exists.",
                      ctx.where(resource.logical_id, "Name"),
                      (*existing)->stack.empty()
                          ? "choose another Name"
                          : "stack '" + (*existing)->stack + "' owns it: choose another Name");
  }
  record.physical_id = name;
  record.attributes_json = Json{{"Type", type}, {"Value", *value}}.dump();
  LAYERED_TRY(ctx.state.put_ssm_parameter(state::SsmParameterRecord{name, type, *value, 0, ctx.stack.name}));
  return record_resource(ctx, resource, std::move(record));
}

Status apply_recorded(StackContext& ctx, const cfn::Resource& resource, const Json& properties,
                      bool emulated) {
  auto record = new_record(ctx, resource, properties);
  record.emulated = emulated;
  record.physical_id =
      emulated ? resource.logical_id + "-" + name_suffix(ctx.stack.name + "/" + resource.logical_id)
               : generated_name(ctx.stack.name, resource.logical_id);
  if (!emulated) {
    // Only Ref and an ARN-shaped Arn have local values, so that functions
    // referring to such a resource still deploy; other attributes are errors.
    const bool aws = resource.type.rfind("AWS::", 0) == 0 && resource.type.find("::", 5) != std::string::npos;
    std::string service = aws ? resource.type.substr(5, resource.type.find("::", 5) - 5) : "cloudformation";
    std::transform(service.begin(), service.end(), service.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    record.attributes_json = Json{
        {"Arn",
         "arn:aws:" + service + ":" + ctx.env.region + ":" + ctx.env.account_id + ":" +
             record.physical_id}}.dump();
    ctx.result.not_emulated.push_back(resource.type + " " + resource.logical_id);
  }
  return record_resource(ctx, resource, std::move(record), emulated ? "" : "(not emulated: recorded only)");
}

}  // namespace

Status apply_resource(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  auto prev = ctx.previous.find(resource.logical_id);
  if (prev != ctx.previous.end() && prev->second.type != resource.type) {
    return make_error("Update of resource type is not permitted", ctx.where(resource.logical_id),
                      "'" + resource.logical_id + "' was a " + prev->second.type +
                          ": give the new resource another logical id");
  }
  const std::string& type = resource.type;
  if (type == "AWS::Lambda::LayerVersion") return apply_layer_version(ctx, resource, properties);
  if (type == "AWS::Lambda::Function") return apply_function(ctx, resource, properties);
  if (type == "AWS::IAM::Role") return apply_role(ctx, resource, properties);
  if (type == "AWS::SSM::Parameter") return apply_ssm_parameter(ctx, resource, properties);
  if (type == "AWS::Lambda::Version") return apply_version(ctx, resource, properties);
  if (type == "AWS::Lambda::Alias") return apply_alias(ctx, resource, properties);
  if (type == "AWS::CloudFormation::Stack" && nested_template_in_assembly(ctx, resource, properties))
    return apply_nested_stack(ctx, resource, properties);
  if (is_known_not_emulated(type)) return apply_not_emulated(ctx, resource, properties);
  return apply_recorded(ctx, resource, properties, type == "AWS::CDK::Metadata");
}

Status remove_physical(state::State& state, const state::ResourceRecord& record, bool retain) {
  // A retained function outlives its stack, as on AWS: still invokable.
  if (retain && record.type == "AWS::Lambda::Function") return state.orphan_function(record.physical_id);
  if (retain) return Ok{};
  if (record.type == "AWS::Lambda::LayerVersion") return state.mark_layer_version_deleted(record.physical_id);
  // With all its versions and aliases, as Lambda's DeleteFunction.
  if (record.type == "AWS::Lambda::Function") return state.remove_function(record.physical_id);
  if (record.type == "AWS::Lambda::Version" || record.type == "AWS::Lambda::Alias") {
    return remove_version_or_alias(state, record);
  }
  if (record.type == "AWS::SSM::Parameter") return state.delete_ssm_parameter(record.physical_id);
  if (record.type == "AWS::CloudFormation::Stack" && record.emulated) {
    const std::string nested = nested_stack_name(record.physical_id);
    return nested.empty() ? Ok{} : destroy_stack(state, nested, nullptr);
  }
  return Ok{};
}

state::ResourceRecord new_record(const StackContext& ctx, const cfn::Resource& resource,
                                 const Json& properties) {
  state::ResourceRecord r;
  r.stack = ctx.stack.name;
  r.logical_id = resource.logical_id;
  r.type = resource.type;
  r.properties_json = properties.dump();
  r.deletion_policy = resource.deletion_policy;
  r.update_replace_policy = resource.update_replace_policy;
  return r;
}

std::string name_suffix(const std::string& seed) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string hex = store::sha256_hex(seed);
  std::string out;
  for (std::size_t i = 0; out.size() < 13; i += 2) {
    out += kAlphabet[std::stoi(hex.substr(i, 2), nullptr, 16) % 36];
  }
  return out;
}

std::string generated_name(const std::string& stack, const std::string& logical_id, std::size_t max_length) {
  std::string prefix = stack + "-" + logical_id;
  const std::size_t room = max_length - 14;
  if (prefix.size() > room) prefix.resize(room);
  return prefix + "-" + name_suffix(stack + "/" + logical_id);
}

std::optional<std::string> string_property(const Json& properties, const std::string& key) {
  auto it = properties.find(key);
  if (it == properties.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return std::nullopt;
}

Error required_property(const StackContext& ctx, const std::string& logical_id, const std::string& key) {
  return make_error("Properties validation failed for resource " + logical_id +
                        " with message: #: required key [" + key + "] not found",
                    ctx.where(logical_id), "add '" + key + "' to its Properties");
}

Result<store::StoredAsset> store_asset(StackContext& ctx, const std::string& logical_id, const Json& location,
                                       const std::string& where) {
  std::string key = location.is_object() ? string_property(location, "S3Key").value_or("") : "";
  const assembly::Asset* asset = key.empty() ? nullptr : ctx.app.find_asset_by_object_key(key);
  if (!asset) asset = ctx.app.find_asset_by_metadata(ctx.stack, logical_id);
  if (!asset) {
    return make_error(key.empty() ? "no S3Key and no aws:asset:path metadata: cannot find the asset"
                                  : "asset '" + key + "' is not in the cloud assembly",
                      where + (key.empty() ? "" : ".S3Key"),
                      "run 'npx cdk synth' again, or pass --app with the assembly that has it");
  }
  // Many functions of a stack often share one asset: hash and store it once.
  if (auto seen = ctx.stored.find(asset->path.string()); seen != ctx.stored.end()) return seen->second;
  auto stored = ctx.store.put(asset->path);
  if (!stored.ok()) return stored.error();
  ctx.stored.emplace(asset->path.string(), *stored);
  return stored;
}

}  // namespace layered::deploy::detail
