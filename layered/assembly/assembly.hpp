// A synthesized cloud assembly (`cdk.out`) of any CDK app: its stacks, their
// templates, their dependencies and the assets (Lambda code and layer
// contents) the templates point at.
//
// Read once, then immutable: every pointer handed out stays valid for the
// life of the Assembly.
//
// Templates are exposed as nlohmann::json (the one third-party type in this
// header): the cfn module evaluates them, and copying them into a type of
// our own would buy nothing.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.hpp"

namespace layered::assembly {

// One file asset: a directory or a file the CDK would upload to the bootstrap
// bucket. Found through the stack's asset manifest (`<Stack>.assets.json`) or,
// for older assemblies, through resource metadata (`aws:asset:path`).
struct Asset {
  std::string id;              // the asset hash (manifest key), e.g. "4fd1...e2"
  std::filesystem::path path;  // absolute path on this machine
  std::string packaging;       // "zip" (a directory the CDK zips) or "file"
  std::string object_key;      // the S3 key the template names, e.g. "4fd1...e2.zip"; "" if unknown
  bool is_zip_file = false;    // packaging "file" and the file ends in ".zip"
  bool is_directory = false;   // `path` is a directory (packaging "zip")
};

struct Stack {
  std::string artifact_id;              // key in manifest.json's "artifacts"
  std::string name;                     // properties.stackName, else the artifact id
  std::string display_name;             // displayName, else the artifact id
  std::filesystem::path template_path;  // absolute
  nlohmann::json template_json;
  // Names (Stack::name) of the stacks this one depends on.
  // Asset-manifest and other non-stack dependencies are not listed here.
  std::vector<std::string> dependencies;
  // Ids of the assets listed by this stack's asset manifests.
  std::vector<std::string> asset_ids;
  // The manifest's "environment": "aws://<account>/<region>". Empty when
  // the app left it to the deploy ("unknown-account", "unknown-region").
  std::string account;
  std::string region;
  // Template parameters the CDK CLI fills for assets of the legacy
  // synthesizer (CDK v1): name -> value, from "aws:cdk:asset" metadata.
  std::map<std::string, std::string> asset_parameters;
  // How deep in nested stacks (AWS::CloudFormation::Stack) this one is: 0 for
  // the assembly's own stacks.
  int nesting_depth = 0;
};

// How deep nested stacks may go: layered's bound (CloudFormation states
// none), so that a template that nests itself ends in a message.
inline constexpr int kMaxNestingDepth = 10;

// How select() widens a selection.
enum class Expand {
  none,          // exactly the named stacks (`--exclusively`)
  dependencies,  // plus every stack they depend on, transitively (`deploy STACK`)
  dependents,    // plus every stack that depends on them, transitively (`destroy STACK`)
};

class Assembly {
 public:
  // The assembly directory, absolute.
  const std::filesystem::path& directory() const { return directory_; }

  // Stacks sorted by artifact id (nested assemblies' stacks first).
  const std::vector<Stack>& stacks() const { return stacks_; }
  std::vector<std::string> stack_names() const;

  // The stack whose name, artifact id or display name is `name`, or null.
  const Stack* find_stack(std::string_view name) const;

  // The stacks to act on, in dependency order (a stack after everything it
  // depends on; reverse it to destroy). `all` selects every stack. An unknown
  // name is an error with a did-you-mean (with `all` too); a dependency cycle is
  // "circular dependency between stacks: 'A' -> 'B' -> 'A'". No names and
  // not `all` is an error that lists the stacks (as `cdk deploy` does when
  // an app has several).
  Result<std::vector<const Stack*>> select(const std::vector<std::string>& names, bool all,
                                           Expand expand) const;

  // Every stack in dependency order, or the cycle error described above.
  Result<std::vector<const Stack*>> in_dependency_order() const;

  // Stacks that directly depend on `stack` (by name).
  std::vector<const Stack*> dependents_of(const Stack& stack) const;

  // What the reader could not vouch for, to say before acting on the
  // assembly (a warning each, not a refusal): a manifest of a newer schema
  // than kNewestSchemaVersion.
  const std::vector<Error>& warnings() const { return warnings_; }

  const std::vector<Asset>& assets() const { return assets_; }
  const Asset* find_asset(std::string_view id) const;

  // The asset uploaded under S3 key `key` (e.g. a Lambda `Code.S3Key` or a
  // LayerVersion `Content.S3Key` after evaluation), or null. Matches the
  // manifests' objectKey, and also "<id>.zip" / "<id>" for assets known only
  // from metadata.
  const Asset* find_asset_by_object_key(std::string_view key) const;

  // The asset a resource names in its Metadata ("aws:asset:path", with
  // "aws:asset:property" naming the property it fills), or null.
  const Asset* find_asset_by_metadata(const Stack& stack, std::string_view logical_id) const;

  // The template of an AWS::CloudFormation::Stack resource of `parent`
  // (CDK's NestedStack): the resource's file asset by its metadata, else by
  // the evaluated `template_url`'s last part (its object key); null when
  // the app does not have it (a template only in S3, say).
  const Asset* nested_template(const Stack& parent, std::string_view logical_id,
                               std::string_view template_url) const;

  // The stack that resource deploys, named `name`: nested_template() read
  // with a template's limits; it takes the parent's environment.
  Result<Stack> nested_stack(const Stack& parent, const std::string& logical_id,
                             const std::string& template_url, const std::string& name) const;

 private:
  friend Result<Assembly> load(const std::filesystem::path& dir);
  // Adds the stacks each name (or pattern) matches to `chosen`; a name that
  // matches none is select()'s "no stack named" error.
  Status match_names(const std::vector<std::string>& names, std::set<const Stack*>& chosen) const;
  std::filesystem::path directory_;
  std::vector<Stack> stacks_;
  std::vector<Asset> assets_;
  std::vector<Error> warnings_;
};

// The newest cloud assembly schema (manifest.json "version", its major
// number) layered was written against: aws-cdk-lib 2.276's, 55.0.0. A newer
// one is read all the same, as its fields are added rather than changed,
// with a warning.
inline constexpr int kNewestSchemaVersion = 55;

// The largest template CloudFormation takes (from S3, where the CDK puts
// every template over 50 KB); a larger one is refused before it is read,
// with CloudFormation's message "Template may not exceed 1000000 bytes in
// size." (docs/cloudformation-limits.md).
inline constexpr std::size_t kMaxTemplateBytes = 1000000;

// Reads `dir`/manifest.json, every stack template and every asset manifest.
// Errors: no directory or manifest -> "no cloud assembly at '<dir>'" with the
// hint "run 'npx cdk synth' first (or pass --app DIR)"; bad JSON -> where =
// "<file>:<line>:<column>"; a template or asset manifest that is missing,
// a stack dependency naming no stack -> where = manifest.json.
Result<Assembly> load(const std::filesystem::path& dir);

// The user-facing construct path of a CDK resource, from its Metadata
// "aws:cdk:path": "Lambda-layers-example/GreetingFunction/Resource" ->
// "Lambda-layers-example/GreetingFunction" (a trailing "/Resource" or
// "/Default" is dropped). "" when the resource has no such metadata.
std::string construct_path(const nlohmann::json& resource);
// Whether a function's Properties make it a container image (PackageType
// Image, or Code.ImageUri: CDK's DockerImageFunction), which layered
// records but cannot run.
bool is_image_package(const nlohmann::json& properties);
// The same for a raw "aws:cdk:path" value.
std::string trim_cdk_path(std::string_view cdk_path);

}  // namespace layered::assembly
