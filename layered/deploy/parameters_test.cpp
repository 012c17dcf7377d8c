// Template parameters given at deploy (`--parameters [STACK:]KEY=VALUE`), as
// `cdk deploy` passes them: for one stack or every stack that declares the
// key; a parameter not given keeps the value it was last given.
#include <gtest/gtest.h>

#include "cfn/cfn.hpp"
#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

class Parameters : public DeployFixture {
 protected:
  void SetUp() override {
    DeployFixture::SetUp();
    dir_ = use("conditions");
  }
  // The fixture with Stage required (no Default).
  void require_stage() {
    const fs::path file = dir_ / "Conditions-example.template.json";
    Json tpl = read_json(file);
    tpl["Parameters"]["Stage"].erase("Default");
    write_json(file, tpl);
  }
  Result<std::vector<StackResult>> deploy_with(std::vector<StackParameter> parameters) {
    return deploy_as(dir_, DeployOptions{.parameters = std::move(parameters)});
  }
  std::string stage() {
    auto f = state_->find_function("Conditions-example/Fn");
    if (!f.ok()) return "";
    for (const auto& [name, value] : f->environment)
      if (name == "STAGE") return value;
    return "";
  }
  int memory() { return state_->find_function("Conditions-example/Fn")->memory_mb; }

  fs::path dir_;
};

TEST_F(Parameters, AGivenValueWinsOverTheDefault) {
  auto r = deploy_with({{"", "Stage", "prod"}});
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(stage(), "prod");
  EXPECT_EQ(memory(), 1024);  // through Fn::FindInMap on the parameter
}

TEST_F(Parameters, AStacksOwnValueWinsOverOneForEveryStack) {
  ASSERT_TRUE(deploy_with({{"Conditions-example", "Stage", "prod"}, {"", "Stage", "dev"}}).ok());
  EXPECT_EQ(stage(), "prod");
}

TEST_F(Parameters, ARequiredParameterIsAskedForThenKeepsItsValue) {
  require_stage();
  auto missing = deploy_with({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "Parameters: [Stage] must have values");
  EXPECT_NE(missing.error().hint.find("layered deploy --parameters [STACK:]KEY=VALUE"), std::string::npos);
  ASSERT_TRUE(deploy_with({{"Conditions-example", "Stage", "prod"}}).ok());
  EXPECT_EQ(stage(), "prod");
  auto again = deploy_with({});  // as cdk deploy: the previous value
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  EXPECT_EQ(again->front().outcome, Outcome::unchanged);
  ASSERT_TRUE(deploy_with({{"", "Stage", "dev"}}).ok());
  EXPECT_EQ(stage(), "dev");
}

// `cdk deploy` passes UsePreviousValue for every parameter the stack had:
// a redeploy without --parameters keeps prod, it does not fall back to the
// Default (which would delete what the condition created).
TEST_F(Parameters, ARedeployWithoutTheParameterKeepsItsPreviousValueOverTheDefault) {
  ASSERT_TRUE(deploy_with({{"", "Stage", "prod"}}).ok());
  auto again = deploy_with({});
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  EXPECT_EQ(again->front().outcome, Outcome::unchanged);
  EXPECT_EQ(stage(), "prod");
  EXPECT_EQ(memory(), 1024);
}

TEST_F(Parameters, TheTemplatesRulesApplyToAGivenValue) {
  auto r = deploy_with({{"", "Stage", "qa"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Parameter 'Stage' must be one of AllowedValues");
  EXPECT_TRUE(state_->stacks()->empty());
}

TEST_F(Parameters, AKeyOrStackThatNothingDeclaresIsRefusedBeforeAnythingDeploys) {
  // As CloudFormation refuses a key its template lacks; a value the user
  // gave is never dropped without a word.
  auto other = deploy_with({{"Other-stack", "Stage", "prod"}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message, "--parameters names the stack 'Other-stack', which the app does not have");
  EXPECT_EQ(other.error().hint, "stacks: 'Conditions-example'");
  auto unknown = deploy_with({{"", "Stag", "x"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "Parameters: [Stag] do not exist in the template");
  EXPECT_EQ(unknown.error().where, "--parameters");
  EXPECT_EQ(unknown.error().hint, "did you mean 'Stage'?");
  auto undeclared = deploy_with({{"Conditions-example", "Unknown", "x"}});
  ASSERT_FALSE(undeclared.ok());
  EXPECT_EQ(undeclared.error().message, "Parameters: [Unknown] do not exist in the template");
  EXPECT_TRUE(state_->stacks()->empty());
}

// DefaultStackSynthesizer({ qualifier: 'myqual1' }) reads its own bootstrap's
// version: seeded as the default qualifier's is, as `cdk bootstrap
// --qualifier myqual1` would have made it.
TEST_F(Parameters, ACustomBootstrapQualifiersVersionIsSeeded) {
  const fs::path file = dir_ / "Conditions-example.template.json";
  Json tpl = read_json(file);
  tpl["Parameters"]["BootstrapVersion"]["Default"] = "/cdk-bootstrap/myqual1/version";
  write_json(file, tpl);
  auto r = deploy_with({});
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  auto seeded = state_->ssm_parameter("/cdk-bootstrap/myqual1/version");
  ASSERT_TRUE(seeded.ok() && seeded->has_value());
  EXPECT_EQ((*seeded)->value, cfn::kBootstrapVersion);
}

}  // namespace
}  // namespace layered::deploy::testing

namespace layered::deploy::testing {
namespace {

// {{resolve:ssm:NAME:N}} reads version N of the parameter, from the state's
// history of it, as CloudFormation reads Parameter Store's.
using PinnedSsmVersion = DeployFixture;

TEST_F(PinnedSsmVersion, ReadsThatVersionOrFailsAsSsmDoes) {
  constexpr const char* kLayers = "Lambda-layers-example-layers";
  constexpr const char* kApp = "Lambda-layers-example";
  constexpr const char* kName = "/lambda-layers-example/external-layer-arn";
  auto dir = use("ssm-sharing");
  ASSERT_TRUE(run(dir, {}, true).ok());
  rebuild_layer(dir, kLayers, "ExternalLayerE23CF025", "v2");
  ASSERT_TRUE(run(dir, {kLayers}).ok());
  const auto first = state_->ssm_parameter_version(kName, 1);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_NE(**first, (*state_->ssm_parameter(kName))->value);

  const fs::path file = dir / (std::string(kApp) + ".template.json");
  Json tpl = read_json(file);
  tpl["Resources"]["GreetingFunction16D8FDDB"]["Properties"]["Layers"][0] =
      std::string("{{resolve:ssm:") + kName + ":1}}";
  write_json(file, tpl);
  auto pinned = run(dir, {kApp});
  ASSERT_TRUE(pinned.ok()) << format_error(pinned.error());
  EXPECT_EQ(state_->find_function("Lambda-layers-example/GreetingFunction")->layers[0].arn, **first);

  tpl["Resources"]["GreetingFunction16D8FDDB"]["Properties"]["Layers"][0] =
      std::string("{{resolve:ssm:") + kName + ":3}}";
  write_json(file, tpl);
  auto missing = run(dir, {kApp});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, std::string("Systems Manager could not find version 3 of ") + kName +
                                         ". Verify the version and try again.");
}

}  // namespace
}  // namespace layered::deploy::testing
