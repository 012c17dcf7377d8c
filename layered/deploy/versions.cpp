// AWS::Lambda::Version (publishes an immutable copy of the function with the
// function's next version number; replaced only when its properties change,
// as CloudFormation does) and AWS::Lambda::Alias (a name for a version, with
// optional weighted routing to a second one).
#include <algorithm>
#include <cctype>

#include "deploy/internal.hpp"

namespace layered::deploy::detail {

namespace {

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// FunctionName in Lambda's forms (name, ARN, partial ARN) -> (name, qualifier).
std::pair<std::string, std::string> function_name_of(const std::string& value) {
  auto at = value.find("function:");
  std::string rest = at == std::string::npos ? value : value.substr(at + 9);
  auto colon = rest.find(':');
  if (colon == std::string::npos) return {rest, ""};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

Result<state::FunctionRecord> target_function(const StackContext& ctx, const std::string& id,
                                              const Json& properties) {
  auto target = string_property(properties, "FunctionName");
  if (!target) return required_property(ctx, id, "FunctionName");
  const std::string name = function_name_of(*target).first;
  auto function = ctx.state.function(name);
  if (!function.ok()) return function.error();
  if (!function->has_value()) {
    return make_error("Function not found: " + state::function_arn(ctx.env, name),
                      ctx.where(id, "FunctionName"),
                      "name a function deployed before this resource (e.g. with Ref)");
  }
  return std::move(**function);
}

// A version an alias may name: $LATEST or a published number.
Status check_target_version(const StackContext& ctx, const std::string& id,
                            const state::FunctionRecord& function, const std::string& version,
                            const std::string& path) {
  if (version == "$LATEST") return Ok{};
  std::optional<state::FunctionVersionRecord> found;
  if (all_digits(version) && version.size() <= 9) {
    auto v = ctx.state.function_version(function.name, std::stoi(version));
    if (!v.ok()) return v.error();
    found = std::move(*v);
  }
  if (found) return Ok{};
  return make_error("Function not found: " + function.arn + ":" + version, ctx.where(id, path),
                    "name a published version (Fn::GetAtt [<Version>, Version]) or $LATEST");
}

Result<std::vector<std::pair<std::string, double>>> routing(const StackContext& ctx, const std::string& id,
                                                            const state::FunctionRecord& function,
                                                            const Json& properties) {
  std::vector<std::pair<std::string, double>> out;
  auto config = properties.find("RoutingConfig");
  if (config == properties.end() || !config->is_object()) return out;
  auto weights = config->find("AdditionalVersionWeights");
  if (weights == config->end() || !weights->is_array()) return out;
  for (std::size_t i = 0; i < weights->size(); ++i) {
    const std::string path = "RoutingConfig.AdditionalVersionWeights[" + std::to_string(i) + "]";
    const Json& entry = (*weights)[i];
    auto version = entry.is_object() ? string_property(entry, "FunctionVersion") : std::nullopt;
    auto weight = entry.is_object() ? string_property(entry, "FunctionWeight") : std::nullopt;
    if (!version || !weight) return required_property(ctx, id, path + ".FunctionVersion/FunctionWeight");
    char* end = nullptr;
    double w = std::strtod(weight->c_str(), &end);
    if (*end != '\0' || w < 0 || w > 1) {
      return make_error("1 validation error detected: Value '" + *weight +
                            "' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: "
                            "Member must have value between 0.0 and 1.0",
                        ctx.where(id, path + ".FunctionWeight"), "a weight is a fraction between 0 and 1");
    }
    LAYERED_TRY(check_target_version(ctx, id, function, *version, path + ".FunctionVersion"));
    out.emplace_back(*version, w);
  }
  return out;
}

// Lambda's alias name rule: (?!^[0-9]+$)([a-zA-Z0-9-_]+), 1 to 128 characters.
Status check_alias_name(const StackContext& ctx, const std::string& id, const std::string& name) {
  auto allowed = [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '_'; };
  if (!name.empty() && name.size() <= 128 && !all_digits(name) &&
      std::all_of(name.begin(), name.end(), allowed)) {
    return Ok{};
  }
  return make_error("1 validation error detected: Value '" + name +
                        "' at 'name' failed to satisfy constraint: Member must satisfy regular expression "
                        "pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                    ctx.where(id, "Name"),
                    "an alias name has letters, digits, '-' and '_', and is not a number");
}

// What a function's code and configuration are, as its template resolved
// them (Tags and reserved concurrency are not a version's configuration):
// what Lambda compares with its latest version before it publishes one.
// "" when no stack records the function.
std::string configuration_digest(const StackContext& ctx, const state::FunctionRecord& function) {
  std::optional<state::ResourceRecord> record;
  if (function.stack == ctx.stack.name) {
    if (auto it = ctx.current.find(function.logical_id); it != ctx.current.end()) record = it->second;
  } else if (auto all = ctx.state.resources(function.stack); all.ok()) {
    for (auto& r : *all)
      if (r.logical_id == function.logical_id) record = std::move(r);
  }
  if (!record || record->physical_id != function.name) return "";
  Json properties = Json::parse(record->properties_json, nullptr, false);
  if (!properties.is_object()) return "";
  properties.erase("Tags");
  properties.erase("ReservedConcurrentExecutions");
  return store::sha256_hex(properties.dump());
}

// Where a version keeps that digest: beside its Fn::GetAtt values, under a
// name no template asks for.
constexpr const char* kDigestAttribute = "layered:ConfigurationDigest";

// The digest recorded for a published version, "" when its resource is gone
// (a retained version) or was published before digests were recorded.
std::string published_digest(const StackContext& ctx, const state::FunctionVersionRecord& version) {
  auto all = ctx.state.resources(version.stack);
  if (!all.ok()) return "";
  for (const auto& r : *all) {
    if (r.physical_id != version.arn) continue;
    Json attributes = Json::parse(r.attributes_json, nullptr, false);
    if (attributes.is_object() && attributes.contains(kDigestAttribute) &&
        attributes[kDigestAttribute].is_string())
      return attributes[kDigestAttribute].get<std::string>();
  }
  return "";
}

// Without a digest: what layered models of the function.
bool same_model(const state::FunctionRecord& a, const state::FunctionRecord& b) {
  auto arns = [](const state::FunctionRecord& f) {
    std::vector<std::string> out;
    for (const auto& l : f.layers) out.push_back(l.arn);
    return out;
  };
  return a.code_key == b.code_key && a.runtime == b.runtime && a.architecture == b.architecture &&
         a.handler == b.handler && a.memory_mb == b.memory_mb && a.timeout_s == b.timeout_s &&
         a.ephemeral_mb == b.ephemeral_mb && a.environment == b.environment && arns(a) == arns(b);
}

// Lambda publishes a version only when the function changed since its latest
// one, and CloudFormation's AWS::Lambda::Version fails otherwise.
Status check_function_changed(const StackContext& ctx, const std::string& id,
                              const state::FunctionRecord& function, const std::string& digest) {
  auto next = ctx.state.next_function_version(function.name);
  if (!next.ok()) return next.error();
  if (*next <= 1) return Ok{};
  auto latest = ctx.state.function_version(function.name, *next - 1);
  if (!latest.ok()) return latest.error();
  if (!latest->has_value()) return Ok{};
  const std::string before = published_digest(ctx, **latest);
  const bool same =
      !before.empty() && !digest.empty() ? before == digest : same_model((*latest)->function, function);
  if (!same) return Ok{};
  return make_error("A version for this Lambda function exists ( " + std::to_string((*latest)->version) +
                        " ). Modify the function to create a new version.",
                    ctx.where(id),
                    "version " + std::to_string((*latest)->version) + " (" + (*latest)->logical_id + " in '" +
                        (*latest)->stack +
                        "') already holds this code and configuration: publish one Version per change "
                        "(CDK: fn.currentVersion), and change the function, not only the Version's "
                        "Description, to publish another");
}

// Lambda keeps environments initialized ahead for a version or an alias;
// locally every invocation starts on demand. Said once per deploy.
void note_provisioned_concurrency(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  if (properties.contains("ProvisionedConcurrencyConfig"))
    ctx.result.not_emulated_settings.push_back("ProvisionedConcurrencyConfig " + resource.logical_id);
}

}  // namespace

Status apply_version(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  const std::string& id = resource.logical_id;
  auto function = target_function(ctx, id, properties);
  if (!function.ok()) return function.error();
  note_provisioned_concurrency(ctx, resource, properties);
  auto record = new_record(ctx, resource, properties);
  auto prev = ctx.previous.find(id);
  if (prev != ctx.previous.end() && prev->second.properties_json == record.properties_json) {
    // Same properties: CloudFormation keeps the version it published.
    record.physical_id = prev->second.physical_id;
    record.attributes_json = prev->second.attributes_json;
    return record_resource(ctx, resource, std::move(record));
  }
  const std::string digest = configuration_digest(ctx, *function);
  LAYERED_TRY(check_function_changed(ctx, id, *function, digest));
  // Reserved outside the deploy's transaction: a rollback still uses it up.
  auto number = ctx.state.reserve_function_version(*function);
  if (!number.ok()) return number.error();
  state::FunctionVersionRecord v;
  v.version = *number;
  v.arn = function->arn + ":" + std::to_string(v.version);
  v.description = string_property(properties, "Description").value_or("");
  v.stack = ctx.stack.name;
  v.logical_id = id;
  v.published_at = now_utc();
  v.function = std::move(*function);
  v.function.version = std::to_string(v.version);
  LAYERED_TRY(ctx.state.put_function_version(v));
  record.physical_id = v.arn;
  Json attributes{{"FunctionArn", v.arn}, {"Version", std::to_string(v.version)}};
  if (!digest.empty()) attributes[kDigestAttribute] = digest;
  record.attributes_json = attributes.dump();
  return record_resource(ctx, resource, std::move(record),
                         "(publishing version " + std::to_string(v.version) + ")");
}

Status apply_alias(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  const std::string& id = resource.logical_id;
  auto function = target_function(ctx, id, properties);
  if (!function.ok()) return function.error();
  auto name = string_property(properties, "Name");
  if (!name) return required_property(ctx, id, "Name");
  LAYERED_TRY(check_alias_name(ctx, id, *name));
  auto version = string_property(properties, "FunctionVersion");
  if (!version) return required_property(ctx, id, "FunctionVersion");
  LAYERED_TRY(check_target_version(ctx, id, *function, *version, "FunctionVersion"));
  if (*version == "$LATEST" && properties.contains("ProvisionedConcurrencyConfig")) {
    return make_error(
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        ctx.where(id, "ProvisionedConcurrencyConfig"),
        "point the alias at a published version (CDK: fn.currentVersion, not fn.latestVersion)");
  }
  note_provisioned_concurrency(ctx, resource, properties);
  auto weights = routing(ctx, id, *function, properties);
  if (!weights.ok()) return weights.error();

  state::AliasRecord alias{function->name,
                           *name,
                           function->arn + ":" + *name,
                           *version,
                           std::move(*weights),
                           string_property(properties, "Description").value_or(""),
                           ctx.stack.name,
                           id};
  auto prev = ctx.previous.find(id);
  const bool ours = prev != ctx.previous.end() && prev->second.physical_id == alias.arn;
  auto existing = ctx.state.alias(alias.function, alias.name);
  if (!existing.ok()) return existing.error();
  if (existing->has_value() && !ours) {
    return make_error("Alias already exists: " + alias.arn, ctx.where(id, "Name"),
                      "stack '" + (*existing)->stack + "' created it: choose another Name");
  }
  LAYERED_TRY(ctx.state.put_alias(alias));
  auto record = new_record(ctx, resource, properties);
  record.physical_id = alias.arn;
  record.attributes_json = Json{{"AliasArn", alias.arn}}.dump();
  return record_resource(ctx, resource, std::move(record));
}

Status remove_version_or_alias(state::State& state, const state::ResourceRecord& record) {
  auto [function, qualifier] = function_name_of(record.physical_id);
  if (record.type == "AWS::Lambda::Alias") return state.delete_alias(function, qualifier);
  if (!all_digits(qualifier) || qualifier.size() > 9) return Ok{};
  return state.delete_function_version(function, std::stoi(qualifier));
}

}  // namespace layered::deploy::detail
