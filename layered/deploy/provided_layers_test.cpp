// `layered deploy --layer ARN=DIR|ZIP`: a layer version published elsewhere
// (a public layer, another account's) stands in locally with the user's copy.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

const std::string kForeign = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:40";

class ProvidedLayers : public DeployFixture {
 protected:
  void SetUp() override {
    DeployFixture::SetUp();
    dir_ = use("conditions");
    const fs::path file = dir_ / "Conditions-example.template.json";
    Json tpl = read_json(file);
    tpl["Resources"]["Fn9270CBC0"]["Properties"]["Layers"] = Json::array({kForeign});
    write_json(file, tpl);
    copy_ = root_ / "copy";
    fs::create_directories(copy_ / "python");
    std::ofstream(copy_ / "python/tools.py") << "VERSION = 1\n";
  }

  Result<std::vector<StackResult>> deploy_providing(std::vector<ProvidedLayer> layers) {
    return deploy_as(dir_, DeployOptions{.provided_layers = std::move(layers)});
  }

  std::string layer_file_of_function() {
    auto f = state_->find_function("Conditions-example/Fn");
    EXPECT_TRUE(f.ok());
    if (!f.ok() || f->layers.empty()) return "";
    std::ifstream in(fs::path(f->layers.front().dir) / "python/tools.py");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path dir_, copy_;
};

TEST_F(ProvidedLayers, AForeignLayerIsMissingUntilItsContentIsGiven) {
  auto missing = deploy_providing({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "Layer version " + kForeign + " does not exist.");
  EXPECT_NE(missing.error().hint.find("published by account 017000801446, not this app's 123456789012"),
            std::string::npos)
      << missing.error().hint;
  EXPECT_NE(missing.error().hint.find("--layer " + kForeign + "=DIR|ZIP"), std::string::npos);

  auto deployed = deploy_providing({{kForeign, copy_.string()}});
  ASSERT_TRUE(deployed.ok()) << format_error(deployed.error());
  EXPECT_EQ(layer_file_of_function(), "VERSION = 1\n");
  auto listed = render_text(*inventory(*state_));
  EXPECT_NE(listed.find(kForeign + "  (provided with --layer)"), std::string::npos) << listed;
}

TEST_F(ProvidedLayers, StaysForLaterDeploysOutlivesDestroyAndTakesNewContent) {
  ASSERT_TRUE(deploy_providing({{kForeign, copy_.string()}}).ok());
  ASSERT_TRUE(destroy(*state_, *store_, {"Conditions-example"}, nullptr).ok());
  auto again = deploy_providing({});  // the state still has it
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  std::ofstream(copy_ / "python/tools.py") << "VERSION = 2\n";
  ASSERT_TRUE(deploy_providing({{kForeign, copy_.string()}}).ok());
  EXPECT_EQ(layer_file_of_function(), "VERSION = 2\n");
  // The first content is collected: nothing uses it any more.
  EXPECT_EQ(store_->keys().size(), 2u);  // the function's code and the layer's new content
}

TEST_F(ProvidedLayers, BadArnsAndLocalLayersAreRefusedAndNothingIsRecorded) {
  for (const std::string arn : {"nonsense", "arn:aws:lambda:us-east-1:0170008014:layer:x:1",
                                "arn:aws:lambda:us-east-1:017000801446:layer:x:0",
                                "arn:aws:lambda:us-east-1:017000801446:function:x:1"}) {
    auto r = deploy_providing({{arn, copy_.string()}});
    ASSERT_FALSE(r.ok()) << arn;
    EXPECT_EQ(r.error().message, "'" + arn + "' is not a layer version ARN");
  }
  auto absent = deploy_providing({{kForeign, (root_ / "nope").string()}});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().message, "no such file or directory");
  EXPECT_TRUE(state_->layer_versions()->empty());
  EXPECT_TRUE(store_->keys().empty());

  ASSERT_TRUE(deploy_providing({{kForeign, copy_.string()}}).ok());
  auto own = run(use("shared-layer-export"), {}, true);
  ASSERT_TRUE(own.ok()) << format_error(own.error());
  const std::string local = state_->layer_versions()->back().arn;
  ASSERT_FALSE(state_->layer_versions()->back().stack.empty());
  auto refused = deploy_providing({{local, copy_.string()}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("is published by stack"), std::string::npos);
  // The same name and number in another account: not told apart here.
  std::string twin = local;
  twin.replace(twin.find("123456789012"), 12, "999999999999");
  auto clash = deploy_providing({{twin, copy_.string()}});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "layer version " + twin + " has the name and number of " + local +
                                       ", which this state already has");
}

}  // namespace
}  // namespace layered::deploy::testing
