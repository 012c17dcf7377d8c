// AWS::Lambda::Version and AWS::Lambda::Alias as a CDK app uses them
// (fn.currentVersion, an alias, a CodeDeploy canary around it), on the
// alias-canary fixture: versions are immutable copies, republished only when
// CDK changes the Version's logical id, retained by DeletionPolicy Retain.
#include <regex>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

constexpr const char* kApp = "Lambda-layers-example";
constexpr const char* kVersion1 = "GreetingFunctionCurrentVersionB899AD30394065db50d4c722634238798cc3a971";
constexpr const char* kVersion2 = "GreetingFunctionCurrentVersionB899AD3047d1c0e5a6f2b9d8c3e4f5a6b7c8d9e0";
constexpr const char* kArnPrefix = "arn:aws:lambda:us-east-1:123456789012:function:";

class VersionsDeployTest : public DeployFixture {
 protected:
  std::string function_name() {
    auto f = state_->find_function("Lambda-layers-example/GreetingFunction");
    EXPECT_TRUE(f.ok());
    return f.ok() ? f->name : "";
  }

  std::string output(const StackResult& result, const std::string& key) {
    for (const auto& [k, v] : result.outputs)
      if (k == key) return v;
    return "<no output " + key + ">";
  }

  // What `cdk synth` writes after the function's code changed: a new asset
  // and a new logical id for fn.currentVersion (its hash covers the code).
  void rebuild_function(const fs::path& dir, const std::string& marker) {
    const std::string tpl_file = (dir / (std::string(kApp) + ".template.json")).string();
    Json tpl = read_json(tpl_file);
    Json& fn = tpl["Resources"]["GreetingFunction16D8FDDB"];
    std::string old_key = fn["Properties"]["Code"]["S3Key"];
    std::string old_hash = old_key.substr(0, old_key.size() - 4);
    std::string new_hash = store::sha256_hex(old_hash + marker);
    fs::copy(dir / ("asset." + old_hash), dir / ("asset." + new_hash), fs::copy_options::recursive);
    std::ofstream(dir / ("asset." + new_hash) / "greeting.sh")
        << "handle() { printf '{\"code\":\"" << marker << "\",\"version\":\"%s\"}' "
        << "\"$AWS_LAMBDA_FUNCTION_VERSION\"; }\n";
    fn["Properties"]["Code"]["S3Key"] = new_hash + ".zip";
    fn["Metadata"]["aws:asset:path"] = "asset." + new_hash;
    std::string text = tpl.dump(1);
    text = std::regex_replace(text, std::regex(kVersion1), kVersion2);
    std::ofstream(tpl_file) << text;
    const fs::path assets_file = dir / (std::string(kApp) + ".assets.json");
    Json assets = read_json(assets_file);
    Json entry = assets["files"][old_hash];
    entry["source"]["path"] = "asset." + new_hash;
    for (auto& [_, d] : entry["destinations"].items()) d["objectKey"] = new_hash + ".zip";
    assets["files"][new_hash] = entry;
    write_json(assets_file, assets);
  }
};

TEST_F(VersionsDeployTest, AliasOnCurrentVersionDeploysWithCloudFormationsValues) {
  auto result = run(use("alias-canary"), {}, true);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  const StackResult& app = (*result)[1];
  const std::string name = function_name();
  EXPECT_EQ(output(app, "CurrentVersionNumber"), "1");
  EXPECT_EQ(output(app, "CurrentVersionArn"), kArnPrefix + name + ":1");
  EXPECT_EQ(output(app, "LiveAliasArn"), kArnPrefix + name + ":live");
  EXPECT_TRUE(std::regex_match(output(app, "LiveUrl"),
                               std::regex("https://[0-9a-f]{32}\\.lambda-url\\.us-east-1\\.on\\.aws/")))
      << output(app, "LiveUrl");
  EXPECT_EQ(output(app, "DeploymentGroupName").rfind("Lambda-layers-example-Canary11957FE2", 0), 0u);
  auto alias = state_->alias(name, "live");
  ASSERT_TRUE(alias.ok() && alias->has_value());
  EXPECT_EQ((*alias)->function_version, "1");
  EXPECT_TRUE(said(std::string(kApp) + ": creating AWS::Lambda::Version " + kVersion1 +
                   " (publishing version 1)..."));
  EXPECT_EQ(not_emulated_summary(*result),
            "not emulated (recorded only): 1 AWS::CloudWatch::Alarm, 1 AWS::CodeDeploy::Application, 1 "
            "AWS::CodeDeploy::DeploymentGroup, 1 AWS::Lambda::Url in 'Lambda-layers-example'; 'layered "
            "list' shows them");
}

TEST_F(VersionsDeployTest, ChangedCodePublishesTheNextVersionAndRetainsTheOld) {
  auto dir = use("alias-canary");
  ASSERT_TRUE(run(dir, {}, true).ok());
  const std::string name = function_name();
  auto again = run(dir, {}, true);  // unchanged: nothing republished
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[1].outcome, Outcome::unchanged);
  rebuild_function(dir, "v2");
  auto result = run(dir, {kApp});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ(output((*result)[1], "CurrentVersionNumber"), "2");
  EXPECT_TRUE(said(std::string(kApp) + ": retaining AWS::Lambda::Version " + kVersion1 +
                   " (DeletionPolicy Retain)..."));
  auto one = state_->resolve_function(name + ":1");
  ASSERT_TRUE(one.ok()) << format_error(one.error());
  auto live = state_->resolve_function(name + ":live");
  ASSERT_TRUE(live.ok()) << format_error(live.error());
  auto latest = state_->resolve_function(name);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(live->version, "2");
  EXPECT_EQ(live->code_key, latest->code_key);
  EXPECT_NE(one->code_key, latest->code_key);  // version 1 kept the code it was published with
  EXPECT_TRUE(fs::exists(one->code_dir));      // and the store kept it
  auto versions = state_->function_versions();
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), 2u);
}

TEST_F(VersionsDeployTest, WithoutRetainTheOldVersionGoesAndItsNumberIsNotReused) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"][kVersion1].erase("DeletionPolicy");
  tpl["Resources"][kVersion1].erase("UpdateReplacePolicy");
  write_json(tpl_file, tpl);
  ASSERT_TRUE(run(dir, {}, true).ok());
  const std::string name = function_name();
  rebuild_function(dir, "v2");
  ASSERT_TRUE(run(dir, {kApp}).ok());
  EXPECT_FALSE(state_->resolve_function(name + ":1").ok());
  // New code under the same Version logical id and properties: CloudFormation
  // has nothing to replace, so nothing is published.
  rebuild_function(dir, "v3");
  auto same = run(dir, {kApp});
  ASSERT_TRUE(same.ok()) << format_error(same.error());
  EXPECT_EQ(output((*same)[1], "CurrentVersionNumber"), "2");
  // A changed property replaces it: version 3, and version 2 goes.
  Json tpl3 = read_json(tpl_file);
  tpl3["Resources"][kVersion2]["Properties"]["Description"] = "third";
  write_json(tpl_file, tpl3);
  auto third = run(dir, {kApp});
  ASSERT_TRUE(third.ok()) << format_error(third.error());
  EXPECT_EQ(output((*third)[1], "CurrentVersionNumber"), "3");
  EXPECT_FALSE(state_->resolve_function(name + ":2").ok());
  auto v3 = state_->function_version(name, 3);
  ASSERT_TRUE(v3.ok() && v3->has_value());
  EXPECT_EQ((*v3)->description, "third");
}

TEST_F(VersionsDeployTest, DestroyDeletesTheFunctionWithItsVersionsAndAliases) {
  ASSERT_TRUE(run(use("alias-canary"), {}, true).ok());
  ASSERT_TRUE(destroy(*state_, *store_, {kApp}, nullptr).ok());
  EXPECT_TRUE(state_->function_versions()->empty());
  EXPECT_TRUE(state_->aliases()->empty());
}

TEST_F(VersionsDeployTest, AliasToAVersionThatDoesNotExistFailsWithLambdasWording) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"]["AliasLive8346AEFA"]["Properties"]["FunctionVersion"] = "7";
  write_json(tpl_file, tpl);
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("Function not found: " + std::string(kArnPrefix), 0), 0u)
      << result.error().message;
  EXPECT_TRUE(result.error().message.ends_with(":7"));
  EXPECT_EQ(result.error().where, "Lambda-layers-example/AliasLive8346AEFA.Properties.FunctionVersion");
  EXPECT_TRUE(state_->function_versions()->empty());  // the stack rolled back
}

TEST_F(VersionsDeployTest, AFunctionHasNoVersionAttribute) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"]["AliasLive8346AEFA"]["Properties"]["FunctionVersion"] =
      Json{{"Fn::GetAtt", {"GreetingFunction16D8FDDB", "Version"}}};
  write_json(tpl_file, tpl);
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(
      result.error().message.find(
          "Template error: resource GreetingFunction16D8FDDB does not support attribute type Version in "
          "Fn::GetAtt"),
      std::string::npos)
      << format_error(result.error());
}

TEST_F(VersionsDeployTest, ASecondVersionOfAnUnchangedFunctionFailsAsOnCloudFormation) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"]["ManualV"] = {
      {"Type", "AWS::Lambda::Version"},
      {"Properties", {{"FunctionName", {{"Ref", "GreetingFunction16D8FDDB"}}}, {"Description", "manual"}}}};
  write_json(tpl_file, tpl);
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "A version for this Lambda function exists ( 1 ). Modify the function to create a new version.");
  EXPECT_EQ(result.error().where, "Lambda-layers-example/ManualV");
  EXPECT_TRUE(state_->function_versions()->empty());  // the stack was not created
}

TEST_F(VersionsDeployTest, ChangingOnlyTheVersionsDescriptionPublishesNothingAndFails) {
  auto dir = use("alias-canary");
  ASSERT_TRUE(run(dir, {}, true).ok());
  const std::string before = snapshot();
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"][kVersion1]["Properties"]["Description"] = "second";
  write_json(tpl_file, tpl);
  auto result = run(dir, {kApp});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "A version for this Lambda function exists ( 1 ). Modify the function to create a new version.");
  EXPECT_EQ(snapshot(), after_failed_update(before, kApp));
  // The function changed: now the replacement publishes version 2.
  rebuild_function(dir, "v2");
  Json changed = read_json(tpl_file);
  changed["Resources"][kVersion2]["Properties"]["Description"] = "second";
  write_json(tpl_file, changed);
  auto second = run(dir, {kApp});
  ASSERT_TRUE(second.ok()) << format_error(second.error());
  EXPECT_EQ(output((*second)[1], "CurrentVersionNumber"), "2");
}

TEST_F(VersionsDeployTest, ProvisionedConcurrencyNeedsAPublishedVersionAndIsSaidToBeRecordedOnly) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  tpl["Resources"]["AliasLive8346AEFA"]["Properties"]["ProvisionedConcurrencyConfig"] = {
      {"ProvisionedConcurrentExecutions", 2}};
  tpl["Resources"][kVersion1]["Properties"]["ProvisionedConcurrencyConfig"] = {
      {"ProvisionedConcurrentExecutions", 1}};
  write_json(tpl_file, tpl);
  auto result = run(dir, {}, true);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ(not_emulated_settings_summary(*result),
            "not emulated (recorded only): ProvisionedConcurrencyConfig of 'Lambda-layers-example/" +
                std::string(kVersion1) +
                "' and 'Lambda-layers-example/AliasLive8346AEFA'; every invocation starts an environment "
                "on demand, with its cold start");
  tpl["Resources"]["AliasLive8346AEFA"]["Properties"]["FunctionVersion"] = "$LATEST";
  write_json(tpl_file, tpl);
  auto latest = run(dir, {kApp});
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.error().message,
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
  EXPECT_EQ(latest.error().where,
            "Lambda-layers-example/AliasLive8346AEFA.Properties.ProvisionedConcurrencyConfig");
}

TEST_F(VersionsDeployTest, LoggingConfigOtherThanTheDefaultIsSaidToBeRecordedOnly) {
  auto dir = use("alias-canary");
  const fs::path tpl_file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(tpl_file);
  Json& props = tpl["Resources"]["GreetingFunction16D8FDDB"]["Properties"];
  props["LoggingConfig"] = {{"LogFormat", "Text"}};  // Lambda's default: nothing to say
  write_json(tpl_file, tpl);
  auto plain = run(dir, {}, true);
  ASSERT_TRUE(plain.ok()) << format_error(plain.error());
  EXPECT_EQ(not_emulated_settings_summary(*plain), "");
  props["LoggingConfig"] = {{"LogFormat", "JSON"}, {"ApplicationLogLevel", "DEBUG"}};
  tpl["Resources"][kVersion1]["Properties"]["ProvisionedConcurrencyConfig"] = {
      {"ProvisionedConcurrentExecutions", 1}};
  write_json(tpl_file, tpl);
  auto json = run(dir, {kApp});
  ASSERT_TRUE(json.ok()) << format_error(json.error());
  EXPECT_EQ(
      not_emulated_settings_summary(*json),
      "not emulated (recorded only): LoggingConfig of 'Lambda-layers-example/GreetingFunction16D8FDDB'; "
      "functions log text at their runtime's default level, without AWS_LAMBDA_LOG_FORMAT, "
      "AWS_LAMBDA_LOG_LEVEL or a custom log group\n"
      "not emulated (recorded only): ProvisionedConcurrencyConfig of 'Lambda-layers-example/" +
          std::string(kVersion1) +
          "'; every invocation starts an environment on demand, with its cold start");
}

TEST_F(VersionsDeployTest, ListShowsVersionsAndAliases) {
  auto dir = use("alias-canary");
  ASSERT_TRUE(run(dir, {}, true).ok());
  rebuild_function(dir, "v2");
  ASSERT_TRUE(run(dir, {kApp}).ok());
  const std::string name = function_name();
  auto inv = inventory(*state_);
  ASSERT_TRUE(inv.ok());
  std::string text = render_text(*inv);
  EXPECT_NE(text.find("    version 1: " + std::string(kArnPrefix) + name + ":1\n    version 2: " +
                      kArnPrefix + name + ":2\n    alias live -> 2: " + kArnPrefix + name + ":live\n"),
            std::string::npos)
      << text;
  Json j = Json::parse(render_json(*inv));
  ASSERT_EQ(j["function_versions"].size(), 2u);
  EXPECT_EQ(j["function_versions"][1]["arn"], kArnPrefix + name + ":2");
  EXPECT_EQ(j["function_versions"][0]["logical_id"], kVersion1);
  ASSERT_EQ(j["aliases"].size(), 1u);
  EXPECT_EQ(j["aliases"][0]["name"], "live");
  EXPECT_EQ(j["aliases"][0]["function_version"], "2");
  // The layer serves $LATEST and both versions.
  EXPECT_EQ(j["layer_versions"][0]["used_by"], Json({name, name + ":1", name + ":2"}));
}

}  // namespace
}  // namespace layered::deploy::testing
