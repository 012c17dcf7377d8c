// Resources that CDK apps put around functions and their versions (alarms,
// CodeDeploy canaries, permissions, function URLs, event configuration):
// recorded, reported once per deploy as not emulated, and given the Ref and
// Fn::GetAtt values CloudFormation would return, so that what refers to them
// deploys. Nothing runs behind them.
#include <map>

#include "deploy/internal.hpp"

namespace layered::deploy::detail {

std::string region_account(const StackContext& ctx) { return ctx.env.region + ":" + ctx.env.account_id; }

namespace {

// The function a FunctionName property names, as its unqualified ARN plus
// the qualifier when there is one.
std::string function_arn_of(const StackContext& ctx, const Json& properties) {
  std::string value = string_property(properties, "FunctionName")
                          .value_or(string_property(properties, "TargetFunctionArn").value_or(""));
  auto at = value.find("function:");
  std::string rest = at == std::string::npos ? value : value.substr(at + 9);
  auto colon = rest.find(':');
  if (colon == std::string::npos) return state::function_arn(ctx.env, rest);
  return state::function_arn(ctx.env, rest.substr(0, colon)) + ":" + rest.substr(colon + 1);
}

Identity alarm(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  std::string name =
      string_property(p, "AlarmName").value_or(generated_name(ctx.stack.name, r.logical_id, 255));
  return {name, {{"Arn", "arn:aws:cloudwatch:" + region_account(ctx) + ":alarm:" + name}}};
}

Identity codedeploy_application(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  return {string_property(p, "ApplicationName").value_or(generated_name(ctx.stack.name, r.logical_id, 100)),
          Json::object()};
}

Identity codedeploy_group(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  return {
      string_property(p, "DeploymentGroupName").value_or(generated_name(ctx.stack.name, r.logical_id, 100)),
      Json::object()};
}

Identity permission(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  // Ref and Id: "<function ARN>|<statement id>".
  std::string id = function_arn_of(ctx, p) + "|" + generated_name(ctx.stack.name, r.logical_id, 100);
  return {id, {{"Id", id}}};
}

Identity url(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  std::string arn = function_arn_of(ctx, p);
  std::string id = store::sha256_hex("url:" + arn + "/" + r.logical_id).substr(0, 32);
  return {arn,
          {{"FunctionArn", arn},
           {"FunctionUrl", "https://" + id + ".lambda-url." + ctx.env.region + ".on.aws/"}}};
}

Identity event_invoke_config(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)r;
  std::string qualifier = string_property(p, "Qualifier").value_or("$LATEST");
  return {function_arn_of(ctx, p) + ":" + qualifier, Json::object()};
}

Identity event_source_mapping(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  std::string id = store::uuid_of(ctx.stack.name + "/" + r.logical_id);
  return {
      id,
      {{"Id", id},
       {"EventSourceMappingArn", "arn:aws:lambda:" + region_account(ctx) + ":event-source-mapping:" + id}}};
}

const std::map<std::string, Describe>& known() {
  static const std::map<std::string, Describe> types = [] {
    std::map<std::string, Describe> all{
        {"AWS::CloudWatch::Alarm", alarm},
        {"AWS::CodeDeploy::Application", codedeploy_application},
        {"AWS::CodeDeploy::DeploymentGroup", codedeploy_group},
        {"AWS::Lambda::Permission", permission},
        {"AWS::Lambda::Url", url},
        {"AWS::Lambda::EventInvokeConfig", event_invoke_config},
        {"AWS::Lambda::EventSourceMapping", event_source_mapping},
    };
    all.insert(service_types().begin(), service_types().end());
    return all;
  }();
  return types;
}

}  // namespace

bool is_known_not_emulated(const std::string& type) { return known().contains(type); }

Status apply_not_emulated(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  auto record = new_record(ctx, resource, properties);
  record.emulated = false;
  Identity identity = known().at(resource.type)(ctx, resource, properties);
  record.physical_id = identity.physical_id;
  record.attributes_json = identity.attributes.dump();
  ctx.result.not_emulated.push_back(resource.type + " " + resource.logical_id);
  return record_resource(ctx, resource, std::move(record), "(not emulated: recorded only)");
}

}  // namespace layered::deploy::detail

namespace layered::deploy {

std::string not_emulated_summary(const std::vector<StackResult>& results) {
  std::map<std::string, int> by_type;
  std::string stacks;
  for (const auto& result : results) {
    if (result.not_emulated.empty()) continue;
    stacks += (stacks.empty() ? "'" : ", '") + result.name + "'";
    for (const auto& entry : result.not_emulated) ++by_type[entry.substr(0, entry.find(' '))];
  }
  if (by_type.empty()) return "";
  std::string types;
  for (const auto& [type, count] : by_type)
    types += (types.empty() ? "" : ", ") + std::to_string(count) + " " + type;
  return "not emulated (recorded only): " + types + " in " + stacks + "; 'layered list' shows them";
}

std::string not_emulated_settings_summary(const std::vector<StackResult>& results) {
  // What each setting would change on Lambda, said after its functions.
  static const std::map<std::string, std::string> consequence = {
      {"ProvisionedConcurrencyConfig",
       "every invocation starts an environment on demand, with its cold start"},
      {"LoggingConfig",
       "functions log text at their runtime's default level, without AWS_LAMBDA_LOG_FORMAT, "
       "AWS_LAMBDA_LOG_LEVEL or a custom log group"},
  };
  std::map<std::string, std::vector<std::string>> where;  // setting -> stack/logical id
  for (const auto& result : results) {
    for (const auto& entry : result.not_emulated_settings) {
      const auto space = entry.find(' ');
      where[entry.substr(0, space)].push_back(result.name + "/" + entry.substr(space + 1));
    }
  }
  std::string lines;
  for (const auto& [setting, names] : where) {
    lines += (lines.empty() ? "" : "\n") + std::string("not emulated (recorded only): ") + setting + " of " +
             quoted_names(names) + "; " + consequence.at(setting);
  }
  return lines;
}

}  // namespace layered::deploy
