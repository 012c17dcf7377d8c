// One stack of a cloud assembly as doctor evaluates it (internal to
// doctor): what the stacks before it made, the functions found so far, and
// the stack's environment as deploy resolves it.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "assembly/assembly.hpp"
#include "cfn/cfn.hpp"
#include "doctor/doctor.hpp"
#include "state/state.hpp"

namespace layered::doctor {

using Json = nlohmann::json;

// What the stacks evaluated so far make, as `deploy --all` would have
// deployed them before the next stack: exports, SSM parameters, and the
// layer versions each LayerVersion resource stands for.
struct Known {
  std::map<std::string, std::string> exports;  // by scoped() name
  std::map<std::string, std::string> ssm;      // by scoped() name
  std::map<std::string, model::Layer> layers;  // by ARN
  // Each stack's environment ("account/region") and outputs, for Fn::GetStackOutput.
  std::map<std::string, std::pair<std::string, state::Pairs>> stacks;
};

struct Candidate {
  model::Function function;
  std::vector<std::string> names;      // what FUNCTION may say
  std::vector<Finding> findings;       // what the template evaluation found
  std::vector<std::string> unchecked;  // layers that could not be resolved, as the template gives them
  bool checkable = true;               // false when the runtime is not known
};

struct StackRun {
  const assembly::Assembly& app;
  const assembly::Stack& stack;
  const state::State* state;
  Known& known;
};

// A string property as the template gives it, else `fallback`.
std::string literal_or(const Json& properties, const char* key, const std::string& fallback);

// A LayerVersion of the assembly stands for the version deploy would
// publish; version 0 is never a real one, so it cannot collide with the
// state's.
std::string assembly_layer_arn(const cfn::Environment& env, const std::string& name);

// Exports and SSM parameters belong to one account and region, as in deploy.
std::string scoped(const cfn::Environment& env, const std::string& name);

// The stack's environment as deploy resolves it: the manifest's account and
// region, the state's (or the configured) defaults for unknown ones; its
// imports, SSM parameters and stack outputs from the stacks before it and
// the local state.
cfn::Environment environment(StackRun& run, const cfn::Template& tpl);

}  // namespace layered::doctor
