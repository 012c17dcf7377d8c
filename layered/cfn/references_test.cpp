// Fn::GetStackOutput, pinned SSM versions, and where a missing export or
// SSM parameter exists instead.
#include <gtest/gtest.h>

#include "cfn/cfn.hpp"

namespace layered::cfn {
namespace {

// One deployed stack per (account, region, name).
struct Deployed {
  std::map<std::string, StackOutputs> stacks;  // "account/region/name"

  Environment env(const std::string& account = "123456789012", const std::string& region = "us-east-1") {
    Environment e;
    e.account_id = account;
    e.region = region;
    e.stack_name = "Consumer";
    e.ssm = [](const std::string& name) -> std::optional<std::string> {
      if (name == kBootstrapVersionParameter) return std::string(kBootstrapVersion);
      if (name == "/app/layer") return std::string("arn:v3");
      return std::nullopt;
    };
    e.stack_outputs = [this](const std::string& stack, const std::string& account,
                             const std::string& region) {
      auto it = stacks.find(account + "/" + region + "/" + stack);
      if (it != stacks.end()) return it->second;
      StackOutputs none;
      for (const auto& [key, found] : stacks)
        if (key.substr(key.rfind('/') + 1) == stack) none.elsewhere = key.substr(0, key.rfind('/'));
      return none;
    };
    return e;
  }
};

Template with_property(const std::string& value_json) {
  auto t = parse(Json::parse(R"({"Resources":{"Fn":{"Type":"AWS::Lambda::Function","Properties":{"X":)" +
                             value_json + "}}}}"),
                 "Consumer");
  EXPECT_TRUE(t.ok()) << format_error(t.error());
  return *t;
}

Result<Json> evaluate(const std::string& value_json, Environment env) {
  Template t = with_property(value_json);
  Evaluator ev(t, std::move(env));
  LAYERED_TRY(ev.prepare());
  auto props = ev.evaluate_properties("Fn");
  if (!props) return props.error();
  return (*props)["X"];
}

// What aws-cdk-lib 2.276 writes for a LayerVersion passed to another stack
// when cdk.json has "@aws-cdk/core:defaultCrossStackReferences": "weak".
const char* const kCdkWeakReference = R"({"Fn::GetStackOutput": {"StackName": "FlagsLayers",
  "Region": {"Ref": "AWS::Region"}, "OutputName": "PublishOutputRefSharedDACC02AA6FA1FF1A"}})";

TEST(GetStackOutput, ReadsTheOutputOfTheStackInThisRegion) {
  Deployed world;
  world.stacks["123456789012/us-east-1/FlagsLayers"] = {
      true,
      {{"PublishOutputRefSharedDACC02AA6FA1FF1A", "arn:aws:lambda:us-east-1:123456789012:layer:S:1"}},
      ""};
  auto value = evaluate(std::string("[") + kCdkWeakReference + "]", world.env());
  ASSERT_TRUE(value.ok()) << format_error(value.error());
  EXPECT_EQ(*value, Json::array({"arn:aws:lambda:us-east-1:123456789012:layer:S:1"}));
}

TEST(GetStackOutput, RegionAndRoleArnNameAnotherEnvironment) {
  Deployed world;
  world.stacks["222222222222/eu-west-1/Producer"] = {true, {{"Out", "v"}}, ""};
  auto value = evaluate(R"({"Fn::GetStackOutput": {"StackName": "Producer", "OutputName": "Out",
    "Region": "eu-west-1", "RoleArn": "arn:aws:iam::222222222222:role/Reader"}})",
                        world.env());
  ASSERT_TRUE(value.ok()) << format_error(value.error());
  EXPECT_EQ(*value, "v");
}

TEST(GetStackOutput, MissingStackOrOutputInCloudFormationsWords) {
  Deployed world;
  auto none = evaluate(kCdkWeakReference, world.env());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "Stack with id FlagsLayers does not exist");
  EXPECT_EQ(none.error().where, "Consumer/Fn.Properties.X");
  EXPECT_EQ(none.error().hint,
            "deploy 'FlagsLayers' (in account 123456789012, region us-east-1) first, or fix StackName");

  world.stacks["123456789012/eu-west-1/FlagsLayers"] = {true, {{"Other", "v"}}, ""};
  auto elsewhere = evaluate(kCdkWeakReference, world.env());
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().hint,
            "'FlagsLayers' is deployed in 123456789012/eu-west-1, not in account 123456789012, region "
            "us-east-1: give Fn::GetStackOutput its Region (and a RoleArn for another account)");

  world.stacks["123456789012/us-east-1/FlagsLayers"] = {true, {{"PublishOutputRefShared", "v"}}, ""};
  auto output = evaluate(kCdkWeakReference, world.env());
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.error().message,
            "Output PublishOutputRefSharedDACC02AA6FA1FF1A does not exist in stack FlagsLayers");
  EXPECT_EQ(output.error().hint,
            "its outputs: 'PublishOutputRefShared' (OutputName is an output's logical id)");
}

TEST(GetStackOutput, ArgumentsAreChecked) {
  Deployed world;
  auto unknown = evaluate(R"({"Fn::GetStackOutput": {"StackName": "A", "OutputName": "B", "Regoin": "x"}})",
                          world.env());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "'Fn::GetStackOutput' has no argument 'Regoin'");
  auto missing = evaluate(R"({"Fn::GetStackOutput": {"StackName": "A"}})", world.env());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "'Fn::GetStackOutput' needs a StackName and an OutputName");
  auto list = evaluate(R"({"Fn::GetStackOutput": ["A", "B"]})", world.env());
  ASSERT_FALSE(list.ok());
}

TEST(PinnedSsmVersion, ResolvesThatVersionOrSaysItDoesNotExist) {
  Deployed world;
  Environment env = world.env();
  env.ssm_version = [](const std::string& name, long version) -> std::optional<std::string> {
    if (name == "/app/layer" && version >= 1 && version <= 3) return "arn:v" + std::to_string(version);
    return std::nullopt;
  };
  auto two = evaluate(R"("{{resolve:ssm:/app/layer:2}}")", env);
  ASSERT_TRUE(two.ok()) << format_error(two.error());
  EXPECT_EQ(*two, "arn:v2");
  auto nine = evaluate(R"("{{resolve:ssm:/app/layer:9}}")", env);
  ASSERT_FALSE(nine.ok());
  EXPECT_EQ(nine.error().message,
            "Systems Manager could not find version 9 of /app/layer. Verify the version and try again.");
  auto missing = evaluate(R"("{{resolve:ssm:/app/other:1}}")", env);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "Unable to fetch parameters [/app/other] from parameter store for this account.");
}

TEST(Elsewhere, AMissingExportOrParameterSaysWhereItExists) {
  Deployed world;
  Environment env = world.env();
  env.export_elsewhere = [](const std::string& name) {
    return name == "LayerArn" ? std::string("region eu-west-1 (stack 'Producer')") : std::string();
  };
  env.ssm_elsewhere = env.export_elsewhere;
  auto import = evaluate(R"({"Fn::ImportValue": "LayerArn"})", env);
  ASSERT_FALSE(import.ok());
  EXPECT_EQ(import.error().message, "No export named LayerArn found");
  EXPECT_EQ(
      import.error().hint,
      "the export 'LayerArn' exists in region eu-west-1 (stack 'Producer'), not in this stack's account "
      "123456789012 and region us-east-1: exports and SSM parameters belong to one account and region; "
      "create it in this stack's account and region too, or deploy this stack where it is");
  auto ssm = evaluate(R"("{{resolve:ssm:LayerArn}}")", env);
  ASSERT_FALSE(ssm.ok());
  EXPECT_EQ(ssm.error().hint.rfind("the SSM parameter 'LayerArn' exists in region eu-west-1", 0), 0u)
      << ssm.error().hint;
  auto absent = evaluate(R"({"Fn::ImportValue": "Other"})", env);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().hint, "deploy the stack that exports 'Other' first, or fix the export name");
}

}  // namespace
}  // namespace layered::cfn
