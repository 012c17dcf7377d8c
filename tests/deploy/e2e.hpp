// What the `layered` end-to-end suites share: a temporary directory holding
// a fixture assembly, the real binary run in it as a user would, and its
// exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace layered_e2e {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kLayers = "Lambda-layers-example-layers";
constexpr const char* kArn1 = "arn:aws:lambda:us-east-1:123456789012:layer:ExternalLayerE23CF025:1";

struct Invocation {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DeployE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void use(const std::string& fixture) {
    const char* src = std::getenv("LAYERED_SOURCE_DIR");
    fs::path from = fs::path(src ? src : LAYERED_SOURCE_DIR_DEFAULT) / "tests/fixtures/assemblies" / fixture;
    fs::remove_all(dir_ / "cdk.out");
    fs::copy(from, dir_ / "cdk.out", fs::copy_options::recursive);
  }

  // Runs the binary in the temp dir, stdin from /dev/null (not a terminal).
  Invocation layered(const std::string& args, const std::string& env = {}) {
    std::string cmd = "cd '" + dir_.string() + "' && " + env + " '" + LAYERED_BIN + "' " + args +
                      " >out.txt 2>err.txt </dev/null";
    int status = std::system(cmd.c_str());
    Invocation r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "out.txt");
    r.err = slurp(dir_ / "err.txt");
    return r;
  }

  Json list() {
    Invocation r = layered("list --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out);
  }

  static bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  // A rebuilt layer: new bytes under a new asset hash, as `cdk synth` makes.
  void rebuild_external_layer() {
    fs::path tpl_file = dir_ / "cdk.out" / (std::string(kLayers) + ".template.json");
    Json tpl = Json::parse(slurp(tpl_file));
    Json& res = tpl["Resources"]["ExternalLayerE23CF025"];
    std::string old_hash = res["Metadata"]["aws:asset:path"].get<std::string>().substr(6);
    std::string new_hash = std::string(64, 'f');
    fs::copy(dir_ / "cdk.out" / ("asset." + old_hash), dir_ / "cdk.out" / ("asset." + new_hash),
             fs::copy_options::recursive);
    std::ofstream(dir_ / "cdk.out" / ("asset." + new_hash) / "lib/rebuilt.txt") << "v2\n";
    res["Properties"]["Content"]["S3Key"] = new_hash + ".zip";
    res["Metadata"]["aws:asset:path"] = "asset." + new_hash;
    std::ofstream(tpl_file) << tpl.dump(1);
    add_asset(kLayers, old_hash, new_hash);
  }

  // The stack's asset manifest learns `new_hash`, a copy of `old_hash`'s
  // entry pointing at the new directory and object.
  void add_asset(const std::string& stack, const std::string& old_hash, const std::string& new_hash) {
    fs::path assets_file = dir_ / "cdk.out" / (stack + ".assets.json");
    Json assets = Json::parse(slurp(assets_file));
    Json entry = assets["files"][old_hash];
    entry["source"]["path"] = "asset." + new_hash;
    for (auto& [_, d] : entry["destinations"].items()) d["objectKey"] = new_hash + ".zip";
    assets["files"][new_hash] = entry;
    std::ofstream(assets_file) << assets.dump(1);
  }

  fs::path dir_;
};

}  // namespace layered_e2e
