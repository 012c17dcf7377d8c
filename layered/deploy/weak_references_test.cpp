// Fn::GetStackOutput, as a CDK app made by `cdk init` shares a layer between
// two stacks (tests/fixtures/cdk-apps/weak-references): the consumer reads
// the producer's recorded output at deploy, and nothing locks the producer.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

constexpr const char* kLayers = "Weak-layers";
constexpr const char* kService = "Weak-service";
constexpr const char* kLayerArn = "arn:aws:lambda:us-east-1:123456789012:layer:GreeterA41DC22A:";

class WeakReferences : public DeployFixture {
 protected:
  void SetUp() override {
    DeployFixture::SetUp();
    dir_ = use("weak-references");
  }
  state::FunctionRecord function() {
    auto fn = state_->find_function("Weak-service/Hello");
    EXPECT_TRUE(fn.ok()) << format_error(fn.error());
    return fn.ok() ? *fn : state::FunctionRecord{};
  }
  fs::path dir_;
};

TEST_F(WeakReferences, TheConsumerGetsTheProducersOutput) {
  auto result = run(dir_, {}, true);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  const auto fn = function();
  ASSERT_EQ(fn.layers.size(), 1u);
  EXPECT_EQ(fn.layers[0].arn, std::string(kLayerArn) + "1");
  EXPECT_EQ(fn.environment, (state::Pairs{{"LAYER_ARN", std::string(kLayerArn) + "1"}}));
  // A weak reference is no import: nothing stops the producer from changing.
  auto exports = state_->exports();
  ASSERT_TRUE(exports.ok());
  EXPECT_TRUE(exports->empty());
}

TEST_F(WeakReferences, TheProducerChangesAndGoesWhileTheConsumerKeepsWhatItRead) {
  ASSERT_TRUE(run(dir_, {}, true).ok());
  rebuild_layer(dir_, kLayers, "GreeterA41DC22A", "v2");
  auto producer = run(dir_, {kLayers});
  ASSERT_TRUE(producer.ok()) << format_error(producer.error());
  EXPECT_EQ(function().layers[0].arn, std::string(kLayerArn) + "1");  // until it deploys again
  auto consumer = run(dir_, {kService}, false, true);
  ASSERT_TRUE(consumer.ok()) << format_error(consumer.error());
  EXPECT_EQ(function().layers[0].arn, std::string(kLayerArn) + "2");

  ASSERT_TRUE(destroy(*state_, *store_, {kLayers}, nullptr).ok());
  EXPECT_EQ(function().layers[0].arn, std::string(kLayerArn) + "2");
  auto orphaned = run(dir_, {kService}, false, true);
  ASSERT_FALSE(orphaned.ok());
  EXPECT_EQ(
      format_error(orphaned.error()),
      "layered: error: Weak-service/Hello4A628BD4.Properties.Environment.Variables.LAYER_ARN: Stack with "
      "id Weak-layers does not exist\n"
      "  deploy 'Weak-layers' (in account 123456789012, region us-east-1) first, or fix StackName");
}

TEST_F(WeakReferences, AMissingOutputIsNamed) {
  ASSERT_TRUE(run(dir_, {kLayers}).ok());
  Json tpl = read_json(dir_ / (std::string(kService) + ".template.json"));
  tpl["Resources"]["Hello4A628BD4"]["Properties"]["Layers"][0]["Fn::GetStackOutput"]["OutputName"] =
      "PublishOutputRefGreeterA41DC22AF9D2615F";
  write_json(dir_ / (std::string(kService) + ".template.json"), tpl);
  auto result = run(dir_, {kService}, false, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "Output PublishOutputRefGreeterA41DC22AF9D2615F does not exist in stack Weak-layers");
  EXPECT_EQ(result.error().hint, "did you mean 'PublishOutputRefGreeterA41DC22AF9D2615E'?");
}

}  // namespace
}  // namespace layered::deploy::testing
