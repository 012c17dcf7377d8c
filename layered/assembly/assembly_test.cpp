#include "assembly/assembly.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace layered::assembly {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  const char* src = std::getenv("LAYERED_SOURCE_DIR");
  return fs::path(src ? src : LAYERED_SOURCE_DIR_FALLBACK) / "tests/fixtures/assemblies" / name;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "assembly-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel) << text;
  }

 private:
  fs::path path_;
};

std::vector<std::string> names(const std::vector<const Stack*>& stacks) {
  std::vector<std::string> out;
  for (const Stack* s : stacks) out.push_back(s->name);
  return out;
}

TEST(Assembly, LoadsStacksDependenciesAndAssets) {
  auto a = load(fixture("shared-layer-export"));
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  ASSERT_EQ(a->stacks().size(), 2u);
  const Stack* app = a->find_stack("Lambda-layers-example");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->artifact_id, "Lambda-layers-example");
  EXPECT_EQ(app->display_name, "Lambda-layers-example");
  EXPECT_EQ(app->dependencies, std::vector<std::string>{"Lambda-layers-example-layers"});
  EXPECT_EQ(app->template_path.filename(), "Lambda-layers-example.template.json");
  EXPECT_TRUE(app->template_json["Resources"].contains("GreetingFunction16D8FDDB"));
  // One function asset plus the template itself.
  EXPECT_EQ(app->asset_ids.size(), 2u);

  const auto& code = app->template_json["Resources"]["GreetingFunction16D8FDDB"]["Properties"]["Code"];
  const Asset* by_key = a->find_asset_by_object_key(code["S3Key"].get<std::string>());
  ASSERT_NE(by_key, nullptr);
  EXPECT_TRUE(by_key->is_directory);
  EXPECT_FALSE(by_key->is_zip_file);
  EXPECT_EQ(by_key->packaging, "zip");
  EXPECT_TRUE(fs::is_regular_file(by_key->path / "bootstrap"));
  EXPECT_EQ(a->find_asset_by_metadata(*app, "GreetingFunction16D8FDDB"), by_key);
  EXPECT_EQ(a->find_asset_by_metadata(*app, "GreetingFunctionServiceRoleDFC585EB"), nullptr);
  EXPECT_EQ(a->find_asset_by_object_key("nope.zip"), nullptr);
}

TEST(Assembly, ConstructPaths) {
  auto a = load(fixture("shared-layer-export"));
  ASSERT_TRUE(a.ok());
  const auto& tpl = a->find_stack("Lambda-layers-example")->template_json;
  EXPECT_EQ(construct_path(tpl["Resources"]["GreetingFunction16D8FDDB"]),
            "Lambda-layers-example/GreetingFunction");
  EXPECT_EQ(construct_path(tpl["Resources"]["CDKMetadata"]), "Lambda-layers-example/CDKMetadata");
  EXPECT_EQ(construct_path(nlohmann::json::object()), "");
  EXPECT_EQ(trim_cdk_path("Stack/Fn/ServiceRole/Resource"), "Stack/Fn/ServiceRole");
  EXPECT_EQ(trim_cdk_path("Stack/Thing"), "Stack/Thing");
}

TEST(Assembly, SelectsWithDependenciesAndDependents) {
  auto a = load(fixture("shared-layer-export"));
  ASSERT_TRUE(a.ok());
  const std::vector<std::string> both = {"Lambda-layers-example-layers", "Lambda-layers-example"};
  auto all = a->select({}, true, Expand::none);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(names(*all), both);
  auto deploy = a->select({"Lambda-layers-example"}, false, Expand::dependencies);
  ASSERT_TRUE(deploy.ok());
  EXPECT_EQ(names(*deploy), both);
  auto exclusively = a->select({"Lambda-layers-example"}, false, Expand::none);
  ASSERT_TRUE(exclusively.ok());
  EXPECT_EQ(names(*exclusively), std::vector<std::string>{"Lambda-layers-example"});
  auto destroy = a->select({"Lambda-layers-example-layers"}, false, Expand::dependents);
  ASSERT_TRUE(destroy.ok());
  EXPECT_EQ(names(*destroy), both);
  auto glob = a->select({"Lambda-*-layers"}, false, Expand::none);
  ASSERT_TRUE(glob.ok());
  EXPECT_EQ(names(*glob), std::vector<std::string>{"Lambda-layers-example-layers"});
  auto producers = a->dependents_of(*a->find_stack("Lambda-layers-example-layers"));
  EXPECT_EQ(names(producers), std::vector<std::string>{"Lambda-layers-example"});
}

// The CDK CLI deploys in rounds: every stack whose dependencies are placed,
// then the next. A reader whose producer the manifest does not name (a
// cross-account Fn::GetStackOutput) then still comes after an unrelated
// producer that sorts after it, as with `cdk deploy --all`.
TEST(Assembly, StacksAreOrderedInRoundsAsTheCdkCliOrdersThem) {
  TempDir dir;
  const std::string tpl = R"({"Resources":{}})";
  for (const char* name : {"XConsumer", "XLayersEast", "XLayersOther"})
    dir.write(std::string(name) + ".template.json", tpl);
  dir.write("manifest.json", R"({"version":"36.0.0","artifacts":{
    "XConsumer":{"type":"aws:cloudformation:stack","environment":"aws://111111111111/us-west-2",
      "properties":{"templateFile":"XConsumer.template.json"},"dependencies":["XLayersEast"]},
    "XLayersEast":{"type":"aws:cloudformation:stack","environment":"aws://111111111111/us-east-1",
      "properties":{"templateFile":"XLayersEast.template.json"}},
    "XLayersOther":{"type":"aws:cloudformation:stack","environment":"aws://222222222222/us-west-2",
      "properties":{"templateFile":"XLayersOther.template.json"}}}})");
  auto a = load(dir.path());
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  auto all = a->select({}, true, Expand::none);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(names(*all), (std::vector<std::string>{"XLayersEast", "XLayersOther", "XConsumer"}));
}

TEST(Assembly, UnknownStackSaysDidYouMean) {
  auto a = load(fixture("shared-layer-export"));
  ASSERT_TRUE(a.ok());
  auto s = a->select({"Lambda-layers-exampel"}, false, Expand::dependencies);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "no stack named 'Lambda-layers-exampel'");
  EXPECT_EQ(s.error().hint, "did you mean 'Lambda-layers-example'?");
  // As `cdk deploy --all NoSuchStack`: --all does not hide a name that matches nothing.
  auto all = a->select({"NoSuchStack"}, true, Expand::dependencies);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().message, "no stack named 'NoSuchStack'");
  EXPECT_TRUE(a->select({"Lambda-layers-example"}, true, Expand::dependencies).ok());
  auto none = a->select({}, false, Expand::dependencies);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "this app has more than one stack: name the stacks to use or pass --all");
  EXPECT_EQ(none.error().hint, "stacks: 'Lambda-layers-example', 'Lambda-layers-example-layers'");
}

TEST(Assembly, StackCycleIsAnError) {
  auto a = load(fixture("stack-cycle"));
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  auto s = a->select({}, true, Expand::none);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "circular dependency between stacks: 'Cycle-a' -> 'Cycle-b' -> 'Cycle-a'");
}

TEST(Assembly, MissingAssembly) {
  auto a = load("/nonexistent/cdk.out");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(format_error(a.error()),
            "layered: error: no cloud assembly at '/nonexistent/cdk.out'\n"
            "  run 'npx cdk synth' first (or pass --app DIR)");
}

TEST(Assembly, BadManifestJsonNamesLineAndColumn) {
  TempDir dir;
  dir.write("manifest.json", "{\n  \"version\": \"55.0.0\",\n  \"artifacts\": {,}\n}\n");
  auto a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().where, (dir.path() / "manifest.json").string() + ":3:17");
  EXPECT_EQ(a.error().message.rfind("invalid JSON: syntax error while parsing object key", 0), 0u)
      << a.error().message;
}

TEST(Assembly, MissingTemplateIsAnError) {
  TempDir dir;
  dir.write("manifest.json", R"({"version":"55.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",
    "properties":{"templateFile":"S.template.json"}}}})");
  auto a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "cannot read file");
  EXPECT_EQ(a.error().where, (dir.path() / "S.template.json").string());
}

constexpr const char* kOneStack = R"({"version":"36.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",
    "properties":{"templateFile":"S.template.json"}}}})";

// A template of 12,001 resources, about 48 MB.
std::string huge_template() {
  std::string text = R"({"Resources":{)";
  const std::string padding(4000, ' ');
  for (int i = 0; i < 12001; ++i) {
    text +=
        (i ? "," : "") + std::string("\"R") + std::to_string(i) + R"(":{"Type":"AWS::SNS::Topic"})" + padding;
  }
  return text + "}}";
}

TEST(Assembly, TemplateOverCloudFormationsSizeIsRefusedUnread) {
  TempDir dir;
  dir.write("manifest.json", kOneStack);
  dir.write("S.template.json", huge_template());
  ASSERT_GT(fs::file_size(dir.path() / "S.template.json"), 48'000'000u);
  auto a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "Template may not exceed 1000000 bytes in size.");
  EXPECT_EQ(a.error().where, (dir.path() / "S.template.json").string());

  // Exactly at the limit is fine.
  std::string at_limit = R"({"Resources":{"T":{"Type":"AWS::SNS::Topic"}}})";
  at_limit.insert(1, kMaxTemplateBytes - at_limit.size(), ' ');
  dir.write("S.template.json", at_limit);
  EXPECT_TRUE(load(dir.path()).ok());
}

TEST(Assembly, DeeplyNestedJsonIsRefusedBeforeParsing) {
  TempDir dir;
  dir.write("manifest.json", kOneStack);
  dir.write("S.template.json", R"({"Resources":{"T":{"Type":"AWS::SNS::Topic","Metadata":{"x":)" +
                                   std::string(5000, '[') + std::string(5000, ']') + "}}}}");
  auto a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "JSON nested deeper than 256 levels");
  EXPECT_EQ(a.error().where, (dir.path() / "S.template.json").string());
}

TEST(Assembly, StackNameFallsBackAndMetadataAssetsAreFound) {
  // An assembly without asset manifests: assets only in resource metadata.
  TempDir dir;
  dir.write("manifest.json", R"({"version":"20.0.0","artifacts":{"Old":{"type":"aws:cloudformation:stack",
    "properties":{"templateFile":"Old.template.json","stackName":"old-stack"}}}})");
  dir.write("Old.template.json", R"({"Resources":{"Fn":{"Type":"AWS::Lambda::Function",
    "Metadata":{"aws:cdk:path":"Old/Fn/Resource","aws:asset:path":"asset.abc123","aws:asset:property":"Code"}}}})");
  dir.write("asset.abc123/bootstrap", "#!/bin/sh\n");
  auto a = load(dir.path());
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  const Stack* s = a->find_stack("Old");  // by artifact id
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "old-stack");
  EXPECT_EQ(a->find_stack("old-stack"), s);
  const Asset* asset = a->find_asset_by_metadata(*s, "Fn");
  ASSERT_NE(asset, nullptr);
  EXPECT_EQ(asset->id, "abc123");
  EXPECT_TRUE(asset->is_directory);
  EXPECT_EQ(a->find_asset_by_object_key("abc123.zip"), asset);
}

TEST(Assembly, AllFixturesLoad) {
  for (const char* name : {"shared-layer-export", "missing-export", "stack-cycle", "resource-cycle",
                           "conditions", "unknown-intrinsic", "six-layers", "layer-overwrite",
                           "bootstrap-in-layer", "ssm-sharing", "unsupported-resource"}) {
    auto a = load(fixture(name));
    ASSERT_TRUE(a.ok()) << name << ": " << format_error(a.error());
    for (const Stack& s : a->stacks()) {
      for (const auto& [id, r] : s.template_json["Resources"].items()) {
        if (r["Type"] == "AWS::Lambda::Function" || r["Type"] == "AWS::Lambda::LayerVersion") {
          EXPECT_NE(a->find_asset_by_metadata(s, id), nullptr) << name << "/" << id;
        }
      }
    }
  }
}

TEST(Assembly, ReadsEachStacksEnvironment) {
  auto a = load(fixture("explicit-environment"));
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  const Stack* app = a->find_stack("Lambda-layers-example");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->account, "000000000000");
  EXPECT_EQ(app->region, "eu-central-1");
  EXPECT_EQ(a->find_stack("Other-region-consumer")->region, "us-west-2");
  auto unknown = load(fixture("shared-layer-export"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->stacks().front().account, "");  // unknown-account
  EXPECT_EQ(unknown->stacks().front().region, "");   // unknown-region
}

// The environment goes into every ARN and into AWS_REGION: a line break or
// a path in it would have gone there too.
TEST(Assembly, AnEnvironmentAwsCouldNotNameIsRefused) {
  for (const char* env : {"aws://1/us-east-1\nX", "aws://123456789012/y/z", "aws://12345/../../etc",
                          "gcp://123456789012/us-east-1", "aws://123456789012"}) {
    TempDir dir;
    dir.write("manifest.json",
              std::string(R"({"version":"36.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",
      "environment":)") +
                  nlohmann::json(env).dump() + R"(,"properties":{"templateFile":"S.template.json"}}}})");
    dir.write("S.template.json", R"({"Resources":{}})");
    auto a = load(dir.path());
    ASSERT_FALSE(a.ok()) << env;
    EXPECT_EQ(a.error().message, "stack 'S' has environment '" + std::string(env) +
                                     "', which is not aws://<12-digit account>/<region>");
    EXPECT_EQ(a.error().where, (dir.path() / "manifest.json").string());
  }
}

// Valid JSON of another shape than the schema's, and numbers no double
// holds, were internal errors (exit 70) with nlohmann's text.
TEST(Assembly, ASchemaViolationOrAnOverflowingNumberIsOneMessage) {
  TempDir dir;
  dir.write("manifest.json", R"({"version":"36.0.0","artifacts":{"S":{"type":"aws:cloudformation:stack",
    "dependencies":"x","properties":{"templateFile":"S.template.json"}}}})");
  dir.write("S.template.json", R"({"Resources":{}})");
  auto a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(
      a.error().message,
      "the cloud assembly (its manifest.json or an asset manifest) does not follow its schema: type must "
      "be array, but is string");
  dir.write("manifest.json", kOneStack);
  dir.write("S.template.json", R"({"Resources":{},"Outputs":{"Big":{"Value":1e400}}})");
  a = load(dir.path());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "JSON that layered cannot read: number overflow parsing '1e400'");
  EXPECT_EQ(a.error().where, (dir.path() / "S.template.json").string());
}

TEST(Assembly, FillsLegacyAssetParametersAsTheCliDoes) {
  auto a = load(fixture("legacy-assets"));
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  const Stack* stack = a->find_stack("Legacy-assets");
  ASSERT_NE(stack, nullptr);
  const std::string layer = "5f615157df026d9934a2ac46326bb3af8030a350212abfbc825a1b1284b31711";
  const auto& p = stack->asset_parameters;
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p.at("AssetParameters" + layer + "S3Bucket9B1E4F22"), "cdktoolkit-stagingbucket-local");
  EXPECT_EQ(p.at("AssetParameters" + layer + "S3VersionKey6D0A3C95"), "assets/||" + layer + ".zip");
  EXPECT_EQ(p.at("AssetParameters" + layer + "ArtifactHash1F7E8B43"), layer);
  const Asset* asset = a->find_asset_by_object_key("assets/" + layer + ".zip");
  ASSERT_NE(asset, nullptr);
  EXPECT_TRUE(asset->is_directory);
  EXPECT_EQ(asset->path, (fixture("legacy-assets") / ("asset." + layer)).lexically_normal());
}

TEST(Assembly, ReadsLegacyAssetsFromTheAdditionalMetadataFile) {
  // aws-cdk-lib 2.276 writes a stack's metadata beside manifest.json and
  // names the file in "additionalMetadataFile"; the inline entries add to it.
  TempDir dir;
  const std::string hash = "a0473c4fc6539f4bd5fe1e6505cc029640721819e46c0e0ee7f9798f977572ed";
  auto asset_entry = [](const std::string& id) {
    return R"({"type":"aws:cdk:asset","data":{"path":"asset.)" + id + R"(","id":")" + id +
           R"(","packaging":"zip","sourceHash":")" + id + R"(","s3BucketParameter":"B)" + id +
           R"(","s3KeyParameter":"K)" + id + R"(","artifactHashParameter":"H)" + id + R"("}})";
  };
  dir.write("manifest.json", R"({"version":"55.0.0","artifacts":{"Legacy":{
      "type":"aws:cloudformation:stack","properties":{"templateFile":"Legacy.template.json"},
      "additionalMetadataFile":"Legacy.metadata.json",
      "metadata":{"/Legacy":[)" + asset_entry("inline") +
                                 R"(]}}}})");
  dir.write("Legacy.template.json", R"({"Resources":{}})");
  dir.write("Legacy.metadata.json", R"({"/Legacy":[)" + asset_entry(hash) + "]}");
  dir.write("asset." + hash + "/index.py", "");
  auto a = load(dir.path());
  ASSERT_TRUE(a.ok()) << format_error(a.error());
  const auto& p = a->find_stack("Legacy")->asset_parameters;
  EXPECT_EQ(p.at("K" + hash), "assets/||" + hash + ".zip");
  EXPECT_EQ(p.at("Kinline"), "assets/||inline.zip");
  const Asset* asset = a->find_asset_by_object_key("assets/" + hash + ".zip");
  ASSERT_NE(asset, nullptr);
  EXPECT_TRUE(asset->is_directory);
}

TEST(Assembly, AnAdditionalMetadataFileOutsideTheAssemblyIsRefused) {
  TempDir dir;
  dir.write("outside.json", R"({})");
  for (const std::string& file :
       std::vector<std::string>{"../outside.json", (dir.path() / "outside.json").string()}) {
    dir.write("asm/manifest.json", R"({"artifacts":{"S":{"type":"aws:cloudformation:stack",
        "properties":{"templateFile":"S.template.json"},"additionalMetadataFile":")" +
                                       file + R"("}}})");
    dir.write("asm/S.template.json", R"({"Resources":{}})");
    auto a = load(dir.path() / "asm");
    ASSERT_FALSE(a.ok()) << file;
    EXPECT_EQ(a.error().message, "additionalMetadataFile '" + file + "' is outside the cloud assembly");
    EXPECT_EQ(a.error().where, (dir.path() / "asm" / "manifest.json").string());
  }
  // A missing file is named.
  dir.write("asm/manifest.json", R"({"artifacts":{"S":{"type":"aws:cloudformation:stack",
      "properties":{"templateFile":"S.template.json"},"additionalMetadataFile":"S.metadata.json"}}})");
  auto a = load(dir.path() / "asm");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().where, (dir.path() / "asm" / "S.metadata.json").string());
}

// The CDK CLI refuses a newer schema; layered reads it and warns once.
TEST(Assembly, ANewerSchemaVersionIsAWarning) {
  TempDir dir;
  dir.write("S.template.json", R"({"Resources":{}})");
  for (const std::string version : {"55.0.0", "99.0.0", "1000.1.0"}) {
    dir.write("manifest.json", R"({"version":")" + version + R"(","artifacts":{"S":{
        "type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}})");
    auto a = load(dir.path());
    ASSERT_TRUE(a.ok()) << format_error(a.error());
    if (version == "55.0.0") {
      EXPECT_TRUE(a->warnings().empty());
      continue;
    }
    ASSERT_EQ(a->warnings().size(), 1u) << version;
    EXPECT_EQ(a->warnings()[0].message, "the cloud assembly's schema version " + version +
                                            " is newer than the newest layered knows (55.0.0): fields it "
                                            "does not know are ignored");
    EXPECT_EQ(a->warnings()[0].where, (dir.path() / "manifest.json").string());
  }
}

}  // namespace
}  // namespace layered::assembly
