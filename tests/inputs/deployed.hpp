// A state directory with one function deployed: the static C++ Runtime API
// client as its bootstrap, `handler` choosing what it does.
#pragma once

#include <gtest/gtest.h>

#include "run.hpp"
#include "state/state.hpp"

namespace inputs {

inline void deploy_function(const Scratch& dir, const std::string& name, const std::string& handler) {
  // The sandbox's unprivileged user must reach the code (mkdtemp made 0700).
  fs::permissions(dir.path(), fs::perms(0755));
  fs::create_directories(dir / "code");
  fs::copy_file(CLIENT_STATIC, dir / "code/bootstrap", fs::copy_options::overwrite_existing);
  fs::permissions(dir / "code/bootstrap", fs::perms(0755));
  auto state = layered::state::State::open((dir / "state").string());
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->put_stack({"Inputs", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  layered::state::FunctionRecord f;
  f.name = name;
  f.arn = state->function_arn(name);
  f.stack = "Inputs";
  f.logical_id = "Fn";
  f.runtime = layered::model::Runtime::provided_al2023;
  f.handler = handler;
  f.code_dir = (dir / "code").string();
  ASSERT_TRUE(state->put_function(f).ok());
}

}  // namespace inputs
