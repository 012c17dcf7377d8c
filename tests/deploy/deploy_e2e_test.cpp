// Runs `layered deploy/destroy/list` as a user would, on fixture assemblies
// copied into a temporary directory, and checks exit codes, stdout, stderr
// and `layered list --json`.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e.hpp"

namespace {

using namespace layered_e2e;

TEST_F(DeployE2E, DeploysBothStacksAndPrintsOutputs) {
  use("shared-layer-export");
  Invocation r = layered("deploy --all --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err,
                       "Lambda-layers-example-layers: creating AWS::Lambda::LayerVersion "
                       "ExternalLayerE23CF025 (publishing version 1)...\n"))
      << r.err;
  EXPECT_TRUE(
      contains(r.err, "Lambda-layers-example: creating AWS::Lambda::Function GreetingFunction16D8FDDB...\n"));
  EXPECT_LT(r.err.find(" ✅  Lambda-layers-example-layers\n"), r.err.find(" ✅  Lambda-layers-example\n"));
  EXPECT_TRUE(contains(r.out,
                       "Outputs:\nLambda-layers-example-layers.CpputilsLayerArnOutput = "
                       "arn:aws:lambda:us-east-1:123456789012:layer:CpputilsLayer5D5C2B0A:1\n"
                       "Lambda-layers-example-layers.ExternalLayerArnOutput = " +
                           std::string(kArn1) + "\n"))
      << r.out;
  EXPECT_TRUE(contains(
      r.out, "Lambda-layers-example.GreetingFunctionName = Lambda-layers-example-GreetingFunction16D8FDDB-"));
  EXPECT_TRUE(fs::exists(dir_ / ".layered/state.db"));

  Json state = list();
  ASSERT_EQ(state["functions"].size(), 1u);
  EXPECT_EQ(state["functions"][0]["construct_path"], "Lambda-layers-example/GreetingFunction");
  EXPECT_EQ(state["functions"][0]["layers"][0], kArn1);
  ASSERT_EQ(state["exports"].size(), 2u);
  EXPECT_EQ(state["exports"][1]["name"], "ExternalLayerArn");
  EXPECT_EQ(state["exports"][1]["imported_by"], Json::array({"Lambda-layers-example"}));
  EXPECT_EQ(state["layer_versions"].size(), 2u);
  Invocation text = layered("list");
  EXPECT_TRUE(contains(text.out, "    layer: " + std::string(kArn1) + "\n")) << text.out;
}

TEST_F(DeployE2E, NoChangeRedeployPublishesNothing) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Json before = list();
  Invocation r = layered("deploy --all --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, " ✅  Lambda-layers-example-layers (no changes)\n"));
  EXPECT_TRUE(contains(r.err, " ✅  Lambda-layers-example (no changes)\n"));
  EXPECT_FALSE(contains(r.err, "creating"));
  EXPECT_FALSE(contains(r.err, "publishing"));
  EXPECT_EQ(list(), before);
}

TEST_F(DeployE2E, RebuiltLayerFailsWhileImportedAndStateIsUnchanged) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Json before = list();
  rebuild_external_layer();
  Invocation r = layered("deploy Lambda-layers-example-layers --no-doctor");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      contains(r.err,
               " ❌  Lambda-layers-example-layers failed, rolled back: Lambda-layers-example-layers is "
               "unchanged\n"
               "layered: error: Lambda-layers-example-layers/Outputs/ExternalLayerArnOutput: Export "
               "ExternalLayerArn cannot be updated as it is in use by Lambda-layers-example\n"))
      << r.err;
  // As CloudFormation: the resources are as they were, the status says the
  // update rolled back.
  ASSERT_EQ(before["stacks"][0]["name"], kLayers);
  before["stacks"][0]["status"] = "UPDATE_ROLLBACK_COMPLETE";
  EXPECT_EQ(list(), before);
}

// `doctor` and `deploy` evaluate one template the same way: a layer chosen by
// Fn::If on a parameter's condition is the same layer in both.
TEST_F(DeployE2E, DoctorAndDeployAgreeOnFnIfInLayers) {
  for (const std::string stage : {"dev", "prod"}) {
    use("layer-overwrite");
    const fs::path tpl_file = dir_ / "cdk.out/Layer-overwrite.template.json";
    Json tpl = Json::parse(slurp(tpl_file));
    tpl["Parameters"]["Stage"] = {{"Type", "String"}, {"Default", stage}};
    tpl["Conditions"]["IsProd"] = {{"Fn::Equals", {{{"Ref", "Stage"}}, "prod"}}};
    tpl["Resources"]["Fn9270CBC0"]["Properties"]["Layers"] = {
        {{"Fn::If", {"IsProd", {{"Ref", "SecondLayer5E6F7A8B"}}, {{"Ref", "FirstLayer1A2B3C4D"}}}}}};
    std::ofstream(tpl_file) << tpl.dump(1);
    const std::string chosen = stage == "prod" ? "SecondLayer5E6F7A8B" : "FirstLayer1A2B3C4D";

    Invocation doctor = layered("doctor --json --state state-" + stage);
    ASSERT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
    Json report = Json::parse(doctor.out);
    EXPECT_EQ(report["functions"][0]["layers"], Json::array({chosen})) << stage;
    for (const auto& f : report["functions"][0]["findings"])
      EXPECT_NE(f["code"], "layer.unresolved") << f.dump();

    Invocation deploy = layered("deploy --state state-" + stage);
    ASSERT_EQ(deploy.exit_code, 0) << deploy.err;
    Json listed = Json::parse(layered("list --json --state state-" + stage).out);
    EXPECT_EQ(listed["functions"][0]["layers"],
              Json::array({"arn:aws:lambda:us-east-1:123456789012:layer:" + chosen + ":1"}))
        << stage;
  }
}

// A function on the deprecated `provided` runtime: deploy refuses it with the
// one message; doctor reports it as that function's finding and still checks
// the others.
TEST_F(DeployE2E, ProvidedFunctionGetsOneMessageEverywhere) {
  use("layer-overwrite");
  const fs::path tpl_file = dir_ / "cdk.out/Layer-overwrite.template.json";
  Json tpl = Json::parse(slurp(tpl_file));
  Json legacy = tpl["Resources"]["Fn9270CBC0"];
  legacy["Properties"]["Runtime"] = "provided";
  legacy["Metadata"]["aws:cdk:path"] = "Layer-overwrite/Legacy/Resource";
  tpl["Resources"]["Legacy1234ABCD"] = legacy;
  std::ofstream(tpl_file) << tpl.dump(1);
  const std::string message =
      "function 'Layer-overwrite/Legacy': the runtime 'provided' is no longer supported for creating or "
      "updating AWS Lambda functions";

  Invocation doctor = layered("doctor --json");
  EXPECT_EQ(doctor.exit_code, 1) << doctor.out << doctor.err;
  Json report = Json::parse(doctor.out);
  ASSERT_EQ(report["functions"].size(), 2u) << doctor.out;
  EXPECT_EQ(report["functions"][0]["function"], "Layer-overwrite/Fn");
  EXPECT_EQ(report["functions"][1]["function"], "Layer-overwrite/Legacy");
  EXPECT_EQ(report["functions"][1]["findings"][0]["code"], "runtime.unsupported");
  EXPECT_EQ(report["functions"][1]["findings"][0]["message"], message);

  Invocation deploy = layered("deploy");
  EXPECT_NE(deploy.exit_code, 0);
  EXPECT_TRUE(
      deploy.err.ends_with("layered: error: Layer-overwrite/Legacy1234ABCD.Properties.Runtime: " + message +
                           "\n  set the function's runtime to 'provided.al2023' (Lambda's replacement for "
                           "'provided') and deploy again\n"))
      << deploy.err;
  EXPECT_FALSE(fs::exists(dir_ / ".layered/state.db") && contains(layered("list").out, "Layer-overwrite"));
}

TEST_F(DeployE2E, SeveralStacksNeedANameOrAll) {
  use("shared-layer-export");
  Invocation r = layered("deploy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "layered: error: since this app includes more than a single stack, specify which stacks to use "
            "(wildcards are supported) or specify `--all`");
  EXPECT_FALSE(fs::exists(dir_ / ".layered/store"));
}

TEST_F(DeployE2E, SixLayersFailWithOneLine) {
  use("six-layers");
  Invocation r = layered("deploy --no-doctor");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(
      r.err, "layered: error: Six-layers/Fn9270CBC0.Properties.Layers: 1 validation error detected: "));
  EXPECT_TRUE(contains(r.err, "Member must have length less than or equal to 5\n"));
  EXPECT_TRUE(list()["stacks"].empty());
}

TEST_F(DeployE2E, DestroyNeedsForceWithoutATerminalAndRefusesWhileImported) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Invocation r = layered("destroy --all");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "layered: error: refusing to destroy 'Lambda-layers-example' and 'Lambda-layers-example-layers' "
            "without "
            "confirmation: stdin is not a terminal\n  pass --force to destroy without asking\n");
  r = layered("destroy Lambda-layers-example-layers --exclusively --force");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err,
                       "layered: error: Lambda-layers-example-layers: Export CpputilsLayerArn cannot be "
                       "deleted as it is in use by Lambda-layers-example\n"
                       "  destroy 'Lambda-layers-example' first (or name 'Lambda-layers-example-layers' "
                       "without --exclusively)\n"));
  EXPECT_EQ(list()["stacks"].size(), 2u);
  r = layered("destroy Lambda-layers-example-layers --force");  // dependents go first
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.err.find("Lambda-layers-example: destroying..."),
            r.err.find("Lambda-layers-example-layers: destroying..."));
  Json state = list();
  EXPECT_TRUE(state["stacks"].empty());
  EXPECT_TRUE(state["functions"].empty());
  EXPECT_TRUE(state["layer_versions"].empty());
}

TEST_F(DeployE2E, StateDirAndRegionAreConfigurable) {
  use("conditions");
  Invocation r =
      layered("deploy --no-doctor --state st", "LAYERED_REGION=eu-west-1 LAYERED_ACCOUNT_ID=111111111111");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "st/state.db"));
  EXPECT_FALSE(fs::exists(dir_ / ".layered"));
  // The state keeps the account and region it was created with.
  Invocation l = layered("list --json", "LAYERED_STATE=st LAYERED_REGION=us-west-2");
  Json state = Json::parse(l.out);
  EXPECT_EQ(state["region"], "eu-west-1");
  EXPECT_EQ(state["functions"][0]["arn"].get<std::string>().rfind(
                "arn:aws:lambda:eu-west-1:111111111111:function:", 0),
            0u);
  EXPECT_TRUE(
      contains(r.out, "Stack ARN:\narn:aws:cloudformation:eu-west-1:111111111111:stack/Conditions-example/"));
}

TEST_F(DeployE2E, DoctorErrorsStopTheDeployUnlessNoDoctor) {
  use("conditions");
  for (const auto& entry : fs::directory_iterator(dir_ / "cdk.out")) {
    if (entry.path().filename().string().rfind("asset.", 0) == 0) fs::remove(entry.path() / "bootstrap");
  }
  Invocation r = layered("deploy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "error [bootstrap.missing]")) << r.err;
  EXPECT_TRUE(contains(r.err,
                       " ❌  Conditions-example failed, rolled back: Conditions-example was not created\n"
                       "layered: error: Conditions-example/Fn9270CBC0: doctor found 1 error in function "
                       "'Conditions-example/Fn'\n"
                       "  fix the package (see above), or pass --no-doctor to deploy anyway\n"));
  EXPECT_TRUE(list()["stacks"].empty());
  EXPECT_EQ(layered("deploy --no-doctor").exit_code, 0);
  EXPECT_EQ(list()["functions"].size(), 1u);
}

// A warning does not stop a deploy, but may fail an invoke here that works
// on Lambda (boto3, which Lambda's Python runtime provides): it is mentioned.
TEST_F(DeployE2E, DoctorWarningsAreMentionedWithTheCommandThatShowsThem) {
  use("managed-runtimes");
  for (const auto& entry : fs::directory_iterator(dir_ / "cdk.out")) {
    if (fs::exists(entry.path() / "app.py"))
      std::ofstream(entry.path() / "app.py", std::ios::app) << "import boto3\n";
  }
  Invocation r = layered("deploy --all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err,
                       "doctor: 1 warning for function 'Managed-runtimes/PythonFunction': run 'layered "
                       "doctor Managed-runtimes/PythonFunction' to see them\n"))
      << r.err;
}

TEST_F(DeployE2E, MissingAssemblySaysToSynth) {
  Invocation r = layered("deploy --all");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "run 'npx cdk synth' first")) << r.err;
}

// A manifest of a newer schema than layered knows deploys, with a warning.
TEST_F(DeployE2E, ANewerAssemblySchemaIsAWarning) {
  use("conditions");
  Json manifest = Json::parse(slurp(dir_ / "cdk.out/manifest.json"));
  manifest["version"] = "99.0.0";
  std::ofstream(dir_ / "cdk.out/manifest.json") << manifest.dump();
  Invocation r = layered("deploy --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err,
                       "layered: warning: cdk.out/manifest.json: the cloud assembly's schema version "
                       "99.0.0 is newer than the newest layered knows (55.0.0)"))
      << r.err;
}

// `npx cdk synth` writes to cdk.json's "output": the default --app follows it.
TEST_F(DeployE2E, TheAssemblyIsWhereCdkJsonsOutputSays) {
  use("conditions");
  fs::create_directories(dir_ / "out");
  fs::rename(dir_ / "cdk.out", dir_ / "out/assembly");
  std::ofstream(dir_ / "cdk.json") << R"({"app": "node app.js", "output": "out/assembly"})";
  Invocation r = layered("deploy --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list()["stacks"].size(), 1u);
  fs::remove_all(dir_ / "out");
  Invocation missing = layered("doctor");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.err, "no cloud assembly at 'out/assembly'")) << missing.err;
}

TEST_F(DeployE2E, RolledBackPublishUsesUpItsVersionNumber) {
  use("shared-layer-export");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  rebuild_external_layer();
  Invocation failed = layered("deploy Lambda-layers-example-layers --no-doctor");
  ASSERT_EQ(failed.exit_code, 1);
  EXPECT_TRUE(contains(failed.err, "ExternalLayerE23CF025 (publishing version 2)...")) << failed.err;
  EXPECT_EQ(layered("destroy Lambda-layers-example --exclusively --force").exit_code, 0);
  Invocation r = layered("deploy Lambda-layers-example-layers --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "ExternalLayerE23CF025 (publishing version 3)...")) << r.err;
  Json state = list();
  EXPECT_EQ(state["stacks"][0]["status"], "UPDATE_COMPLETE");
  std::vector<std::string> arns;
  for (const auto& l : state["layer_versions"]) arns.push_back(l["arn"]);
  EXPECT_EQ(arns, (std::vector<std::string>{
                      "arn:aws:lambda:us-east-1:123456789012:layer:CpputilsLayer5D5C2B0A:1",
                      "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:3"}));
}

TEST_F(DeployE2E, StacksLiveInTheirManifestEnvironment) {
  use("explicit-environment");
  Invocation r = layered("deploy Lambda-layers-example --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out,
                       "Lambda-layers-example-layers.ExternalLayerArnOutput = "
                       "arn:aws:lambda:eu-central-1:000000000000:layer:ExternalLayerE23CF025:1\n"))
      << r.out;
  EXPECT_TRUE(
      contains(r.out, "arn:aws:cloudformation:eu-central-1:000000000000:stack/Lambda-layers-example/"));
  Json state = list();
  EXPECT_EQ(state["region"], "us-east-1");  // the state's default, for unknown environments
  for (const auto& s : state["stacks"]) {
    EXPECT_EQ(s["account_id"], "000000000000");
    EXPECT_EQ(s["region"], "eu-central-1");
  }
  ASSERT_EQ(state["functions"].size(), 1u);
  EXPECT_EQ(
      state["functions"][0]["arn"].get<std::string>().rfind(
          "arn:aws:lambda:eu-central-1:000000000000:function:Lambda-layers-example-GreetingFunction", 0),
      0u);
  EXPECT_EQ(state["functions"][0]["layers"][0],
            "arn:aws:lambda:eu-central-1:000000000000:layer:ExternalLayerE23CF025:1");
  // The CDKMetadata condition is false in eu-central-1: no such resource.
  EXPECT_TRUE(state["not_emulated"].empty()) << state["not_emulated"];
  Invocation text = layered("list");
  EXPECT_TRUE(contains(text.out, "  Lambda-layers-example  CREATE_COMPLETE  ")) << text.out;
  EXPECT_TRUE(contains(text.out, "  aws://000000000000/eu-central-1\n")) << text.out;

  // Exports are per account and region: another region does not see them.
  Invocation other = layered("deploy Other-region-consumer --no-doctor");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_TRUE(contains(other.err,
                       "layered: error: Other-region-consumer/GreetingFunction16D8FDDB.Properties.Layers[0]: "
                       "No export named ExternalLayerArn found\n"))
      << other.err;
}

TEST_F(DeployE2E, InvokeGivesTheFunctionItsOwnRegion) {
  use("explicit-environment");
  ASSERT_EQ(layered("deploy Lambda-layers-example --no-doctor").exit_code, 0);
  Invocation r = layered("invoke Lambda-layers-example/GreetingFunction");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"region\":\"eu-central-1\",\"default_region\":\"eu-central-1\",\"external\":\"external layer "
            "v1\"}\n");
}

TEST_F(DeployE2E, LegacySynthesisAssetParametersAreFilledAsTheCliDoes) {
  use("legacy-assets");
  Invocation r = layered("deploy --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json state = list();
  ASSERT_EQ(state["functions"].size(), 1u);
  const fs::path code = state["functions"][0]["code_dir"].get<std::string>();
  EXPECT_TRUE(fs::exists(code / "greeting.sh")) << code;
  ASSERT_EQ(state["layer_versions"].size(), 1u);
  EXPECT_EQ(state["layer_versions"][0]["arn"],
            "arn:aws:lambda:us-east-1:123456789012:layer:LegacyLayer1A2B3C4D:1");
  Invocation invoked = layered("invoke Legacy-assets/GreetingFunction");
  ASSERT_EQ(invoked.exit_code, 0) << invoked.err;
  EXPECT_EQ(invoked.out, "{\"layer\":\"from the legacy layer\"}\n");
}

TEST_F(DeployE2E, LegacyAssetParametersWithoutMetadataSayToSynthesizeAgain) {
  use("legacy-assets");
  Json manifest = Json::parse(slurp(dir_ / "cdk.out/manifest.json"));
  manifest["artifacts"]["Legacy-assets"].erase("metadata");
  std::ofstream(dir_ / "cdk.out/manifest.json") << manifest.dump(1);
  Invocation r = layered("deploy --no-doctor");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      contains(r.err,
               "  these are CDK asset parameters, filled from the stack's 'aws:cdk:asset' metadata in "
               "manifest.json: synthesize the app again ('npx cdk synth')\n"))
      << r.err;
}

TEST_F(DeployE2E, PlainListShowsSsmParameters) {
  use("ssm-sharing");
  ASSERT_EQ(layered("deploy --all --no-doctor").exit_code, 0);
  Invocation r = layered("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      contains(r.out,
               "SSM parameters:\n"
               "  /cdk-bootstrap/hnb659fds/version = 21  (String, version 1)\n"
               "  /lambda-layers-example/external-layer-arn = "
               "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:1  (String, version 1, "
               "from Lambda-layers-example-layers)\n"))
      << r.out;
}

TEST_F(DeployE2E, ExportAndSsmSharedLayersServeTwoConsumerStacks) {
  use("two-consumers");
  Invocation r = layered("deploy --all --no-doctor");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json state = list();
  ASSERT_EQ(state["functions"].size(), 2u);
  for (const auto& f : state["functions"]) {
    EXPECT_EQ(f["layers"],
              Json::array({kArn1, "arn:aws:lambda:us-east-1:123456789012:layer:CpputilsLayer5D5C2B0A:1"}))
        << f["name"];
  }
  ASSERT_EQ(state["exports"].size(), 1u);
  EXPECT_EQ(state["exports"][0]["imported_by"], Json::array({"Consumer-one", "Consumer-two"}));
  Json before = list();

  rebuild_external_layer();
  Invocation locked = layered("deploy Lambda-layers-example-layers --no-doctor");
  EXPECT_EQ(locked.exit_code, 1);
  EXPECT_TRUE(contains(locked.err,
                       "Export ExternalLayerArn cannot be updated as it is in use by 'Consumer-one' and "
                       "'Consumer-two'\n"
                       "  'Consumer-one' and 'Consumer-two' must stop importing it first"))
      << locked.err;
  Invocation destroy = layered("destroy Lambda-layers-example-layers --exclusively --force");
  EXPECT_EQ(destroy.exit_code, 1);
  EXPECT_TRUE(contains(destroy.err, "  destroy 'Consumer-one' and 'Consumer-two' first")) << destroy.err;
  before["stacks"][0]["status"] = "UPDATE_ROLLBACK_COMPLETE";
  EXPECT_EQ(list(), before);
}

}  // namespace

namespace {

using namespace layered_e2e;

// `--parameters` as cdk deploy takes it: several values per flag, a stack
// name after them (a value without '='), a stack's own value over one for
// every stack; a key or stack that nothing declares is refused.
TEST_F(DeployE2E, ParametersAreGivenAsCdkDeployTakesThem) {
  use("conditions");
  Invocation bad = layered("deploy --no-doctor --parameters Stage");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "layered: error: --parameters: 'Stage' is not [STACK:]KEY=VALUE")) << bad.err;
  Invocation typo = layered("deploy --no-doctor --all --parameters Stage=prod Typo=1");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_TRUE(contains(typo.err, "Parameters: [Typo] do not exist in the template")) << typo.err;
  Invocation stack = layered("deploy --no-doctor --all --parameters NoSuchStack:Stage=prod");
  EXPECT_EQ(stack.exit_code, 1);
  EXPECT_TRUE(contains(stack.err, "the stack 'NoSuchStack', which the app does not have")) << stack.err;
  Invocation unknown = layered("deploy --no-doctor --all NoSuchStack");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(contains(unknown.err, "no stack named 'NoSuchStack'")) << unknown.err;
  EXPECT_TRUE(list()["stacks"].empty());
  Invocation r =
      layered("deploy --no-doctor --parameters Stage=dev Conditions-example:Stage=prod Conditions-example");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json fn = list()["functions"][0];
  EXPECT_EQ(fn["environment"]["STAGE"], "prod") << fn.dump();
  EXPECT_EQ(fn["memory_mb"], 1024) << fn.dump();
}

}  // namespace
