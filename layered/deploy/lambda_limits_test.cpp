// Lambda's API checks that deploy applies to every function, doctor or not.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

using LambdaLimitsTest = DeployFixture;

class FunctionProperty : public DeployFixture {
 protected:
  // Deploys the conditions fixture with one property of its function replaced.
  Result<std::vector<StackResult>> deploy_with(const std::string& key, const Json& value) {
    if (dir_.empty()) {
      dir_ = use("conditions");
      original_ = read_json(template_file());
    }
    Json tpl = original_;
    tpl["Resources"]["Fn9270CBC0"]["Properties"][key] = value;
    write_json(template_file(), tpl);
    return run(dir_, {});
  }
  fs::path template_file() const { return dir_ / "Conditions-example.template.json"; }

  fs::path dir_;
  Json original_;
};

TEST_F(FunctionProperty, ReservedEnvironmentKeysAreRefusedWithLambdasWording) {
  auto result = deploy_with(
      "Environment",
      Json{{"Variables",
            {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1"}, {"GREETING", "hi"}, {"AWS_REGION", "eu-west-1"}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.error().message,
      "Lambda was unable to configure your environment variables because the environment variables you "
      "have provided contains reserved keys that are currently not supported for modification. Reserved "
      "keys used in this request: AWS_LAMBDA_RUNTIME_API, AWS_REGION");
  EXPECT_EQ(result.error().where, "Conditions-example/Fn9270CBC0.Properties.Environment.Variables");
  EXPECT_TRUE(state_->stacks()->empty());
}

TEST_F(FunctionProperty, EnvironmentKeysAndSizeFollowLambdasRules) {
  auto bad_key = deploy_with("Environment", Json{{"Variables", {{"1ST", "x"}}}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().message,
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map "
            "keys must satisfy constraint: [Member must satisfy regular expression pattern: "
            "[a-zA-Z]([a-zA-Z0-9_])+]");
  auto big = deploy_with("Environment", Json{{"Variables", {{"BIG", std::string(4094, 'x')}}}});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message,
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided exceeded the 4KB limit.");
  auto fits = deploy_with("Environment", Json{{"Variables", {{"BIG", std::string(4093, 'x')}}}});
  EXPECT_TRUE(fits.ok()) << format_error(fits.error());
}

TEST_F(FunctionProperty, ALayerOfAnotherRegionIsRefusedWithLambdasWording) {
  // Refused before the layer is looked up: it need not exist.
  auto result = deploy_with("Layers", Json::array({"arn:aws:lambda:eu-west-1:123456789012:layer:shared:1"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(format_error(result.error()),
            "layered: error: Conditions-example/Fn9270CBC0.Properties.Layers[0]: Layers are not in the same "
            "region as the function. Layers are expected to be in region us-east-1.\n"
            "  'arn:aws:lambda:eu-west-1:123456789012:layer:shared:1' is a layer of eu-west-1: publish the "
            "layer in us-east-1 too and use that version's ARN");
}

TEST_F(FunctionProperty, FunctionNamesFollowLambdasPatternAndLength) {
  const std::string pattern =
      "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
      "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+"
      ")(:"
      "(\\$LATEST|[a-zA-Z0-9-_]+))?";
  auto newline = deploy_with("FunctionName", "two\nlines");
  ASSERT_FALSE(newline.ok());
  EXPECT_EQ(newline.error().message, "1 validation error detected: Value 'two\\nlines" + pattern);
  EXPECT_EQ(newline.error().where, "Conditions-example/Fn9270CBC0.Properties.FunctionName");
  auto slash = deploy_with("FunctionName", "team/fn");
  ASSERT_FALSE(slash.ok());
  EXPECT_EQ(slash.error().message, "1 validation error detected: Value 'team/fn" + pattern);
  auto dot = deploy_with("FunctionName", "fn.v2");
  EXPECT_FALSE(dot.ok());
  auto long_name = deploy_with("FunctionName", std::string(65, 'f'));
  ASSERT_FALSE(long_name.ok());
  EXPECT_EQ(long_name.error().message,
            "1 validation error detected: Value '" + std::string(65, 'f') +
                "' at 'functionName' failed to satisfy constraint: Member must have "
                "length less than or equal to 64");
  EXPECT_TRUE(state_->stacks()->empty());
  auto longest = deploy_with("FunctionName", std::string(63, 'f') + "_");
  ASSERT_TRUE(longest.ok()) << format_error(longest.error());
  auto listed = inventory(*state_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->functions.at(0).name, std::string(63, 'f') + "_");
}

// 250 MB for the function and its layers together, with the doctor off (the
// fixture has no FunctionCheck): each part alone is under the limit. The
// files are sparse, so the test costs no disk.
TEST_F(LambdaLimitsTest, CodeAndLayersOver250MbAreRefusedWithLambdasWording) {
  auto dir = use("layer-overwrite");
  auto grow = [](const fs::path& file, std::uintmax_t bytes) {
    std::ofstream(file).close();
    fs::resize_file(file, bytes);
  };
  grow(dir / "asset.6d189aa984bd4e86c003e2b28357ebd5a4fde05b9718a25394e0cc5b6d0062cf/lib/big.bin",
       140u << 20);
  grow(dir / "asset.4906a7e54fd7d57d605e5745ea64606ce08dcd7d4147107c020565bb6f036232/big.bin", 110u << 20);
  auto result = run(dir, {});
  ASSERT_FALSE(result.ok());
  const std::string message = result.error().message;
  EXPECT_EQ(message.rfind("Function code combined with layers exceeds the maximum allowed size of 262144000 "
                          "bytes. The actual size is ",
                          0),
            0u)
      << message;
  EXPECT_TRUE(message.ends_with(" bytes.")) << message;
  const auto actual = std::stoull(message.substr(message.find("actual size is ") + 15));
  EXPECT_GT(actual, (250ull << 20));
  EXPECT_LT(actual, (250ull << 20) + 4096);
  EXPECT_EQ(result.error().where, "Layer-overwrite/Fn9270CBC0");
  EXPECT_TRUE(state_->stacks()->empty());
}

}  // namespace
}  // namespace layered::deploy::testing
