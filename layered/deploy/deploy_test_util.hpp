// Test helpers: fixture assemblies copied to a temporary directory (so tests
// can "rebuild" a layer by editing them) and a state opened next to them.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "deploy/deploy.hpp"

namespace layered::deploy::testing {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline fs::path fixtures_dir() {
  const char* source = std::getenv("LAYERED_SOURCE_DIR");
  return fs::path(source ? source : LAYERED_SOURCE_DIR_DEFAULT) / "tests/fixtures/assemblies";
}

class DeployFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-deploy-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    auto s = state::State::open((root_ / "state").string());
    ASSERT_TRUE(s.ok()) << format_error(s.error());
    state_ = std::make_unique<state::State>(std::move(*s));
    store_ = std::make_unique<store::Store>(store_for(*state_));
  }
  void TearDown() override { fs::remove_all(root_); }

  // Copies fixture `name` to <tmp>/<name> and returns its path.
  fs::path use(const std::string& name) {
    fs::path dest = root_ / name;
    fs::copy(fixtures_dir() / name, dest, fs::copy_options::recursive);
    return dest;
  }

  assembly::Assembly load(const fs::path& dir) {
    auto app = assembly::load(dir);
    EXPECT_TRUE(app.ok()) << format_error(app.error());
    return std::move(*app);
  }

  Result<std::vector<StackResult>> run(const fs::path& dir, std::vector<std::string> stacks, bool all = false,
                                       bool exclusively = false) {
    auto app = load(dir);
    DeployOptions options;
    options.stacks = std::move(stacks);
    options.all = all;
    options.exclusively = exclusively;
    options.check_function = check;
    options.progress = [this](const std::string& line) { progress_.push_back(line); };
    return deploy(app, *state_, *store_, options);
  }

  // Deploys `dir`'s stacks with `options` as given (no doctor, no progress).
  Result<std::vector<StackResult>> deploy_as(const fs::path& dir, const DeployOptions& options) {
    auto app = load(dir);
    return deploy(app, *state_, *store_, options);
  }

  bool said(const std::string& line) const {
    return std::find(progress_.begin(), progress_.end(), line) != progress_.end();
  }

  // Everything `layered list --json` shows, to compare before/after a failure.
  std::string snapshot() {
    auto inv = inventory(*state_);
    EXPECT_TRUE(inv.ok());
    return render_json(*inv);
  }

  // `snapshot` as a failed update of `stack` leaves it: the same resources,
  // the status UPDATE_ROLLBACK_COMPLETE.
  static std::string after_failed_update(const std::string& snapshot, const std::string& stack) {
    Json j = Json::parse(snapshot);
    for (auto& s : j["stacks"]) {
      if (s["name"] == stack) s["status"] = "UPDATE_ROLLBACK_COMPLETE";
    }
    return j.dump(2) + "\n";
  }

  static Json read_json(const fs::path& file) {
    std::ifstream in(file);
    return Json::parse(in);
  }
  static void write_json(const fs::path& file, const Json& j) { std::ofstream(file) << j.dump(1); }

  // Simulates rebuilding a layer: new content under a new asset hash, as
  // `cdk synth` would produce, with the template and asset manifest updated.
  static void rebuild_layer(const fs::path& dir, const std::string& stack, const std::string& logical_id,
                            const std::string& new_text) {
    Json tpl = read_json(dir / (stack + ".template.json"));
    Json& res = tpl["Resources"][logical_id];
    std::string old_key = res["Properties"]["Content"]["S3Key"];
    std::string old_hash = old_key.substr(0, old_key.size() - 4);
    std::string new_hash = store::sha256_hex(old_hash + new_text);
    fs::copy(dir / ("asset." + old_hash), dir / ("asset." + new_hash), fs::copy_options::recursive);
    std::ofstream(dir / ("asset." + new_hash) / "lib/rebuilt.txt") << new_text;
    res["Properties"]["Content"]["S3Key"] = new_hash + ".zip";
    res["Metadata"]["aws:asset:path"] = "asset." + new_hash;
    write_json(dir / (stack + ".template.json"), tpl);
    Json assets = read_json(dir / (stack + ".assets.json"));
    Json entry = assets["files"][old_hash];
    entry["source"]["path"] = "asset." + new_hash;
    for (auto& [_, d] : entry["destinations"].items()) d["objectKey"] = new_hash + ".zip";
    assets["files"][new_hash] = entry;
    write_json(dir / (stack + ".assets.json"), assets);
  }

  fs::path root_;
  std::unique_ptr<state::State> state_;
  std::unique_ptr<store::Store> store_;
  std::vector<std::string> progress_;
  FunctionCheck check;
};

}  // namespace layered::deploy::testing
