// The local control plane's durable state: one SQLite database at
// <state-dir>/state.db holding what CloudFormation and Lambda would know about
// the locally deployed stacks. Every stack deploy runs inside one
// `Transaction`, so a failed deploy leaves the previous state untouched.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/common.hpp"
#include "model/model.hpp"

namespace layered::state {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The pseudo parameters' values, fixed when the state is created so that they
// cannot change under a deployed state.
struct Settings {
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
};

// The account and region of a stack: `account` / `region` from its cloud
// assembly's environment, each empty one (CDK's "unknown-account",
// "unknown-region") taken from `defaults`, the state's settings.
Settings resolve_environment(const Settings& defaults, const std::string& account, const std::string& region);

// ARNs in an environment.
std::string layer_version_arn(const Settings& env, const std::string& layer_name, int version);
std::string function_arn(const Settings& env, const std::string& function_name);
// A stack's id (AWS::StackId): stable for a name in an account, as
// CloudFormation's stays for a stack's life.
std::string stack_arn(const Settings& env, const std::string& stack);
// The region of an ARN ("arn:aws:lambda:<region>:..."), or "" if it has none.
std::string arn_region(const std::string& arn);
// The account of an ARN ("arn:aws:lambda:<region>:<account>:..."), or "".
std::string arn_account(const std::string& arn);

struct StackRecord {
  std::string name;
  std::string status;           // CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE
  std::string template_digest;  // sha256 of the template as resolved
  Pairs outputs;                // output logical id -> value, in template order
  Pairs parameters;             // parameter name -> resolved value
  std::string deployed_at;      // UTC, ISO 8601
  // The account and region the stack lives in (its manifest environment,
  // else the state's settings). Empty in rows written before they were
  // recorded: read back as the state's settings.
  std::string account_id;
  std::string region;
};

struct ResourceRecord {
  std::string stack;
  std::string logical_id;
  std::string type;
  std::string physical_id;
  std::string properties_json = "{}";  // resolved properties
  std::string attributes_json = "{}";  // Fn::GetAtt values, e.g. {"Arn": ...}
  std::string deletion_policy;         // "", "Delete", "Retain", "Snapshot"
  std::string update_replace_policy;
  bool emulated = true;  // false: recorded only ("not emulated")
};

struct ExportRecord {
  std::string name;
  std::string value;
  std::string stack;                   // the exporting stack
  std::vector<std::string> importers;  // stacks that import it (filled by exports())
};

struct LayerVersionRecord {
  std::string layer_name;
  int version = 0;
  std::string arn;          // arn:aws:lambda:<region>:<account>:layer:<name>:<version>
  std::string content_key;  // the store's sha256 key
  std::string content_dir;  // absolute path of the stored, extracted content
  std::vector<std::string> compatible_runtimes;
  std::vector<std::string> compatible_architectures;
  std::string description;
  std::string stack;       // the stack that published it
  std::string logical_id;  // its logical id there
  bool deleted = false;    // deleted versions keep serving functions that use them
};

// A function as Lambda knows it: the one model (see model/model.hpp).
using FunctionRecord = model::Function;

// A published version of a function: an immutable copy of its code and
// configuration as they were when the version was published.
struct FunctionVersionRecord {
  FunctionRecord function;  // the snapshot; function.version is "N", function.arn unqualified
  int version = 0;
  std::string arn;  // <function arn>:N
  std::string description;
  std::string stack;       // the stack of the AWS::Lambda::Version that published it
  std::string logical_id;  // its logical id there
  std::string published_at;
};

struct AliasRecord {
  std::string function;  // physical function name
  std::string name;
  std::string arn;                                      // <function arn>:<name>
  std::string function_version;                         // "N" or "$LATEST"
  std::vector<std::pair<std::string, double>> routing;  // AdditionalVersionWeights: version -> weight
  std::string description;
  std::string stack;
  std::string logical_id;
};

// How many versions of a parameter SSM keeps (older ones are deleted).
inline constexpr int kSsmVersionsKept = 100;

struct SsmParameterRecord {
  std::string name;
  std::string type = "String";
  std::string value;
  int version = 1;
  std::string stack;  // the stack whose AWS::SSM::Parameter owns it, if any
};

class State;

// BEGIN IMMEDIATE on construction; rolls back on destruction unless committed.
// Refers to its State: do not move the State while a transaction is open.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();
  void rollback();

 private:
  friend class State;
  explicit Transaction(State* state) : state_(state) {}
  State* state_;
};

class State {
 public:
  // Opens (creating if needed) <dir>/state.db. `settings` applies only when the
  // state is created; an existing state keeps the account and region it has.
  static Result<State> open(const std::string& dir, const Settings& settings = {});
  // Opens an existing state for reading only: never takes the write lock (so
  // it never waits for a deploy; it sees the last committed state) and works
  // on a read-only directory. Writes through it fail.
  static Result<State> open_read_only(const std::string& dir);
  // Settings from LAYERED_ACCOUNT_ID / LAYERED_REGION, else the defaults.
  static Settings settings_from_environment();

  State(State&&) noexcept;
  State& operator=(State&&) noexcept;
  ~State();

  const Settings& settings() const;
  const std::string& dir() const;  // absolute

  Result<Transaction> begin();

  // Stacks.
  Result<std::vector<StackRecord>> stacks() const;
  Result<std::optional<StackRecord>> stack(const std::string& name) const;
  Status put_stack(const StackRecord& stack);
  Status delete_stack(const std::string& name);  // and its resources, exports, imports

  // Resources of one stack, in creation order.
  Result<std::vector<ResourceRecord>> resources(const std::string& stack) const;
  // Resources recorded but not emulated, of every stack, in stack order.
  Result<std::vector<ResourceRecord>> not_emulated_resources() const;
  Status put_resource(const ResourceRecord& resource);
  Status delete_resource(const std::string& stack, const std::string& logical_id);

  // Exports and imports.
  Result<std::vector<ExportRecord>> exports() const;
  // The exports of one stack, with their importers.
  Result<std::vector<ExportRecord>> exports_of(const std::string& stack) const;
  Result<std::optional<ExportRecord>> find_export(const std::string& name) const;
  Status put_export(const ExportRecord& record);
  Status delete_export(const std::string& name);
  Result<std::vector<std::string>> importers(const std::string& export_name) const;
  Status set_imports(const std::string& stack, const std::vector<std::string>& export_names);

  // Layer versions.
  Result<std::vector<LayerVersionRecord>> layer_versions() const;
  Result<std::optional<LayerVersionRecord>> find_layer_version(const std::string& arn) const;
  // One more than the highest version of `layer_name` this state holds. Only
  // a floor: reserve_layer_version() is what publishes take.
  Result<int> next_layer_version(const std::string& layer_name) const;
  // The version a new publish of `layer_name` gets: never one handed out
  // before, even by a deploy that rolled back, nor one a deleted version had.
  Result<int> reserve_layer_version(const std::string& layer_name);
  Status put_layer_version(const LayerVersionRecord& record);
  // A layer version published outside this state (record.stack empty),
  // inserted or given new content: functions that use it follow.
  Status put_provided_layer_version(const LayerVersionRecord& record);
  Status mark_layer_version_deleted(const std::string& arn);

  // Functions.
  Result<std::vector<FunctionRecord>> functions() const;
  Status put_function(const FunctionRecord& record);
  Status delete_function(const std::string& name);
  // By physical name only; no hint on a miss (for existence checks).
  Result<std::optional<FunctionRecord>> function(const std::string& name) const;
  // By physical name, ARN (optionally with :$LATEST) or CDK construct path;
  // a miss says "did you mean" and to run 'layered list'.
  Result<FunctionRecord> find_function(const std::string& key) const;

  // Function versions and aliases (state/versions.cpp).
  // One more than the highest version of `function` this state holds. Only a
  // floor: reserve_function_version() is what publishes take.
  Result<int> next_function_version(const std::string& function) const;
  // The number a new publish of `function` gets: never one handed out before
  // for its ARN, even by a deploy that rolled back or after a deletion.
  Result<int> reserve_function_version(const FunctionRecord& function);
  Status put_function_version(const FunctionVersionRecord& record);
  Result<std::optional<FunctionVersionRecord>> function_version(const std::string& function,
                                                                int version) const;
  // Every version of every function, by function name then number.
  Result<std::vector<FunctionVersionRecord>> function_versions() const;
  Status delete_function_version(const std::string& function, int version);
  Status put_alias(const AliasRecord& record);
  Result<std::optional<AliasRecord>> alias(const std::string& function, const std::string& name) const;
  Result<std::vector<AliasRecord>> aliases() const;  // by function name then alias name
  Status delete_alias(const std::string& function, const std::string& name);
  // Lambda's DeleteFunction: the function with all its versions and aliases.
  Status remove_function(const std::string& name);
  // A function its stack let go of (DeletionPolicy Retain): it stays, with
  // its versions and aliases, owned by no stack (stack ""); on AWS it
  // outlives the stack and is still invoked.
  Status orphan_function(const std::string& name);
  // What `invoke` runs for FUNCTION[:QUALIFIER] (name, construct path or ARN,
  // qualifier $LATEST, a version number or an alias): the function's
  // configuration at that version, with `version` the number that runs and
  // `arn` qualified as the caller named it (NAME:live gives ...:live, also
  // when live points at $LATEST), which the runtime sees as the invoked
  // function ARN. `draw` in [0, 1) picks between the versions of
  // an alias with a routing configuration.
  Result<FunctionRecord> resolve_function(const std::string& key, double draw = 0) const;

  // The local SSM parameter store.
  Result<std::vector<SsmParameterRecord>> ssm_parameters() const;
  Result<std::optional<SsmParameterRecord>> ssm_parameter(const std::string& name) const;
  // Writes a value; the version goes up by one when the value changes.
  Status put_ssm_parameter(const SsmParameterRecord& record);
  // The value `name` had at `version` (one of its last kSsmVersionsKept), or
  // nullopt. A parameter deleted and created again starts at version 1.
  Result<std::optional<std::string>> ssm_parameter_version(const std::string& name, int version) const;
  Status delete_ssm_parameter(const std::string& name);

  // A number for `key` never returned before for that key (at least
  // `at_least`), kept outside the deploy transaction: committed as soon as it
  // is reserved, so a rolled-back deploy still uses it up, as Lambda does with
  // version numbers. Keys are the caller's, e.g. "layer:<name>" or
  // "function-version:<function ARN>". Fails on a read-only state.
  Result<std::int64_t> reserve_number(const std::string& key, std::int64_t at_least = 1);

  // Differs from its last value whenever another connection (a deploy in
  // another process) has committed since: SQLite's PRAGMA data_version, so a
  // long-lived reader can tell in microseconds whether what it read is current.
  Result<std::int64_t> change_counter() const;
  // True when a deploy has migrated the schema since this reader opened it:
  // a reader of an older schema sees empty stand-ins for the newer tables
  // until it opens the state again.
  bool schema_migrated_since_open() const;

  // Store keys referenced by any layer version or function (for store GC).
  Result<std::vector<std::string>> referenced_content_keys() const;
  // The distinct ordered lists of layer directories that functions use (for
  // the merged /opt cache's GC). Functions without layers add nothing.
  Result<std::vector<std::vector<std::string>>> layer_sets() const;

  // The environment of a deployed stack (the state's settings when it has
  // none recorded, or when no such stack is deployed).
  Result<Settings> stack_environment(const std::string& stack) const;

  // Arn builders with this state's account and region.
  std::string layer_version_arn(const std::string& layer_name, int version) const;
  std::string function_arn(const std::string& function_name) const;
  // function_arn(name) + ":" + qualifier (a version number or an alias).
  std::string qualified_function_arn(const std::string& function_name, const std::string& qualifier) const;

  struct Impl;  // opaque: the SQLite connection lives in the .cpp files

 private:
  friend class Transaction;
  explicit State(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace layered::state
