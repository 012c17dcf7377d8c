// Shared between the deploy module's source files.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cfn/cfn.hpp"
#include "deploy/deploy.hpp"

namespace layered::deploy::detail {

using Json = nlohmann::json;

// One stack being deployed inside its transaction.
struct StackContext {
  const assembly::Assembly& app;
  const assembly::Stack& stack;
  state::State& state;
  const store::Store& store;
  const DeployOptions& options;
  const cfn::Template& tpl;
  // The stack's account and region: its manifest environment, else the
  // state's settings. Every ARN of its resources is built from these.
  state::Settings env;
  std::map<std::string, state::ResourceRecord> previous;  // deployed resources, by logical id
  std::map<std::string, state::ResourceRecord> current;   // this deploy's, filled in resource order
  // Replaced physical resources, deleted once everything else succeeded.
  std::vector<state::ResourceRecord> replaced;
  bool changed = false;
  StackResult result;
  std::map<std::string, std::uint64_t> tree_sizes;   // stored tree -> bytes, measured once
  std::map<std::string, store::StoredAsset> stored;  // asset path -> its entry, hashed once
  std::set<std::string> placeholders;                // "Id.Attribute" given one, said once

  // "Stack/LogicalId.Properties.<path>" (path may be empty).
  std::string where(const std::string& logical_id, const std::string& path = {}) const;
  void progress(const std::string& text) const;
  // "<verb> <Type> <LogicalId>..." with the stack as prefix.
  void action(const std::string& verb, const cfn::Resource& resource, const std::string& detail = {}) const;
};

// Creates, updates, replaces or keeps one resource whose properties are
// already evaluated; records it in ctx.current.
Status apply_resource(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
Status apply_layer_version(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
Status apply_function(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
Status apply_version(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
Status apply_alias(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
// Recorded only: the types around versions that CDK apps add, with plausible
// attribute values so that what refers to them deploys.
Status apply_not_emulated(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
bool is_known_not_emulated(const std::string& type);

// What a recorded-only resource answers to Ref (its physical id) and to
// Fn::GetAtt, shaped as CloudFormation's values for its type.
struct Identity {
  std::string physical_id;
  Json attributes = Json::object();
};
using Describe = Identity (*)(const StackContext&, const cfn::Resource&, const Json&);
// "<region>:<account>" of the stack, as ARNs hold it (recorded.cpp).
std::string region_account(const StackContext& ctx);
// The services a function is most often wired to (storage, queues, APIs,
// events, secrets, logs), by type (services.cpp).
const std::map<std::string, Describe>& service_types();
Status remove_version_or_alias(state::State& state, const state::ResourceRecord& record);

// Shared tail of every handler: create, update or keep `record`.
Status record_resource(StackContext& ctx, const cfn::Resource& resource, state::ResourceRecord record,
                       const std::string& detail = {});

// Removes a resource's physical counterpart (function, SSM parameter, layer
// version) unless `retain`; the record itself is handled by the caller.
Status remove_physical(state::State& state, const state::ResourceRecord& record, bool retain);

// The record for `resource` with the previous record's identity, if any.
state::ResourceRecord new_record(const StackContext& ctx, const cfn::Resource& resource,
                                 const Json& properties);

// CloudFormation-style generated names: "<stack>-<logicalId>-<13 chars>",
// deterministic, at most `max_length` characters.
std::string generated_name(const std::string& stack, const std::string& logical_id,
                           std::size_t max_length = 64);
// 13 upper-case letters and digits derived from `seed`.
std::string name_suffix(const std::string& seed);

// A string property (numbers are accepted and printed), or nullopt when absent.
std::optional<std::string> string_property(const Json& properties, const std::string& key);

// "Properties validation failed for resource X with message: #: required key [K] not found".
Error required_property(const StackContext& ctx, const std::string& logical_id, const std::string& key);

// Stores an asset named by a Code / Content object ({S3Bucket, S3Key}).
Result<store::StoredAsset> store_asset(StackContext& ctx, const std::string& logical_id, const Json& location,
                                       const std::string& where);

// Now, in UTC, as CloudFormation and Lambda record times.
std::string now_utc();

// Deploys one stack inside an open transaction. Outcome::unchanged means the
// caller should roll back (nothing to write). `validated` becomes true once
// the checks CloudFormation makes before it changes anything have passed
// (template, parameters, rules, imports): a failure before that is its
// ValidationError, which leaves a deployed stack's status as it was.
Result<StackResult> deploy_stack(const assembly::Assembly& app, const assembly::Stack& stack,
                                 state::State& state, const store::Store& store, const DeployOptions& options,
                                 bool* validated = nullptr);

// Deletes store entries nobody references, holding the state's write lock.
void collect_garbage(state::State& state, const store::Store& store);

// Deletes a deployed stack's resources, newest first, and its rows; refuses
// while another stack imports one of its exports. In the caller's transaction.
Status destroy_stack(state::State& state, const std::string& name, const Progress& progress,
                     const std::vector<std::string>& left_out = {});

// AWS::CloudFormation::Stack (CDK's NestedStack): deploys the nested
// template as a stack of its own, in the parent's transaction (nested.cpp).
Status apply_nested_stack(StackContext& ctx, const cfn::Resource& resource, const Json& properties);
// Whether the nested template is in the cloud assembly (one that is only in
// S3, outside the app, cannot be read here: the resource is recorded only).
bool nested_template_in_assembly(const StackContext& ctx, const cfn::Resource& resource,
                                 const Json& properties);
// The nested stack's name in its ARN, "" for another ARN.
std::string nested_stack_name(const std::string& stack_arn);

// Records DeployOptions::provided_layers in one transaction (provided_layers.cpp).
Status provide_layers(state::State& state, const store::Store& store, const DeployOptions& options);

}  // namespace layered::deploy::detail
