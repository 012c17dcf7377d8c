// Private helpers of the assembly module (not part of its public API).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "assembly/assembly.hpp"
#include "common/common.hpp"

namespace layered::assembly::detail {

// Manifests are not held to a CloudFormation quota, but are still read
// with a bound.
inline constexpr std::size_t kMaxManifestBytes = 64u * 1024 * 1024;

// Parses a JSON file of at most `max_bytes` (a larger one is refused
// unread, with `too_large` as the message when given) nested at most
// kMaxJsonDepth deep; a syntax error becomes where = "<shown>:<line>:<column>".
Result<nlohmann::json> read_json_file(const std::filesystem::path& path, const std::string& shown,
                                      std::size_t max_bytes = kMaxManifestBytes,
                                      const std::string& too_large = {});

// The bucket the CLI names for legacy assets is the bootstrap stack's; ours
// is a name only, since assets are read from the assembly directory.
inline constexpr const char* kLegacyAssetBucket = "cdktoolkit-stagingbucket-local";
// cx-api's ASSET_PREFIX_SEPARATOR: the key parameter is "<prefix>||<name>"
// and the template splits it with Fn::Split.
inline constexpr const char* kLegacyAssetKeySeparator = "||";

// Reads the artifact's "environment" ("aws://<account>/<region>") into
// stack.account / stack.region, leaving "unknown-account" and
// "unknown-region" empty; an error (at `where`) for one AWS could not name.
Status read_environment(const nlohmann::json& artifact, Stack& stack, const std::string& where);

// A stack artifact's metadata as the CDK CLI sees it: the file its
// "additionalMetadataFile" names (relative to `dir`, the assembly directory;
// where aws-cdk-lib 2.276 writes it) merged with its inline
// "metadata". An error for a file outside `dir` (where = `where`), or one
// that is missing or not a JSON object (where = show(file)).
Result<nlohmann::json> read_stack_metadata(
    const nlohmann::json& artifact, const std::filesystem::path& dir, const std::string& where,
    const std::function<std::string(const std::filesystem::path&)>& show);

// The "aws:cdk:asset" entries of a stack's metadata (read_stack_metadata;
// paths relative to `dir`, the assembly directory): fills
// stack.asset_parameters as the CDK CLI would and returns the assets, keyed
// as the CLI uploads them.
std::vector<Asset> read_legacy_assets(const nlohmann::json& metadata, const std::filesystem::path& dir,
                                      Stack& stack);

}  // namespace layered::assembly::detail
