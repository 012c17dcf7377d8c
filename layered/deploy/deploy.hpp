// Plans and applies the stacks of a cloud assembly against the local control
// plane with CloudFormation's semantics: resources created, updated, replaced
// or deleted in dependency order, LayerVersions immutable (a change publishes
// version N+1), exports unique and locked while imported, each stack one
// transaction that rolls back on any failure. Also `destroy` and `list`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "assembly/assembly.hpp"
#include "common/common.hpp"
#include "state/state.hpp"
#include "store/store.hpp"

namespace layered::deploy {

// Receives one progress line (no newline), e.g.
// "Stack: creating AWS::Lambda::LayerVersion ExternalLayer...".
using Progress = std::function<void(const std::string& line)>;

// Called for each function being created or updated, once its code and layers
// are in the store and before the stack commits; an error fails the stack.
using FunctionCheck = std::function<Status(const state::FunctionRecord& function)>;

enum class Outcome { created, updated, unchanged };

struct StackResult {
  std::string name;
  std::string stack_id;  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>
  Outcome outcome = Outcome::unchanged;
  state::Pairs outputs;                               // output logical id -> value, template order
  std::vector<std::string> not_emulated;              // "<Type> <LogicalId>", recorded only
  std::vector<std::string> not_emulated_settings;     // "<Property> <LogicalId>", recorded only
  std::vector<std::string> published_layer_versions;  // ARNs published by this deploy
};

// A layer version published outside this app (a public layer, another
// account's): content the user has, standing in for it locally.
struct ProvidedLayer {
  std::string arn;   // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION
  std::string path;  // its content: a directory or a zip
};

// A template parameter's value given at deploy (`--parameters
// [STACK:]KEY=VALUE`, as `cdk deploy` takes it); `stack` empty: every stack
// that declares KEY.
struct StackParameter {
  std::string stack;
  std::string key;
  std::string value;
};

struct DeployOptions {
  std::vector<std::string> stacks;  // names or globs; empty: the only stack, or --all
  bool all = false;
  bool exclusively = false;  // do not add the named stacks' dependencies
  FunctionCheck check_function;
  Progress progress;
  std::function<void(const StackResult&)> stack_done;  // after each stack commits
  std::vector<ProvidedLayer> provided_layers;          // recorded before any stack
  std::vector<StackParameter> parameters;              // for the app's stacks, not nested ones
};

// Deploys the selected stacks in dependency order, each in one transaction.
// Stops at the first failure: that stack is rolled back (and says so through
// `progress`); stacks deployed before it stay deployed, as with `cdk deploy`.
Result<std::vector<StackResult>> deploy(const assembly::Assembly& app, state::State& state,
                                        const store::Store& store, const DeployOptions& options);

// One line for a whole deploy, "" when nothing is recorded only, e.g.
// "not emulated (recorded only): 1 AWS::CloudWatch::Alarm, 2 AWS::Lambda::Permission
// in 'App'; 'layered list' shows them".
std::string not_emulated_summary(const std::vector<StackResult>& results);
// One line per recorded-only setting of a whole deploy, "" when none, e.g.
// "not emulated (recorded only): ProvisionedConcurrencyConfig of 'App/Live'; ...";
// the settings are ProvisionedConcurrencyConfig and LoggingConfig.
std::string not_emulated_settings_summary(const std::vector<StackResult>& results);

struct DestroyOptions {
  std::vector<std::string> stacks;
  bool all = false;
  bool exclusively = false;  // do not add the stacks that depend on the named ones
  Progress progress;
};

// The deployed stacks `destroy` would delete, in deletion order (dependents
// first). Stacks of the selection that are not deployed are left out.
Result<std::vector<std::string>> plan_destroy(const assembly::Assembly& app, const state::State& state,
                                              const DestroyOptions& options);

// Deletes `stacks` in the given order, each in one transaction. A stack whose
// exports another stack imports is refused with CloudFormation's wording.
// `left_out`: the deployed stacks that depend on `stacks` but --exclusively
// left out (plan_destroy without it, minus with it); when the importers are
// among them, the error says that naming the stack without --exclusively
// would destroy them first.
Status destroy(state::State& state, const store::Store& store, const std::vector<std::string>& stacks,
               const Progress& progress, const std::vector<std::string>& left_out = {});

// What `layered list` shows.
struct LayerVersionEntry {
  state::LayerVersionRecord layer;
  std::vector<std::string> used_by;  // function names, and NAME:N for published versions
};

struct Inventory {
  state::Settings settings;
  std::vector<state::StackRecord> stacks;
  std::vector<state::ResourceRecord> not_emulated;
  std::vector<state::FunctionRecord> functions;
  std::vector<state::FunctionVersionRecord> function_versions;  // by function, then number
  std::vector<state::AliasRecord> aliases;                      // by function, then name
  // Live versions, plus deleted ones that still serve a function.
  std::vector<LayerVersionEntry> layer_versions;
  std::vector<state::ExportRecord> exports;
  std::vector<state::SsmParameterRecord> ssm_parameters;
};

Result<Inventory> inventory(const state::State& state);
std::string render_text(const Inventory& inventory);
std::string render_json(const Inventory& inventory);

// The store of a state directory: <state-dir>/store.
store::Store store_for(const state::State& state);

}  // namespace layered::deploy
