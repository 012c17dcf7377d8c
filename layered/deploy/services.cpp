// The AWS services a function is most often wired to, recorded only: each
// answers Ref and Fn::GetAtt with values shaped as CloudFormation's (names,
// ARNs, URLs, ids), so that a function's environment and the resources
// around it deploy and read as they would on AWS. Nothing runs behind them.
#include <algorithm>
#include <cctype>

#include "deploy/internal.hpp"

namespace layered::deploy::detail {

namespace {

std::string arn(const StackContext& ctx, const std::string& service, const std::string& resource) {
  return "arn:aws:" + service + ":" + region_account(ctx) + ":" + resource;
}

// The name a property gives, else CloudFormation's generated one.
std::string named(const StackContext& ctx, const cfn::Resource& r, const Json& p, const std::string& key,
                  std::size_t max_length) {
  return string_property(p, key).value_or(generated_name(ctx.stack.name, r.logical_id, max_length));
}

// `length` characters from `alphabet`, derived from the resource's identity.
std::string derived(const StackContext& ctx, const cfn::Resource& r, const std::string& salt,
                    std::size_t length, const std::string& alphabet) {
  const std::string h = store::sha256_hex(salt + ":" + ctx.stack.name + "/" + r.logical_id);
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    const auto byte = std::stoul(h.substr(2 * (i % 32), 2), nullptr, 16);
    out += alphabet[byte % alphabet.size()];
  }
  return out;
}

const std::string kLowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
const std::string kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// S3 generates lower-case names of at most 63 characters.
Identity bucket(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  std::string name = string_property(p, "BucketName").value_or("");
  if (name.empty()) {
    name = generated_name(ctx.stack.name, r.logical_id, 63);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  const std::string region = ctx.env.region;
  return {name,
          {{"Arn", "arn:aws:s3:::" + name},
           {"DomainName", name + ".s3.amazonaws.com"},
           {"RegionalDomainName", name + ".s3." + region + ".amazonaws.com"},
           {"DualStackDomainName", name + ".s3.dualstack." + region + ".amazonaws.com"},
           {"WebsiteURL", "http://" + name + ".s3-website-" + region + ".amazonaws.com"}}};
}

Identity table(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "TableName", 255);
  const std::string table_arn = arn(ctx, "dynamodb", "table/" + name);
  return {name, {{"Arn", table_arn}, {"StreamArn", table_arn + "/stream/2026-01-01T00:00:00.000"}}};
}

Identity queue(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  std::string name = string_property(p, "QueueName").value_or("");
  if (name.empty()) {
    const bool fifo = string_property(p, "FifoQueue").value_or("false") == "true";
    name = generated_name(ctx.stack.name, r.logical_id, fifo ? 75 : 80) + (fifo ? ".fifo" : "");
  }
  const std::string url =
      "https://sqs." + ctx.env.region + ".amazonaws.com/" + ctx.env.account_id + "/" + name;
  return {url, {{"Arn", arn(ctx, "sqs", name)}, {"QueueName", name}, {"QueueUrl", url}}};
}

Identity topic(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "TopicName", 256);
  const std::string topic_arn = arn(ctx, "sns", name);
  return {topic_arn, {{"TopicArn", topic_arn}, {"TopicName", name}}};
}

// Secrets Manager appends six random characters to the name in the ARN.
Identity secret(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = string_property(p, "Name").value_or(
      r.logical_id + "-" + derived(ctx, r, "secret", 12, kUpperAlnum + "abcdefghijklmnopqrstuvwxyz"));
  const std::string secret_arn =
      arn(ctx, "secretsmanager", "secret:" + name + "-" + derived(ctx, r, "suffix", 6, kLowerAlnum));
  return {secret_arn, {{"Id", secret_arn}}};
}

Identity key(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = store::uuid_of("key:" + ctx.stack.name + "/" + r.logical_id);
  return {id, {{"Arn", arn(ctx, "kms", "key/" + id)}, {"KeyId", id}}};
}

Identity state_machine(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = string_property(p, "StateMachineName")
                               .value_or(r.logical_id + "-" + derived(ctx, r, "sfn", 12, kUpperAlnum));
  const std::string machine_arn = arn(ctx, "states", "stateMachine:" + name);
  return {machine_arn, {{"Arn", machine_arn}, {"Name", name}, {"StateMachineRevisionId", machine_arn}}};
}

Identity rule(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "Name", 64);
  std::string bus = string_property(p, "EventBusName").value_or("default");
  if (bus.rfind("arn:", 0) == 0) bus = bus.substr(bus.rfind('/') + 1);
  const std::string path = bus == "default" ? name : bus + "/" + name;
  return {bus == "default" ? name : path, {{"Arn", arn(ctx, "events", "rule/" + path)}}};
}

Identity event_bus(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "Name", 256);
  const std::string bus_arn = arn(ctx, "events", "event-bus/" + name);
  return {name, {{"Arn", bus_arn}, {"Name", name}}};
}

Identity log_group(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "LogGroupName", 512);
  return {name, {{"Arn", arn(ctx, "logs", "log-group:" + name + ":*")}}};
}

Identity stream(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "Name", 128);
  return {name, {{"Arn", arn(ctx, "kinesis", "stream/" + name)}}};
}

// API Gateway ids are ten lower-case letters and digits.
Identity rest_api(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = derived(ctx, r, "api", 10, kLowerAlnum);
  return {id, {{"RestApiId", id}, {"RootResourceId", derived(ctx, r, "root", 10, kLowerAlnum)}}};
}

Identity api_resource(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = derived(ctx, r, "resource", 6, kLowerAlnum);
  return {id, {{"ResourceId", id}}};
}

Identity api_deployment(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = derived(ctx, r, "deployment", 6, kLowerAlnum);
  return {id, {{"DeploymentId", id}}};
}

Identity api_stage(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  return {named(ctx, r, p, "StageName", 128), Json::object()};
}

Identity http_api(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = derived(ctx, r, "api", 10, kLowerAlnum);
  const bool websocket = string_property(p, "ProtocolType").value_or("HTTP") == "WEBSOCKET";
  return {id,
          {{"ApiId", id},
           {"ApiEndpoint",
            (websocket ? "wss://" : "https://") + id + ".execute-api." + ctx.env.region + ".amazonaws.com"}}};
}

Identity user_pool(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id =
      ctx.env.region + "_" + derived(ctx, r, "pool", 9, kUpperAlnum + "abcdefghijklmnopqrstuvwxyz");
  const std::string provider = "cognito-idp." + ctx.env.region + ".amazonaws.com/" + id;
  return {id,
          {{"Arn", arn(ctx, "cognito-idp", "userpool/" + id)},
           {"ProviderName", provider},
           {"ProviderURL", "https://" + provider},
           {"UserPoolId", id}}};
}

Identity user_pool_client(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  (void)p;
  const std::string id = derived(ctx, r, "client", 26, kLowerAlnum);
  return {id, {{"ClientId", id}, {"Name", r.logical_id}}};
}

Identity managed_policy(const StackContext& ctx, const cfn::Resource& r, const Json& p) {
  const std::string name = named(ctx, r, p, "ManagedPolicyName", 128);
  std::string path = string_property(p, "Path").value_or("/");
  const std::string policy_arn = "arn:aws:iam::" + ctx.env.account_id + ":policy" + path + name;
  return {policy_arn, {{"PolicyArn", policy_arn}}};
}

}  // namespace

const std::map<std::string, Describe>& service_types() {
  static const std::map<std::string, Describe> types{
      {"AWS::S3::Bucket", bucket},
      {"AWS::DynamoDB::Table", table},
      {"AWS::SQS::Queue", queue},
      {"AWS::SNS::Topic", topic},
      {"AWS::SecretsManager::Secret", secret},
      {"AWS::KMS::Key", key},
      {"AWS::StepFunctions::StateMachine", state_machine},
      {"AWS::Events::Rule", rule},
      {"AWS::Events::EventBus", event_bus},
      {"AWS::Logs::LogGroup", log_group},
      {"AWS::Kinesis::Stream", stream},
      {"AWS::ApiGateway::RestApi", rest_api},
      {"AWS::ApiGateway::Resource", api_resource},
      {"AWS::ApiGateway::Deployment", api_deployment},
      {"AWS::ApiGateway::Stage", api_stage},
      {"AWS::ApiGatewayV2::Api", http_api},
      {"AWS::ApiGatewayV2::Stage", api_stage},
      {"AWS::Cognito::UserPool", user_pool},
      {"AWS::Cognito::UserPoolClient", user_pool_client},
      {"AWS::IAM::ManagedPolicy", managed_policy},
  };
  return types;
}

}  // namespace layered::deploy::detail
