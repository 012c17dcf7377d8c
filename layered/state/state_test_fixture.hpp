// The fixture of the state's tests: a state in a scratch directory, and a
// function and a layer version to put in it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "state/state.hpp"

namespace layered::state {

namespace fs = std::filesystem;

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-state-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  State open() {
    auto state = State::open(dir_ + "/st");
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : format_error(state.error()));
    return std::move(*state);
  }

  static FunctionRecord function(const State& s) {
    FunctionRecord f;
    f.name = "App-GreetingFunction-ABCDEFGHIJKLM";
    f.arn = s.function_arn(f.name);
    f.stack = "App";
    f.logical_id = "GreetingFunction";
    f.construct_path = "App/GreetingFunction";
    f.runtime = model::Runtime::provided_al2;
    f.architecture = model::Architecture::arm64;
    f.handler = "greet";
    f.environment = {{"B", "2"}, {"A", "1"}};
    f.code_key = "c0de";
    f.code_dir = s.dir() + "/store/c0de";
    f.layers = {{s.layer_version_arn("shared", 1), ""}};
    return f;
  }

  static LayerVersionRecord layer(const State& s, int version, const std::string& key) {
    LayerVersionRecord l;
    l.layer_name = "shared";
    l.version = version;
    l.arn = s.layer_version_arn("shared", version);
    l.content_key = key;
    l.content_dir = s.dir() + "/store/" + key;
    l.compatible_runtimes = {"provided.al2023"};
    l.stack = "Layers";
    l.logical_id = "Shared";
    return l;
  }

  std::string dir_;
};

}  // namespace layered::state
