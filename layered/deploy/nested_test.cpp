// AWS::CloudFormation::Stack (CDK's NestedStack): the nested template is a
// stack of its own, deployed and deleted with its parent, its parameters and
// outputs as CloudFormation passes them.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

constexpr const char* kNestedTemplate = "OuterInner590FD8F7.nested.template.json";

class NestedStack : public DeployFixture {
 protected:
  void SetUp() override {
    DeployFixture::SetUp();
    dir_ = use("nested-stack");
  }
  std::vector<std::string> stack_names() {
    std::vector<std::string> names;
    auto stacks = state_->stacks();
    for (const auto& s : *stacks) names.push_back(s.name);
    return names;
  }
  fs::path dir_;
};

TEST_F(NestedStack, ItsFunctionDeploysWithTheLayerItsParentPassesAndItsOutputComesBack) {
  auto result = run(dir_, {"Outer"});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  const auto names = stack_names();
  ASSERT_EQ(names.size(), 2u);
  const std::string nested = names[0] == "Outer" ? names[1] : names[0];
  EXPECT_EQ(nested.rfind("Outer-InnerNestedStackInnerNestedStackResource745E041B-", 0), 0u) << nested;
  auto fn = state_->find_function("Outer/Inner/Hello");
  ASSERT_TRUE(fn.ok()) << format_error(fn.error());
  EXPECT_EQ(fn->stack, nested);
  ASSERT_EQ(fn->layers.size(), 1u);
  EXPECT_EQ(fn->layers[0].arn, "arn:aws:lambda:us-east-1:123456789012:layer:GreeterA41DC22A:1");
  ASSERT_EQ(result->front().outputs.size(), 1u);
  EXPECT_EQ(result->front().outputs[0], std::make_pair(std::string("HelloName"), fn->name));
  auto resources = state_->resources("Outer");
  ASSERT_TRUE(resources.ok());
  for (const auto& r : *resources) {
    if (r.type == "AWS::CloudFormation::Stack") {
      EXPECT_TRUE(r.emulated);
      EXPECT_NE(r.physical_id.find(":stack/" + nested + "/"), std::string::npos) << r.physical_id;
    }
  }
}

TEST_F(NestedStack, AnUnchangedRedeployChangesNothingAndAChangedTemplateUpdatesTheFunction) {
  ASSERT_TRUE(run(dir_, {"Outer"}).ok());
  auto again = run(dir_, {"Outer"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->front().outcome, Outcome::unchanged);
  Json tpl = read_json(dir_ / kNestedTemplate);
  tpl["Resources"]["Hello4A628BD4"]["Properties"]["MemorySize"] = 256;
  write_json(dir_ / kNestedTemplate, tpl);
  auto changed = run(dir_, {"Outer"});
  ASSERT_TRUE(changed.ok()) << format_error(changed.error());
  EXPECT_EQ(changed->front().outcome, Outcome::updated);
  EXPECT_EQ(state_->find_function("Outer/Inner/Hello")->memory_mb, 256);
}

TEST_F(NestedStack, ARebuiltLayerOfTheParentReachesTheNestedFunctionThroughItsParameter) {
  ASSERT_TRUE(run(dir_, {"Outer"}).ok());
  rebuild_layer(dir_, "Outer", "GreeterA41DC22A", "rebuilt");
  auto result = run(dir_, {"Outer"});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  auto fn = state_->find_function("Outer/Inner/Hello");
  ASSERT_TRUE(fn.ok() && fn->layers.size() == 1u);
  EXPECT_EQ(fn->layers[0].arn, "arn:aws:lambda:us-east-1:123456789012:layer:GreeterA41DC22A:2");
  EXPECT_TRUE(fs::exists(fs::path(fn->layers[0].dir) / "python/greet.py"));
}

TEST_F(NestedStack, DestroyingTheParentDeletesTheNestedStackAndItsFunction) {
  ASSERT_TRUE(run(dir_, {"Outer"}).ok());
  ASSERT_TRUE(destroy(*state_, *store_, {"Outer"}, nullptr).ok());
  EXPECT_TRUE(stack_names().empty());
  EXPECT_TRUE(state_->functions()->empty());
  EXPECT_TRUE(store_->keys().empty());
}

// A nested stack that imports another stack's export holds it as its
// parent does; a nested stack is destroyed only with its parent, so the
// advice names the parent.
TEST_F(NestedStack, AnExportANestedStackImportsNamesItsParentToDestroy) {
  Json manifest = read_json(dir_ / "manifest.json");
  manifest["artifacts"]["Producer"] = {{"type", "aws:cloudformation:stack"},
                                       {"environment", "aws://123456789012/us-east-1"},
                                       {"properties", {{"templateFile", "Producer.template.json"}}}};
  manifest["artifacts"]["Outer"]["dependencies"].push_back("Producer");
  write_json(dir_ / "manifest.json", manifest);
  write_json(dir_ / "Producer.template.json",
             Json::parse(R"({"Resources": {"P": {"Type": "AWS::SSM::Parameter",
                 "Properties": {"Name": "/producer/p", "Type": "String", "Value": "p"}}},
               "Outputs": {"Shared": {"Value": "shared", "Export": {"Name": "SharedName"}}}})"));
  Json tpl = read_json(dir_ / kNestedTemplate);
  tpl["Resources"]["Imported"] = Json::parse(R"({"Type": "AWS::SSM::Parameter",
      "Properties": {"Name": "/nested/imported", "Type": "String", "Value": {"Fn::ImportValue": "SharedName"}}})");
  write_json(dir_ / kNestedTemplate, tpl);
  auto deployed = run(dir_, {}, true);
  ASSERT_TRUE(deployed.ok()) << format_error(deployed.error());
  auto status = destroy(*state_, *store_, {"Producer"}, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(
      status.error().message.rfind("Export SharedName cannot be deleted as it is in use by Outer-Inner", 0),
      0u)
      << status.error().message;
  EXPECT_EQ(status.error().hint, "destroy 'Outer' first");
}

TEST_F(NestedStack, ANestedStackRemovedFromTheTemplateIsDeleted) {
  ASSERT_TRUE(run(dir_, {"Outer"}).ok());
  Json tpl = read_json(dir_ / "Outer.template.json");
  tpl["Resources"].erase("InnerNestedStackInnerNestedStackResource745E041B");
  tpl["Outputs"].erase("HelloName");
  write_json(dir_ / "Outer.template.json", tpl);
  auto result = run(dir_, {"Outer"});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ(stack_names(), std::vector<std::string>{"Outer"});
  EXPECT_TRUE(state_->functions()->empty());
}

TEST_F(NestedStack, AMissingNestedTemplateFailsTheParentWithWhere) {
  fs::remove(dir_ / kNestedTemplate);
  auto result = run(dir_, {"Outer"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().where,
            "Outer/InnerNestedStackInnerNestedStackResource745E041B.Properties.TemplateURL");
  EXPECT_EQ(result.error().message.rfind("the nested stack's template " + std::string(kNestedTemplate), 0),
            0u)
      << result.error().message;
  EXPECT_TRUE(stack_names().empty());
}

TEST_F(NestedStack, ATemplateOnlyInS3OutsideTheAppIsRecordedOnly) {
  Json outer = read_json(dir_ / "Outer.template.json");
  Json& nested = outer["Resources"]["InnerNestedStackInnerNestedStackResource745E041B"];
  nested["Metadata"].erase("aws:asset:path");
  nested["Properties"]["TemplateURL"] = "https://s3.amazonaws.com/someone-elses-bucket/their.template.json";
  outer["Outputs"].erase("HelloName");
  write_json(dir_ / "Outer.template.json", outer);
  auto result = run(dir_, {"Outer"});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ(stack_names(), std::vector<std::string>{"Outer"});
  EXPECT_EQ(result->front().not_emulated,
            std::vector<std::string>{
                "AWS::CloudFormation::Stack InnerNestedStackInnerNestedStackResource745E041B"});
}

TEST_F(NestedStack, ANestedTemplateThatIncludesItselfEndsInAMessage) {
  // The nested template deploys a nested stack of its own template, forever.
  Json tpl = read_json(dir_ / kNestedTemplate);
  Json outer = read_json(dir_ / "Outer.template.json");
  Json self = outer["Resources"]["InnerNestedStackInnerNestedStackResource745E041B"];
  self["Properties"]["Parameters"] = {
      {"referencetoOuterGreeter763D1803Ref", {{"Ref", "referencetoOuterGreeter763D1803Ref"}}}};
  tpl["Resources"]["Again"] = self;
  write_json(dir_ / kNestedTemplate, tpl);
  auto result = run(dir_, {"Outer"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "nested stacks go deeper than 10 levels");
  EXPECT_TRUE(stack_names().empty());
}

}  // namespace
}  // namespace layered::deploy::testing
