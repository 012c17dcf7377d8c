// DeletionPolicy Retain: what a stack keeps when it replaces, drops or is
// destroyed with a resource (layer versions, functions), as CloudFormation
// keeps it.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

constexpr const char* kLayers = "Lambda-layers-example-layers";
constexpr const char* kApp = "Lambda-layers-example";
constexpr const char* kArn1 = "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:1";
constexpr const char* kArn2 = "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:2";

using RetainTest = DeployFixture;

TEST_F(RetainTest, RetainPolicyKeepsTheOldLayerVersion) {
  auto dir = use("ssm-sharing");
  Json tpl = read_json(dir / (std::string(kLayers) + ".template.json"));
  tpl["Resources"]["ExternalLayerE23CF025"]["UpdateReplacePolicy"] = "Retain";
  tpl["Resources"]["ExternalLayerE23CF025"]["DeletionPolicy"] = "Retain";
  write_json(dir / (std::string(kLayers) + ".template.json"), tpl);
  ASSERT_TRUE(run(dir, {}, true).ok());
  rebuild_layer(dir, kLayers, "ExternalLayerE23CF025", "v2");
  ASSERT_TRUE(run(dir, {}, true).ok());
  EXPECT_FALSE((*state_->find_layer_version(kArn1))->deleted);
  ASSERT_TRUE(destroy(*state_, *store_, {kApp, kLayers}, nullptr).ok());
  EXPECT_FALSE((*state_->find_layer_version(kArn1))->deleted);
  EXPECT_FALSE((*state_->find_layer_version(kArn2))->deleted);
}

// DeletionPolicy Retain on a function: on AWS it outlives its stack and is
// still invoked; it was deleted with the stack while "retaining" was said.
// Deployed again, the stack takes its retained function over (its name is
// derived here, where AWS's would be new).
TEST_F(RetainTest, ARetainedFunctionOutlivesItsStackAndIsListed) {
  auto dir = use("conditions");
  const fs::path file = dir / "Conditions-example.template.json";
  Json tpl = read_json(file);
  tpl["Resources"]["Fn9270CBC0"]["DeletionPolicy"] = "Retain";
  write_json(file, tpl);
  ASSERT_TRUE(run(dir, {}).ok());
  auto before = state_->find_function("Conditions-example/Fn");
  ASSERT_TRUE(before.ok());
  auto destroyed = destroy(*state_, *store_, {"Conditions-example"}, nullptr);
  ASSERT_TRUE(destroyed.ok()) << format_error(destroyed.error());
  EXPECT_TRUE(state_->stacks()->empty());
  auto after = state_->resolve_function(before->name);
  ASSERT_TRUE(after.ok()) << format_error(after.error());
  EXPECT_EQ(after->stack, "");
  EXPECT_TRUE(fs::exists(after->code_dir)) << "its code was collected";
  auto inv = inventory(*state_);
  ASSERT_TRUE(inv.ok());
  const std::string text = render_text(*inv);
  EXPECT_NE(text.find("Conditions-example/Fn  (retained: its stack is gone)"), std::string::npos) << text;
  auto again = run(dir, {});
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  auto adopted = state_->find_function("Conditions-example/Fn");
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(adopted->name, before->name);
  EXPECT_EQ(adopted->stack, "Conditions-example");
  EXPECT_EQ(state_->stacks()->size(), 1u);
}

// A layer version kept by DeletionPolicy Retain outlives its stack: the
// text list said only "no stacks deployed" and hid it.
TEST_F(RetainTest, ARetainedLayerVersionIsListedOnceNoStackIsLeft) {
  auto dir = use("shared-layer-export");
  const fs::path file = dir / (std::string(kLayers) + ".template.json");
  Json tpl = read_json(file);
  std::string layer_id;
  for (auto& [id, resource] : tpl["Resources"].items()) {
    if (resource["Type"] == "AWS::Lambda::LayerVersion" && layer_id.empty()) {
      resource["DeletionPolicy"] = "Retain";
      layer_id = id;
    }
  }
  write_json(file, tpl);
  ASSERT_TRUE(run(dir, {}, true).ok());
  auto destroyed = destroy(*state_, *store_, {kApp, kLayers}, nullptr);
  ASSERT_TRUE(destroyed.ok()) << format_error(destroyed.error());
  auto inv = inventory(*state_);
  ASSERT_TRUE(inv.ok());
  ASSERT_EQ(inv->layer_versions.size(), 1u);
  const std::string text = render_text(*inv);
  EXPECT_EQ(text.rfind("no stacks deployed", 0), 0u) << text;
  EXPECT_NE(text.find("Layer versions:\n  " + inv->layer_versions[0].layer.arn), std::string::npos) << text;
  EXPECT_EQ(text.find("Functions:"), std::string::npos) << text;
}

}  // namespace
}  // namespace layered::deploy::testing
