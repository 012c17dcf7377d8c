// Inline code (CloudFormation's Code.ZipFile, lambda.Code.fromInline): the
// text becomes the package's one file, index.py or index.js.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

class InlineCode : public DeployFixture {
 protected:
  // Deploys the conditions fixture with its function's code given inline.
  Result<std::vector<StackResult>> deploy_inline(const std::string& runtime, const Json& code) {
    if (dir_.empty()) {
      dir_ = use("conditions");
      original_ = read_json(dir_ / "Conditions-example.template.json");
    }
    const fs::path file = dir_ / "Conditions-example.template.json";
    Json tpl = original_;
    Json& properties = tpl["Resources"]["Fn9270CBC0"]["Properties"];
    properties["Runtime"] = runtime;
    properties["Handler"] = "index.handler";
    properties["Code"] = code;
    write_json(file, tpl);
    return run(dir_, {});
  }

  static std::string read(const fs::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path dir_;
  Json original_;
};

TEST_F(InlineCode, PythonCodeIsStoredAsIndexPyAfterItsIntrinsicsAreEvaluated) {
  auto result = deploy_inline(
      "python3.12",
      Json{{"ZipFile",
            {{"Fn::Join", Json::array({"", Json::array({"STAGE = '", {{"Ref", "Stage"}}, "'\n"})})}}}});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  auto functions = state_->functions();
  ASSERT_TRUE(functions.ok());
  ASSERT_EQ(functions->size(), 1u);
  const auto& f = functions->front();
  EXPECT_EQ(read(fs::path(f.code_dir) / "index.py"), "STAGE = 'dev'\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(f.code_dir), fs::directory_iterator()), 1);
  EXPECT_EQ(f.code_key, fs::path(f.code_dir).filename().string());
}

TEST_F(InlineCode, NodeCodeIsStoredAsIndexJs) {
  auto result = deploy_inline("nodejs22.x", Json{{"ZipFile", "exports.handler = async () => 1;"}});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  auto functions = state_->functions();
  ASSERT_TRUE(functions.ok() && functions->size() == 1u);
  EXPECT_EQ(read(fs::path(functions->front().code_dir) / "index.js"), "exports.handler = async () => 1;");
}

TEST_F(InlineCode, IsRefusedForRuntimesThatTakeNone) {
  auto result = deploy_inline("provided.al2023", Json{{"ZipFile", "#!/bin/sh\n"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "Code.ZipFile (inline code) is only for Node.js and Python functions, not provided.al2023");
  EXPECT_EQ(result.error().where, "Conditions-example/Fn9270CBC0.Properties.Code.ZipFile");
  EXPECT_TRUE(state_->stacks()->empty());
}

TEST_F(InlineCode, EmptyOrMixedWithAnS3LocationIsRefused) {
  auto empty = deploy_inline("python3.12", Json{{"ZipFile", ""}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "Code.ZipFile must be the function's source code, a non-empty string");
  auto mixed =
      deploy_inline("python3.12", Json{{"ZipFile", "x = 1\n"}, {"S3Bucket", "b"}, {"S3Key", "k.zip"}});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().message, "Code.ZipFile cannot be given with Code.S3Bucket or Code.S3Key");
  EXPECT_TRUE(state_->stacks()->empty());
}

}  // namespace
}  // namespace layered::deploy::testing
