// check_assembly on a copy of tests/fixtures/assemblies/ssm-sharing whose
// function is made a Python one: the layers of its template as deploy
// resolves them (dynamic references included), and what doctor says when
// one of them cannot be resolved before deploy.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "doctor/doctor.hpp"
#include "doctor/inputs.hpp"

namespace layered::doctor {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kApp = "Lambda-layers-example";
constexpr const char* kFunction = "GreetingFunction16D8FDDB";
constexpr const char* kLayerAsset = "asset.f3daaa301c757357ba6330d891543cc1af5f04e4c3d343b154cce62708063007";
constexpr const char* kCodeAsset = "asset.9013e8fb80d6183ea253a6cb5503c483ffe2532762d8097154471890e28a7175";

class AssemblyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source = std::getenv("LAYERED_SOURCE_DIR");
    fs::copy(fs::path(source ? source : LAYERED_SOURCE_DIR_DEFAULT) / "tests/fixtures/assemblies/ssm-sharing",
             dir(), fs::copy_options::recursive);
    write(std::string(kLayerAsset) + "/python/extlib/__init__.py", "");
    write(std::string(kCodeAsset) + "/app.py", "import extlib\nimport tool\n");
  }

  fs::path dir() const { return tmp_.path() / "cdk.out"; }

  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir() / rel).parent_path());
    std::ofstream(dir() / rel) << text;
  }

  // The function with `layers`, made python3.11 with the handler app.handler
  // unless `python` is false.
  void python_function(const Json& layers, bool python = true) {
    const fs::path file = dir() / (std::string(kApp) + ".template.json");
    Json tpl = Json::parse(std::ifstream(file));
    Json& properties = tpl["Resources"][kFunction]["Properties"];
    if (python) {
      properties["Runtime"] = "python3.11";
      properties["Handler"] = "app.handler";
    }
    properties["Layers"] = layers;
    std::ofstream(file) << tpl.dump(1);
  }

  FunctionReport check_function() {
    auto r = check_assembly(dir(), {std::string(kApp) + "/GreetingFunction"});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.error()));
    return r.ok() ? r->functions.at(0) : FunctionReport{};
  }

  static std::string codes(const FunctionReport& r) {
    std::string out;
    for (const auto& f : r.findings) out += std::string(to_string(f.severity)) + " " + f.code + "\n";
    return out;
  }

  TempDir tmp_;
};

TEST_F(AssemblyCheckTest, DynamicReferenceInLayersIsResolvedAsDeployResolvesIt) {
  write(std::string(kCodeAsset) + "/app.py", "import extlib\n");
  python_function(Json::array({"{{resolve:ssm:/lambda-layers-example/external-layer-arn}}"}));
  auto r = check_function();
  EXPECT_EQ(r.layers, std::vector<std::string>{"ExternalLayerE23CF025"});
  EXPECT_EQ(codes(r), "");
}

TEST_F(AssemblyCheckTest, ImportsALayerNotCheckedCouldProvideAreWarnings) {
  python_function(Json::array({"{{resolve:ssm:/lambda-layers-example/external-layer-arn}}",
                               "arn:aws:lambda:us-east-1:123456789012:layer:public:3"}));
  auto r = check_function();
  EXPECT_EQ(codes(r), "warning python.import-missing\ninfo layer.unresolved\n");
  const Finding& f = r.findings.at(0);
  EXPECT_EQ(
      f.message,
      "imports 'tool' (line 2), which neither the function, the layers doctor checked nor python3.11's "
      "standard library provide; layer 'arn:aws:lambda:us-east-1:123456789012:layer:public:3' cannot be "
      "resolved before deploy and was not checked, so unless it provides it, every invoke fails with "
      "Runtime.ImportModuleError: Unable to import module 'app': No module named 'tool'");
  EXPECT_EQ(f.fix.rfind("check that layer with 'layered doctor --layer DIR|ZIP', or ", 0), 0u) << f.fix;
}

TEST_F(AssemblyCheckTest, BootstrapALayerNotCheckedCouldProvideIsAWarning) {
  fs::remove(dir() / kCodeAsset / "bootstrap");
  python_function(Json::array({"arn:aws:lambda:us-east-1:123456789012:layer:runtime:1"}), false);
  auto r = check_function();
  EXPECT_EQ(codes(r), "warning bootstrap.missing\ninfo layer.unresolved\n");
  EXPECT_EQ(
      r.findings.at(0).message,
      "there is no bootstrap: a provided.al2023 function starts /var/task/bootstrap, else /opt/bootstrap; "
      "layer 'arn:aws:lambda:us-east-1:123456789012:layer:runtime:1' cannot be resolved before deploy and "
      "was not checked, so unless it has bootstrap at its top, Runtime.InvalidEntrypoint");
}

TEST_F(AssemblyCheckTest, LayerEntryThatDoesNotEvaluateIsNotChecked) {
  python_function(Json::array({"{{resolve:ssm:/lambda-layers-example/external-layer-arn}}",
                               Json{{"Fn::Bogus", Json::array({"x"})}}}));
  auto r = check_function();
  EXPECT_EQ(r.layers, std::vector<std::string>{"ExternalLayerE23CF025"});
  EXPECT_EQ(codes(r), "error template.error\nwarning python.import-missing\n");
}

// The template's environment reaches the checks that read it, as deploy's
// function record does: a wrapper the function does not have.
TEST_F(AssemblyCheckTest, TheExecWrapperOfTheTemplatesEnvironmentIsChecked) {
  write(std::string(kCodeAsset) + "/app.py", "import extlib\n");
  python_function(Json::array({"{{resolve:ssm:/lambda-layers-example/external-layer-arn}}"}));
  const fs::path file = dir() / (std::string(kApp) + ".template.json");
  Json tpl = Json::parse(std::ifstream(file));
  tpl["Resources"][kFunction]["Properties"]["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] = {
      {"Fn::Join", Json::array({"", Json::array({"/opt/", "wrapper"})})}};
  std::ofstream(file) << tpl.dump(1);
  auto r = check_function();
  EXPECT_EQ(codes(r), "error wrapper.missing\n");
  EXPECT_EQ(r.findings.at(0).file, "/opt/wrapper");
}

// A layer published by a NestedStack, used by the parent through
// Fn::GetAtt "Outputs.X" and by another stack through the parent's export
// of it (CDK's automatic export): deploy creates the nested stack before
// what reads it, and doctor evaluates in that order too.
TEST(AssemblyCheck, ALayerFromANestedStacksOutputIsResolvedAsDeployResolvesIt) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "cdk.out";
  auto write = [&dir](const std::string& rel, const Json& value) {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << (value.is_string() ? value.get<std::string>() : value.dump());
  };
  write("asset.layer/python/extlib/__init__.py", "");
  auto function = [](const Json& layer) {
    return Json{{"Type", "AWS::Lambda::Function"},
                {"Properties",
                 {{"Runtime", "python3.11"},
                  {"Handler", "index.handler"},
                  {"Code", {{"ZipFile", "import extlib\ndef handler(e, c):\n    return 1\n"}}},
                  {"Layers", Json::array({layer})}}}};
  };
  const Json get_att = {{"Fn::GetAtt", {"Lay", "Outputs.LayerArn"}}};
  write("manifest.json",
        Json{{"version", "55.0.0"},
             {"artifacts",
              {{"P.assets", {{"type", "cdk:asset-manifest"}, {"properties", {{"file", "P.assets.json"}}}}},
               {"P",
                {{"type", "aws:cloudformation:stack"},
                 {"properties", {{"templateFile", "P.template.json"}}},
                 {"dependencies", {"P.assets"}}}},
               {"C",
                {{"type", "aws:cloudformation:stack"},
                 {"properties", {{"templateFile", "C.template.json"}}},
                 {"dependencies", {"P"}}}}}}});
  write("P.assets.json", Json{{"files",
                               {{"layer",
                                 {{"source", {{"path", "asset.layer"}, {"packaging", "zip"}}},
                                  {"destinations", {{"d", {{"objectKey", "layer.zip"}}}}}}}}}});
  write("Lay.nested.template.json",
        Json{{"Resources",
              {{"NL",
                {{"Type", "AWS::Lambda::LayerVersion"},
                 {"Properties", {{"Content", {{"S3Bucket", "b"}, {"S3Key", "layer.zip"}}}}},
                 {"Metadata", {{"aws:asset:path", "asset.layer"}}}}}}},
             {"Outputs", {{"LayerArn", {{"Value", {{"Ref", "NL"}}}}}}}});
  write("P.template.json",
        Json{{"Resources",
              {{"Lay",
                {{"Type", "AWS::CloudFormation::Stack"},
                 {"Properties", {{"TemplateURL", "https://s3.amazonaws.com/b/Lay.nested.template.json"}}},
                 {"Metadata", {{"aws:asset:path", "Lay.nested.template.json"}}}}},
               {"F", function(get_att)}}},
             {"Outputs", {{"Shared", {{"Value", get_att}, {"Export", {{"Name", "P:Shared"}}}}}}}});
  write("C.template.json", Json{{"Resources", {{"G", function({{"Fn::ImportValue", "P:Shared"}})}}}});
  auto r = check_assembly(dir, {});
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  ASSERT_EQ(r->functions.size(), 2u);
  for (const FunctionReport& f : r->functions) {
    EXPECT_EQ(f.layers, std::vector<std::string>{"NL"}) << f.function_name;
    for (const Finding& finding : f.findings)
      ADD_FAILURE() << f.function_name << ": " << finding.code << " " << finding.message;
  }
}

// A SAM template: deploy refuses its Transform, and doctor says the same of
// its functions rather than "the cloud assembly has no Lambda functions".
TEST(AssemblyCheck, ASamFunctionGetsDeploysTransformError) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "cdk.out";
  fs::create_directories(dir);
  std::ofstream(dir / "manifest.json") << R"({"version":"55.0.0","artifacts":{"Sam":{
      "type":"aws:cloudformation:stack","properties":{"templateFile":"Sam.template.json"}}}})";
  std::ofstream(dir / "Sam.template.json") << R"({"Transform":"AWS::Serverless-2016-10-31",
      "Resources":{"Fn":{"Type":"AWS::Serverless::Function",
        "Properties":{"Runtime":"python3.11","Handler":"index.handler","InlineCode":"x = 1"}}}})";
  auto r = check_assembly(dir, {});
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  ASSERT_EQ(r->functions.size(), 1u);
  ASSERT_EQ(r->functions[0].findings.size(), 1u);
  const Finding& f = r->functions[0].findings[0];
  EXPECT_EQ(f.code, "template.error");
  EXPECT_EQ(f.message, "transform 'AWS::Serverless-2016-10-31' is not emulated by layered");
}

}  // namespace
}  // namespace layered::doctor
