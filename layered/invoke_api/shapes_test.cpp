// The read APIs' bodies (shapes.cpp) against Lambda's shapes, and what the
// catalog reads into them from the state (catalog.cpp).
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {
namespace {

using json = nlohmann::json;

Deployed function(const std::string& name) {
  Deployed d;
  d.record.name = name;
  d.record.arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
  d.record.code_key = std::string(64, 'c');
  d.identity = name + ":" + d.record.code_key;
  return d;
}

std::string revision(const Deployed& d) { return configuration(d)["RevisionId"]; }

TEST(Configuration, RevisionIdIsTheFunctionsAndChangesWithAnyUpdate) {
  const Deployed one = function("one");
  EXPECT_TRUE(
      re2::RE2::FullMatch(revision(one), "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
      << revision(one);
  EXPECT_EQ(revision(one), revision(function("one"))) << "the same function, the same id";
  EXPECT_NE(revision(one), revision(function("two"))) << "the same code, another function";
  Deployed version = one;
  version.record.version = "1";
  EXPECT_NE(revision(one), revision(version)) << "a version is not its $LATEST";
  Deployed configured = one;
  configured.identity += ";Timeout=10";
  EXPECT_NE(revision(one), revision(configured)) << "a configuration change, the same code";
  Deployed described = one;
  described.revision_seed = R"({"Description":"new"})";
  EXPECT_NE(revision(one), revision(described)) << "a change outside what runs";
}

TEST(Configuration, TracingAndLoggingAreTheTemplates) {
  Deployed d = function("fn");
  auto defaults = configuration(d);
  EXPECT_EQ(defaults["TracingConfig"], json({{"Mode", "PassThrough"}}));
  EXPECT_EQ(defaults["LoggingConfig"], json({{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/fn"}}));
  d.tracing_mode = "Active";
  d.logging = {{"LogFormat", "JSON"}, {"ApplicationLogLevel", "DEBUG"}};
  auto configured = configuration(d);
  EXPECT_EQ(configured["TracingConfig"], json({{"Mode", "Active"}}));
  EXPECT_EQ(configured["LoggingConfig"], json({{"LogFormat", "JSON"},
                                               {"ApplicationLogLevel", "DEBUG"},
                                               {"SystemLogLevel", "INFO"},
                                               {"LogGroup", "/aws/lambda/fn"}}));
  d.logging = {{"LogGroup", "/shared/logs"}, {"SystemLogLevel", "WARN"}};
  EXPECT_EQ(configuration(d)["LoggingConfig"], json({{"LogFormat", "Text"}, {"LogGroup", "/shared/logs"}}))
      << "levels only with JSON logs";
}

TEST(Configuration, SnapStartIsTheTemplatesAndOnlyForPublishedVersions) {
  Deployed d = function("fn");
  EXPECT_EQ(configuration(d)["SnapStart"], json({{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}));
  EXPECT_FALSE(configuration(d).contains("RuntimeVersionConfig")) << "its ARN would be made up";
  d.snap_start = "PublishedVersions";
  EXPECT_EQ(configuration(d)["SnapStart"],
            json({{"ApplyOn", "PublishedVersions"}, {"OptimizationStatus", "Off"}}))
      << "$LATEST is never snapshotted";
  d.record.version = "1";
  EXPECT_EQ(configuration(d)["SnapStart"],
            json({{"ApplyOn", "PublishedVersions"}, {"OptimizationStatus", "On"}}));
}

TEST(Configuration, LeavesLayersOutForAFunctionWithout) {
  Deployed d = function("fn");
  EXPECT_FALSE(configuration(d).contains("Layers"));
  d.record.layers.push_back({"arn:aws:lambda:us-east-1:123456789012:layer:utils:1", "", "utils:1"});
  auto with = configuration(d);
  ASSERT_TRUE(with.contains("Layers"));
  EXPECT_EQ(with["Layers"][0]["Arn"], "arn:aws:lambda:us-east-1:123456789012:layer:utils:1");
}

state::LayerVersionRecord layer(int version) {
  state::LayerVersionRecord l;
  l.layer_name = "utils";
  l.version = version;
  l.arn = "arn:aws:lambda:us-east-1:123456789012:layer:utils:" + std::to_string(version);
  l.content_key = std::string(64, 'a');
  l.compatible_runtimes = {"python3.12"};
  l.compatible_architectures = {"x86_64"};
  return l;
}

json body_of(const Api<std::string>& answer) {
  EXPECT_TRUE(std::holds_alternative<std::string>(answer)) << std::get<ApiError>(answer).message;
  return std::holds_alternative<std::string>(answer) ? json::parse(std::get<std::string>(answer)) : json{};
}

ApiError error_of(const Api<std::string>& answer) {
  EXPECT_TRUE(std::holds_alternative<ApiError>(answer));
  return std::holds_alternative<ApiError>(answer) ? std::get<ApiError>(answer) : ApiError{};
}

TEST(LayerFilters, AValueOutsideTheModelsEnumIsRefused) {
  Snapshot s;
  s.layers = {layer(1)};
  for (const LayerFilter& bad : {LayerFilter{"nodejs99.x", ""}, LayerFilter{"", "arm65"}}) {
    for (const auto& answer : {list_layers(s, bad, "", ""), list_layer_versions(s, "utils", bad, "", "")}) {
      auto error = error_of(answer);
      EXPECT_EQ(error.status, 400);
      EXPECT_EQ(error.type, "ValidationException");
    }
  }
  const std::string message = error_of(list_layers(s, {"nodejs99.x", ""}, "", "")).message;
  EXPECT_TRUE(
      message.starts_with("1 validation error detected: Value 'nodejs99.x' at 'compatibleRuntime' "
                          "failed to satisfy constraint: Member must satisfy enum value set: ["))
      << message;
  EXPECT_NE(message.find(", nodejs22.x, "), std::string::npos) << message;
  EXPECT_EQ(body_of(list_layers(s, {"java25", "arm64"}, "", ""))["Layers"], json::array())
      << "a valid runtime no layer names matches nothing";
}

TEST(LayerVersions, CarryTheirCreatedDateAndLicense) {
  Snapshot s;
  s.layers = {layer(1), layer(2)};
  s.layer_facts[layer(2).arn] = {"2026-12-07T18:00:00.000+0000", "MIT"};
  auto got = body_of(get_layer_version(s, "utils", "2"));
  EXPECT_EQ(got["CreatedDate"], "2026-12-07T18:00:00.000+0000");
  EXPECT_EQ(got["LicenseInfo"], "MIT");
  EXPECT_EQ(body_of(get_layer_version_by_arn(s, layer(2).arn)), got);
  auto listed = body_of(list_layer_versions(s, "utils", {}, "", ""));
  EXPECT_EQ(listed["LayerVersions"][0]["LicenseInfo"], "MIT");
  EXPECT_FALSE(listed["LayerVersions"][1].contains("LicenseInfo")) << "none recorded: left out";
  auto latest = body_of(list_layers(s, {}, "", ""))["Layers"][0]["LatestMatchingVersion"];
  EXPECT_EQ(latest["CreatedDate"], "2026-12-07T18:00:00.000+0000");
}

TEST(LayerVersions, AnArnNamesTheLayerOfItsOwnRegionAndAccount) {
  Snapshot s;
  s.layers = {layer(1)};
  const std::string own = "arn:aws:lambda:us-east-1:123456789012:layer:utils";
  EXPECT_EQ(body_of(get_layer_version(s, own, "1"))["LayerVersionArn"], layer(1).arn);
  EXPECT_EQ(body_of(list_layer_versions(s, own, {}, "", ""))["LayerVersions"].size(), 1U);
  for (const std::string other : {"arn:aws:lambda:eu-west-3:123456789012:layer:utils",
                                  "arn:aws:lambda:us-east-1:999999999999:layer:utils",
                                  "arn:aws-cn:lambda:us-east-1:123456789012:layer:utils"}) {
    auto error = error_of(get_layer_version(s, other, "1"));
    EXPECT_EQ(error.status, 404) << other;
    EXPECT_EQ(error.type, "ResourceNotFoundException") << other;
    EXPECT_EQ(error_of(get_layer_version_by_arn(s, other + ":1")).status, 404) << "the same answer by ARN";
    EXPECT_EQ(body_of(list_layer_versions(s, other, {}, "", ""))["LayerVersions"], json::array()) << other;
  }
  EXPECT_EQ(body_of(get_layer_version(s, "utils", "1"))["LayerVersionArn"], layer(1).arn) << "a bare name";
}

TEST(LayerVersions, ALayerNameOutsideTheModelsPatternIsRefused) {
  Snapshot s;
  s.layers = {layer(1)};
  // A layer version's ARN is not a layer's: its last part is no layer name.
  for (const std::string bad : {layer(1).arn, std::string("arn:aws:lambda:us-east-1:123:layer:utils"),
                                std::string("utils.v1"), std::string(141, 'a')}) {
    auto error = error_of(get_layer_version(s, bad, "1"));
    EXPECT_EQ(error.status, 400) << bad;
    EXPECT_EQ(error.type, "ValidationException") << bad;
    EXPECT_NE(error.message.find("at 'layerName'"), std::string::npos) << error.message;
    EXPECT_EQ(error_of(list_layer_versions(s, bad, {}, "", "")).type, "ValidationException") << bad;
  }
}

// What a deploy recorded, as serve reads it.
class CatalogShapesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-shapes-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto writer = state::State::open(dir_);
    ASSERT_TRUE(writer.ok());
    writer_.emplace(std::move(*writer));
    ASSERT_TRUE(
        writer_->put_stack(state::StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "2026-12-07T18:00:00Z"})
            .ok());
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }
  state::FunctionRecord put_function(const std::string& name, int timeout, const json& properties) {
    state::FunctionRecord f;
    f.name = name;
    f.arn = writer_->function_arn(name);
    f.stack = "App";
    f.logical_id = name;
    f.handler = "bootstrap";
    f.timeout_s = timeout;
    f.code_key = "c0de";
    f.code_dir = dir_ + "/store/c0de";
    EXPECT_TRUE(writer_->put_function(f).ok());
    put_resource(name, "AWS::Lambda::Function", name, properties);
    return f;
  }
  void put_resource(const std::string& logical_id, const std::string& type, const std::string& physical_id,
                    const json& properties, bool emulated = true) {
    state::ResourceRecord r;
    r.emulated = emulated;
    r.stack = "App";
    r.logical_id = logical_id;
    r.type = type;
    r.physical_id = physical_id;
    r.properties_json = properties.dump();
    EXPECT_TRUE(writer_->put_resource(r).ok());
  }
  // serve's snapshot now (a new catalog: no waiting for a change to settle).
  std::shared_ptr<const Snapshot> snapshot() {
    auto catalog = Catalog::open(dir_);
    EXPECT_TRUE(catalog.ok());
    auto current = (*catalog)->current();
    EXPECT_TRUE(current.ok());
    return *current;
  }
  std::string dir_;
  std::optional<state::State> writer_;
};

TEST_F(CatalogShapesTest, ARedeployOfConfigurationAloneChangesTheRevisionId) {
  put_function("App-One", 3, {{"Timeout", 3}});
  put_function("App-Two", 3, {{"Timeout", 3}});
  auto before = snapshot();
  const std::string one = configuration(*before->find("App-One"))["RevisionId"];
  EXPECT_NE(one, configuration(*before->find("App-Two"))["RevisionId"]) << "the same code, two functions";
  put_function("App-One", 10, {{"Timeout", 10}});
  EXPECT_NE(configuration(*snapshot()->find("App-One"))["RevisionId"], one);
  put_function("App-One", 10, {{"Timeout", 10}, {"Description", "now described"}});
  const std::string described = configuration(*snapshot()->find("App-One"))["RevisionId"];
  EXPECT_NE(described, one);
  put_function("App-One", 10, {{"Timeout", 10}, {"Description", "now described"}, {"Tags", json::array()}});
  EXPECT_EQ(configuration(*snapshot()->find("App-One"))["RevisionId"], described)
      << "tags are not configuration";
}

TEST_F(CatalogShapesTest, ReadsTracingAndLoggingFromTheTemplate) {
  put_function("App-One", 3,
               {{"TracingConfig", {{"Mode", "Active"}}},
                {"LoggingConfig", {{"LogFormat", "JSON"}, {"ApplicationLogLevel", "WARN"}}}});
  auto config = configuration(*snapshot()->find("App-One"));
  EXPECT_EQ(config["TracingConfig"]["Mode"], "Active");
  EXPECT_EQ(config["LoggingConfig"]["LogFormat"], "JSON");
  EXPECT_EQ(config["LoggingConfig"]["ApplicationLogLevel"], "WARN");
  EXPECT_EQ(config["LastModified"], "2026-12-07T18:00:00.000+0000");
  EXPECT_EQ(config["SnapStart"]["ApplyOn"], "None");
  put_function("App-One", 3, {{"SnapStart", {{"ApplyOn", "PublishedVersions"}}}});
  EXPECT_EQ(configuration(*snapshot()->find("App-One"))["SnapStart"]["ApplyOn"], "PublishedVersions");
}

TEST_F(CatalogShapesTest, ALayerVersionIsCreatedWhenItsStackLastChanged) {
  state::LayerVersionRecord l = layer(1);
  l.content_dir = dir_ + "/store/aaaa";
  l.stack = "App";
  l.logical_id = "Utils";
  ASSERT_TRUE(writer_->put_layer_version(l).ok());
  put_resource("Utils", "AWS::Lambda::LayerVersion", l.arn, {{"LicenseInfo", "Apache-2.0"}});
  auto got = body_of(get_layer_version_by_arn(*snapshot(), l.arn));
  EXPECT_EQ(got["CreatedDate"], "2026-12-07T18:00:00.000+0000");
  EXPECT_EQ(got["LicenseInfo"], "Apache-2.0");
}

TEST_F(CatalogShapesTest, ReadsWhatTheTemplateRecordedAroundAFunction) {
  const std::string arn = put_function("App-One", 3, {}).arn;
  put_resource("Invoke", "AWS::Lambda::Permission", arn + ":live|App-Invoke-1", {}, false);
  put_resource("Url", "AWS::Lambda::Url", arn, {{"Qualifier", "live"}}, false);
  put_resource("Async", "AWS::Lambda::EventInvokeConfig", arn + ":$LATEST", {{"MaximumRetryAttempts", 0}},
               false);
  put_resource("Version", "AWS::Lambda::Version", arn + ":1",
               {{"ProvisionedConcurrencyConfig", {{"ProvisionedConcurrentExecutions", 2}}}});
  put_resource("Plain", "AWS::Lambda::Version", arn + ":2", {});
  std::map<std::string, std::string> got;  // where -> target
  const auto current = snapshot();
  for (const auto& r : current->recorded) got[r.where] = r.type + " " + r.target;
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"App/Invoke", "AWS::Lambda::Permission " + arn + ":live"},
                     {"App/Url", "AWS::Lambda::Url " + arn + ":live"},
                     {"App/Async", "AWS::Lambda::EventInvokeConfig " + arn},
                     {"App/Version", "ProvisionedConcurrencyConfig " + arn + ":1"}}));
}

}  // namespace
}  // namespace layered::invoke_api
