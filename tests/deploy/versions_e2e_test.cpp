// The real `layered` binary on an app shaped like a CDK app with
// fn.currentVersion, an alias and a CodeDeploy canary around it (the
// alias-canary fixture; its layer is shared through SSM): deploy, change the
// function's code as `cdk synth` would, deploy again, and invoke NAME:N,
// NAME:ALIAS, $LATEST and a qualified ARN in bubblewrap.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "e2e.hpp"

namespace {

using namespace layered_e2e;

constexpr const char* kApp = "Lambda-layers-example";
constexpr const char* kVersion1 = "GreetingFunctionCurrentVersionB899AD30394065db50d4c722634238798cc3a971";
constexpr const char* kVersion2 = "GreetingFunctionCurrentVersionB899AD3047d1c0e5a6f2b9d8c3e4f5a6b7c8d9e0";

class VersionsE2E : public DeployE2E {
 protected:
  void SetUp() override {
    DeployE2E::SetUp();
    use("alias-canary");
  }

  // New function code under a new asset hash and a new logical id for
  // fn.currentVersion, as `cdk synth` writes after the code changed.
  void rebuild_function() {
    const fs::path app = dir_ / "cdk.out";
    Json tpl = Json::parse(slurp(app / (std::string(kApp) + ".template.json")));
    Json& fn = tpl["Resources"]["GreetingFunction16D8FDDB"];
    std::string old_key = fn["Properties"]["Code"]["S3Key"];
    std::string old_hash = old_key.substr(0, old_key.size() - 4);
    std::string new_hash(64, 'b');
    fs::copy(app / ("asset." + old_hash), app / ("asset." + new_hash), fs::copy_options::recursive);
    std::ofstream(app / ("asset." + new_hash) / "greeting.sh")
        << "handle() { printf '{\"code\":\"v2\",\"version\":\"%s\"}' \"$AWS_LAMBDA_FUNCTION_VERSION\"; }\n";
    fn["Properties"]["Code"]["S3Key"] = new_hash + ".zip";
    fn["Metadata"]["aws:asset:path"] = "asset." + new_hash;
    std::ofstream(app / (std::string(kApp) + ".template.json"))
        << std::regex_replace(tpl.dump(1), std::regex(kVersion1), kVersion2);
    add_asset(kApp, old_hash, new_hash);
  }
};

TEST_F(VersionsE2E, InvokesEachVersionAndAliasWithItsOwnCode) {
  Invocation first = layered("deploy --all --no-doctor");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Reported once for the whole deploy, never blocking.
  std::size_t notes = 0;
  for (auto at = first.err.find("not emulated (recorded only):"); at != std::string::npos;
       at = first.err.find("not emulated (recorded only):", at + 1)) {
    ++notes;
  }
  EXPECT_EQ(notes, 1u) << first.err;
  Json list = Json::parse(layered("list --json").out);
  const std::string name = list["functions"][0]["name"];
  rebuild_function();
  Invocation second = layered("deploy --all --no-doctor");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("retaining AWS::Lambda::Version " + std::string(kVersion1)), std::string::npos)
      << second.err;

  Invocation one = layered("invoke " + name + ":1");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "{\"external\":\"external layer v1\",\"code\":\"v1\",\"version\":\"1\"}\n");
  EXPECT_NE(one.err.find(" Version: 1\n"), std::string::npos) << one.err;
  Invocation live = layered("invoke " + name + ":live");
  EXPECT_EQ(live.exit_code, 0) << live.err;
  EXPECT_EQ(live.out, "{\"code\":\"v2\",\"version\":\"2\"}\n");
  Invocation latest = layered("invoke '" + name + ":$LATEST'");
  EXPECT_EQ(latest.out, "{\"code\":\"v2\",\"version\":\"$LATEST\"}\n") << latest.err;
  Invocation by_arn = layered("invoke arn:aws:lambda:us-east-1:123456789012:function:" + name + ":1");
  EXPECT_EQ(by_arn.out, "{\"external\":\"external layer v1\",\"code\":\"v1\",\"version\":\"1\"}\n")
      << by_arn.err;
  Invocation missing = layered("invoke " + name + ":9");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "layered: error: " + name + ":9: function '" + name +
                             "' has no version 9\n  its versions: 1, 2\n");
  Invocation text = layered("list");
  EXPECT_NE(text.out.find("    alias live -> 2: arn:aws:lambda:us-east-1:123456789012:function:" + name +
                          ":live\n"),
            std::string::npos)
      << text.out;
}

}  // namespace
