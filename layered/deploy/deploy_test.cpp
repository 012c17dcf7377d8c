#include "deploy/deploy.hpp"

#include "deploy/deploy_test_util.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::deploy::testing {
namespace {

constexpr const char* kLayers = "Lambda-layers-example-layers";
constexpr const char* kApp = "Lambda-layers-example";
constexpr const char* kArn1 = "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:1";
constexpr const char* kArn2 = "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:2";

using DeployTest = DeployFixture;

TEST_F(DeployTest, NamingAStackDeploysItsDependenciesFirst) {
  auto dir = use("shared-layer-export");
  auto result = run(dir, {kApp});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ((*result)[0].name, kLayers);
  EXPECT_EQ((*result)[1].name, kApp);
  EXPECT_EQ((*result)[0].outcome, Outcome::created);
  EXPECT_EQ((*result)[0].outputs,
            (state::Pairs{{"CpputilsLayerArnOutput",
                           "arn:aws:lambda:us-east-1:123456789012:layer:CpputilsLayer5D5C2B0A:1"},
                          {"ExternalLayerArnOutput", kArn1}}));
  EXPECT_TRUE(said(std::string(kLayers) +
                   ": creating AWS::Lambda::LayerVersion ExternalLayerE23CF025 (publishing version 1)..."));
  EXPECT_TRUE(said(std::string(" ✅  ") + kApp));

  auto f = state_->find_function("Lambda-layers-example/GreetingFunction");
  ASSERT_TRUE(f.ok()) << format_error(f.error());
  EXPECT_EQ(f->name.rfind("Lambda-layers-example-GreetingFunction16D8FDDB-", 0), 0u);
  EXPECT_EQ(f->name.size(), std::string("Lambda-layers-example-GreetingFunction16D8FDDB-").size() + 13);
  ASSERT_EQ(f->layers.size(), 2u);
  EXPECT_EQ(f->layers[0].arn, kArn1);
  EXPECT_TRUE(fs::exists(fs::path(f->layers[0].dir) / "lib/external.txt"));
  EXPECT_TRUE(fs::exists(fs::path(f->code_dir) / "bootstrap"));
  EXPECT_EQ(f->environment, (state::Pairs{{"GREETING", "hello"}}));
  auto e = state_->find_export("ExternalLayerArn");
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->importers, std::vector<std::string>{kApp});
}

TEST_F(DeployTest, UnchangedRedeployChangesNothingAndPublishesNothing) {
  auto dir = use("shared-layer-export");
  ASSERT_TRUE(run(dir, {}, true).ok());
  std::string before = snapshot();
  auto keys = store_->keys();
  progress_.clear();
  auto again = run(dir, {}, true);
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  for (const auto& s : *again) {
    EXPECT_EQ(s.outcome, Outcome::unchanged) << s.name;
    EXPECT_TRUE(s.published_layer_versions.empty());
  }
  EXPECT_TRUE(said(std::string(" ✅  ") + kLayers + " (no changes)"));
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(store_->keys(), keys);
}

TEST_F(DeployTest, RebuiltLayerCannotBeDeployedWhileItsExportIsImported) {
  auto dir = use("shared-layer-export");
  ASSERT_TRUE(run(dir, {}, true).ok());
  std::string before = snapshot();
  auto keys = store_->keys();
  rebuild_layer(dir, kLayers, "ExternalLayerE23CF025", "v2");
  auto result = run(dir, {kLayers});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      format_error(result.error()).substr(0, format_error(result.error()).find('\n')),
      "layered: error: Lambda-layers-example-layers/Outputs/ExternalLayerArnOutput: Export ExternalLayerArn "
      "cannot be updated as it is in use by Lambda-layers-example");
  EXPECT_TRUE(said(std::string(kLayers) +
                   ": replacing AWS::Lambda::LayerVersion ExternalLayerE23CF025 (publishing version 2)..."));
  EXPECT_TRUE(said(std::string(" ❌  ") + kLayers + " failed, rolled back: " + kLayers + " is unchanged"));
  EXPECT_EQ(snapshot(), after_failed_update(before, kLayers));
  EXPECT_EQ(store_->keys(), keys);  // the new layer's content was collected
  // --all fails the same way, as on AWS: the producer deploys first.
  EXPECT_FALSE(run(dir, {}, true).ok());
  EXPECT_EQ(snapshot(), after_failed_update(before, kLayers));
}

TEST_F(DeployTest, ExportRemovedWhileImportedIsRefused) {
  auto dir = use("shared-layer-export");
  ASSERT_TRUE(run(dir, {}, true).ok());
  std::string before = snapshot();
  Json tpl = read_json(dir / (std::string(kLayers) + ".template.json"));
  tpl["Outputs"].erase("CpputilsLayerArnOutput");
  write_json(dir / (std::string(kLayers) + ".template.json"), tpl);
  auto result = run(dir, {kLayers});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "Export CpputilsLayerArn cannot be deleted as it is in use by Lambda-layers-example");
  EXPECT_EQ(snapshot(), after_failed_update(before, kLayers));
}

TEST_F(DeployTest, ExportNamesAreUniqueAcrossStacks) {
  auto dir = use("shared-layer-export");
  Json tpl = read_json(dir / (std::string(kApp) + ".template.json"));
  tpl["Outputs"]["Dup"] = {{"Value", "x"}, {"Export", {{"Name", "ExternalLayerArn"}}}};
  write_json(dir / (std::string(kApp) + ".template.json"), tpl);
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      format_error(result.error()),
      "layered: error: Lambda-layers-example/Outputs/Dup.Export.Name: Export with name ExternalLayerArn is "
      "already exported by stack Lambda-layers-example-layers\n"
      "  export names are unique per account and region: rename this export");
  EXPECT_TRUE(said(std::string(" ❌  ") + kApp + " failed, rolled back: " + kApp + " was not created"));
  auto app = state_->stack(kApp);
  ASSERT_TRUE(app.ok());
  EXPECT_FALSE(app->has_value());
  EXPECT_TRUE(state_->stack(kLayers)->has_value());  // deployed before the failure, as with cdk
}

TEST_F(DeployTest, ExclusivelySkipsDependenciesAndMissingImportFails) {
  auto dir = use("shared-layer-export");
  auto result = run(dir, {kApp}, false, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "No export named ExternalLayerArn found");
  EXPECT_EQ(result.error().where, "Lambda-layers-example/GreetingFunction16D8FDDB.Properties.Layers[0]");
  EXPECT_TRUE(state_->stacks()->empty());
}

TEST_F(DeployTest, SsmParametersOfAnotherRegionAreNotSeen) {
  auto dir = use("ssm-sharing");
  Json manifest = read_json(dir / "manifest.json");
  manifest["artifacts"][kLayers]["environment"] = "aws://000000000000/eu-central-1";
  manifest["artifacts"][kApp]["environment"] = "aws://000000000000/us-west-2";
  write_json(dir / "manifest.json", manifest);
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.error().message,
      "Unable to fetch parameters [/lambda-layers-example/external-layer-arn] from parameter store for this "
      "account.");
  EXPECT_EQ(result.error().hint,
            "the SSM parameter '/lambda-layers-example/external-layer-arn' exists in region eu-central-1 "
            "(stack 'Lambda-layers-example-layers'), not in this stack's account 000000000000 and region "
            "us-west-2: exports and SSM parameters belong to one account and region; create it in this "
            "stack's account and region too, or deploy this stack where it is");
  EXPECT_TRUE(state_->stack(kLayers)->has_value());
  EXPECT_FALSE(state_->stack(kApp)->has_value());
}

TEST_F(DeployTest, AnExportOfAnotherRegionIsNamedWhereItIs) {
  auto result = run(use("explicit-environment"), {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "No export named ExternalLayerArn found");
  EXPECT_EQ(result.error().hint.rfind("the export 'ExternalLayerArn' exists in region eu-central-1 (stack "
                                      "'Lambda-layers-example-layers'), not in this stack's account "
                                      "000000000000 and region us-west-2",
                                      0),
            0u)
      << result.error().hint;
}

TEST_F(DeployTest, AValidationFailureKeepsTheStacksStatus) {
  auto dir = use("ssm-sharing");
  ASSERT_TRUE(run(dir, {}, true).ok());
  // The producer stops publishing the parameter (SSM sharing locks nothing).
  Json tpl = read_json(dir / (std::string(kLayers) + ".template.json"));
  for (auto it = tpl["Resources"].begin(); it != tpl["Resources"].end();) {
    it = (*it)["Type"] == "AWS::SSM::Parameter" ? tpl["Resources"].erase(it) : std::next(it);
  }
  write_json(dir / (std::string(kLayers) + ".template.json"), tpl);
  ASSERT_TRUE(run(dir, {kLayers}).ok());
  const std::string before = snapshot();
  auto result = run(dir, {kApp});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("Unable to fetch parameters [", 0), 0u) << result.error().message;
  EXPECT_TRUE(said(std::string(" ❌  ") + kApp + " failed validation: " + kApp + " is unchanged"));
  EXPECT_EQ(snapshot(), before);  // UPDATE_COMPLETE still, not UPDATE_ROLLBACK_COMPLETE
}

TEST_F(DeployTest, MissingExportFixture) {
  auto result = run(use("missing-export"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "No export named NoSuchLayerArn found");
  EXPECT_EQ(result.error().where, "Missing-export-consumer/Fn9270CBC0.Properties.Layers[0]");
  EXPECT_TRUE(state_->stacks()->empty());
  EXPECT_TRUE(store_->keys().empty());
}

TEST_F(DeployTest, SixLayersAreRejectedWithLambdasWording) {
  auto result = run(use("six-layers"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().where, "Six-layers/Fn9270CBC0.Properties.Layers");
  EXPECT_EQ(result.error().message.rfind("1 validation error detected: Value '[arn:aws:lambda:us-east-1:", 0),
            0u);
  EXPECT_NE(
      result.error().message.find("' at 'layers' failed to satisfy constraint: Member must have length less "
                                  "than or equal to 5"),
      std::string::npos);
  EXPECT_TRUE(state_->layer_versions()->empty());
  EXPECT_TRUE(store_->keys().empty());
}

TEST_F(DeployTest, SeveralStacksNeedANameOrAll) {
  auto result = run(use("shared-layer-export"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "since this app includes more than a single stack, specify which stacks to use (wildcards are "
            "supported) "
            "or specify `--all`");
  EXPECT_TRUE(run(use("conditions"), {}).ok());  // one stack: deployed without a name
}

TEST_F(DeployTest, ReplacedLayerKeepsServingUntilTheFunctionMovesOn) {
  auto dir = use("ssm-sharing");
  ASSERT_TRUE(run(dir, {}, true).ok());
  auto f = state_->find_function("Lambda-layers-example/GreetingFunction");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->layers.size(), 1u);
  const std::string v1 = f->layers[0].arn;
  rebuild_layer(dir, kLayers, "ExternalLayerE23CF025", "v2");
  auto layers_only = run(dir, {kLayers});  // no export lock with SSM sharing
  ASSERT_TRUE(layers_only.ok()) << format_error(layers_only.error());
  ASSERT_EQ((*layers_only)[0].published_layer_versions, std::vector<std::string>{kArn2});
  EXPECT_EQ(v1, kArn1);
  EXPECT_TRUE(said(std::string(kLayers) + ": deleting old AWS::Lambda::LayerVersion ExternalLayerE23CF025 (" +
                   kArn1 + ")..."));
  auto old = state_->find_layer_version(kArn1);
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_TRUE((*old)->deleted);
  f = state_->find_function("Lambda-layers-example/GreetingFunction");
  EXPECT_EQ(f->layers[0].arn, kArn1);  // deleted, still serving
  EXPECT_TRUE(fs::exists(f->layers[0].dir));
  auto param = state_->ssm_parameter("/lambda-layers-example/external-layer-arn");
  EXPECT_EQ((*param)->value, kArn2);
  EXPECT_EQ((*param)->version, 2);
  // The changed SSM value updates the stack that reads it.
  auto app = run(dir, {kApp}, false, true);
  ASSERT_TRUE(app.ok()) << format_error(app.error());
  EXPECT_EQ((*app)[0].outcome, Outcome::updated);
  f = state_->find_function("Lambda-layers-example/GreetingFunction");
  EXPECT_EQ(f->layers[0].arn, kArn2);
  EXPECT_FALSE(fs::exists(fs::path(state_->dir()) / "store" / (*old)->content_key));  // nobody uses it now
  auto again = run(dir, {}, true);
  ASSERT_TRUE(again.ok());
  for (const auto& s : *again) EXPECT_EQ(s.outcome, Outcome::unchanged);
}

TEST_F(DeployTest, DestroyRefusesWhileExportsAreImported) {
  auto dir = use("shared-layer-export");
  ASSERT_TRUE(run(dir, {}, true).ok());
  std::string before = snapshot();
  auto app = load(dir);
  auto plan = plan_destroy(app, *state_, DestroyOptions{{kLayers}, false, true, nullptr});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(*plan, std::vector<std::string>{kLayers});
  // What --exclusively left out (cmd_destroy's difference of the two plans).
  auto status = destroy(*state_, *store_, *plan, nullptr, {kApp});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(
      format_error(status.error()),
      "layered: error: Lambda-layers-example-layers: Export CpputilsLayerArn cannot be deleted as it is in "
      "use "
      "by Lambda-layers-example\n"
      "  destroy 'Lambda-layers-example' first (or name 'Lambda-layers-example-layers' without "
      "--exclusively)");
  // An importer the app does not have (another app's stack): naming the
  // stack without --exclusively would not help, so it is not suggested.
  status = destroy(*state_, *store_, *plan, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().hint, "destroy 'Lambda-layers-example' first");
  EXPECT_EQ(snapshot(), before);
  plan = plan_destroy(app, *state_, DestroyOptions{{kLayers}, false, false, nullptr});
  EXPECT_EQ(*plan, (std::vector<std::string>{kApp, kLayers}));
  ASSERT_TRUE(destroy(*state_, *store_, *plan, nullptr).ok());
  EXPECT_TRUE(state_->stacks()->empty());
  EXPECT_TRUE(state_->functions()->empty());
  EXPECT_TRUE(store_->keys().empty());
}

TEST_F(DeployTest, NotEmulatedResourcesAreRecordedAndReported) {
  auto result = run(use("unsupported-resource"), {});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ((*result)[0].not_emulated, std::vector<std::string>{"AWS::SQS::Queue Queue4A7E3555"});
  auto inv = inventory(*state_);
  ASSERT_EQ(inv->not_emulated.size(), 1u);
  EXPECT_EQ(inv->not_emulated[0].type, "AWS::SQS::Queue");
}

TEST_F(DeployTest, ConditionsDecideWhatIsCreated) {
  auto result = run(use("conditions"), {});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  std::vector<std::string> ids;
  auto resources = state_->resources("Conditions-example");
  ASSERT_TRUE(resources.ok());
  for (const auto& r : *resources) ids.push_back(r.logical_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"DevOnlyParameter", "FnServiceRole1234ABCD", "Fn9270CBC0"}));
  auto dev = state_->ssm_parameter("/conditions/dev-only");
  ASSERT_TRUE(dev.ok() && dev->has_value());
  EXPECT_EQ((*dev)->value, "dev in us-east-1");
  EXPECT_FALSE(state_->ssm_parameter("/conditions/prod-only")->has_value());
  auto f = state_->find_function("Conditions-example/Fn");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->memory_mb, 128);
  EXPECT_EQ(f->environment, (state::Pairs{{"STAGE", "dev"}}));
  ASSERT_EQ((*result)[0].outputs.size(), 1u);
  EXPECT_EQ((*result)[0].outputs[0].first, "FunctionName");
  EXPECT_EQ((*result)[0].outputs[0].second, f->name);
}

TEST_F(DeployTest, UnknownIntrinsicNamesResourceAndProperty) {
  auto result = run(use("unknown-intrinsic"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().where, "Unknown-intrinsic/Fn9270CBC0.Properties.Layers[1]");
  EXPECT_TRUE(state_->stacks()->empty());
}

TEST_F(DeployTest, FailingFunctionCheckRollsBackTheStack) {
  auto dir = use("shared-layer-export");
  check = [](const state::FunctionRecord& f) -> Status {
    if (!fs::exists(fs::path(f.code_dir) / "bootstrap") || f.layers.size() != 2)
      return make_error("bad input");
    return make_error("doctor says no", f.stack + "/" + f.logical_id);
  };
  auto result = run(dir, {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "doctor says no");
  EXPECT_FALSE(state_->stack(kApp)->has_value());
  EXPECT_TRUE(state_->functions()->empty());
}

TEST_F(DeployTest, FunctionSettingsAreValidatedWithLambdasWording) {
  auto dir = use("conditions");
  const fs::path file = dir / "Conditions-example.template.json";
  const Json original = read_json(file);
  auto deploy_with = [&](const std::string& key, const Json& value) {
    Json tpl = original;
    tpl["Resources"]["Fn9270CBC0"]["Properties"][key] = value;
    write_json(file, tpl);
    return run(dir, {});
  };
  auto small = deploy_with("MemorySize", 64);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(format_error(small.error()),
            "layered: error: Conditions-example/Fn9270CBC0.Properties.MemorySize: 1 validation error "
            "detected: Value "
            "'64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal "
            "to 128\n"
            "  Lambda accepts 128-10240");
  auto slow = deploy_with("Timeout", "901");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().message,
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must "
            "have value "
            "less than or equal to 900");
  auto tmp = deploy_with("EphemeralStorage", Json{{"Size", 10241}});
  ASSERT_FALSE(tmp.ok());
  EXPECT_EQ(tmp.error().where, "Conditions-example/Fn9270CBC0.Properties.EphemeralStorage.Size");
  const std::string ghost = "arn:aws:lambda:us-east-1:123456789012:layer:ghost:1";
  auto missing = deploy_with("Layers", Json::array({ghost}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "Layer version " + ghost + " does not exist.");
  EXPECT_EQ(missing.error().where, "Conditions-example/Fn9270CBC0.Properties.Layers[0]");
  EXPECT_TRUE(state_->stacks()->empty());
  auto ok = deploy_with("EphemeralStorage", Json{{"Size", 1024}});
  ASSERT_TRUE(ok.ok()) << format_error(ok.error());
  EXPECT_EQ(state_->find_function("Conditions-example/Fn")->ephemeral_mb, 1024);
}

// Lambda refuses to create a function on a deprecated runtime; the message is
// the model's, naming the function and the replacement, and nothing is kept.
TEST_F(DeployTest, DeprecatedRuntimeFailsWithTheOneMessage) {
  auto dir = use("conditions");
  const fs::path file = dir / "Conditions-example.template.json";
  Json tpl = read_json(file);
  tpl["Resources"]["Fn9270CBC0"]["Properties"]["Runtime"] = "provided";
  write_json(file, tpl);
  auto result = run(dir, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      format_error(result.error()),
      "layered: error: Conditions-example/Fn9270CBC0.Properties.Runtime: function 'Conditions-example/Fn': "
      "the runtime 'provided' is no longer supported for creating or updating AWS Lambda functions\n"
      "  set the function's runtime to 'provided.al2023' (Lambda's replacement for 'provided') and deploy "
      "again");
  EXPECT_TRUE(state_->stacks()->empty());
  EXPECT_TRUE(state_->functions()->empty());
}

// The state's cache keeps only what deployed functions need: four redeploys
// with a rebuilt layer, each after an invoke merged the function's /opt.
TEST_F(DeployTest, RedeploysLeaveOnlyTheCacheEntriesFunctionsNeed) {
  auto dir = use("layer-overwrite");
  const fs::path cache = fs::path(state_->dir()) / "cache";
  auto merge_for_function = [&] {
    auto f = state_->find_function("Layer-overwrite/Fn");
    EXPECT_TRUE(f.ok());
    std::vector<std::string> dirs;
    for (const auto& l : f->layers) dirs.push_back(l.dir);
    auto merged = sandbox::merge_layers(dirs, cache.string());
    EXPECT_TRUE(merged.ok());
    return merged.ok() ? *merged : std::string{};
  };
  auto entries = [&](const std::string& kind) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cache / kind, ec))
      out.push_back(e.path().filename().string());
    return out;
  };
  ASSERT_TRUE(run(dir, {}).ok());
  fs::create_directories(cache / "host-programs/0000000000000000/curl/lib");  // a bundle of an older curl
  for (int i = 1; i <= 4; ++i) {
    const std::string merged = merge_for_function();
    rebuild_layer(dir, "Layer-overwrite", "FirstLayer1A2B3C4D", "v" + std::to_string(i));
    auto result = run(dir, {});
    ASSERT_TRUE(result.ok()) << format_error(result.error());
    EXPECT_FALSE(fs::exists(merged)) << "round " << i;
  }
  EXPECT_TRUE(entries("opt").empty());
  EXPECT_TRUE(entries("host-programs").empty());
  const std::string current = merge_for_function();
  ASSERT_TRUE(destroy(*state_, *store_, {"Layer-overwrite"}, nullptr).ok());
  EXPECT_FALSE(fs::exists(current));
  EXPECT_TRUE(store_->keys().empty());
}

TEST_F(DeployTest, WildcardsSelectStacks) {
  auto result = run(use("shared-layer-export"), {"*-layers"}, false, true);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].name, kLayers);
}

TEST_F(DeployTest, StackCycleIsReported) {
  auto result = run(use("stack-cycle"), {}, true);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "circular dependency between stacks: 'Cycle-a' -> 'Cycle-b' -> 'Cycle-a'");
}

TEST_F(DeployTest, ResourceCycleIsReported) {
  auto result = run(use("resource-cycle"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "Circular dependency between resources: [First, Second]");
  EXPECT_TRUE(state_->stacks()->empty());
}

}  // namespace
}  // namespace layered::deploy::testing
