// What a stack artifact says besides its template: the environment it was
// synthesized for, and the assets of the legacy synthesizer (CDK v1, or
// LegacyStackSynthesizer), which travel as "aws:cdk:asset" metadata entries
// and template parameters that the CDK CLI fills at deploy time.
#include <filesystem>
#include <functional>

#include "assembly/internal.hpp"

namespace layered::assembly::detail {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string text_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// The CLI's key for a file asset: "assets/" (or "assets/<id>/" when the id is
// not the source hash) then "<sourceHash><extension>", zip directories ending
// in ".zip" (aws-cdk packages/aws-cdk/lib/assets.ts, prepareFileAsset).
struct LegacyKey {
  std::string prefix;
  std::string base_name;
};

LegacyKey legacy_key(const json& data, const fs::path& path) {
  const std::string id = text_at(data, "id");
  const std::string hash = text_at(data, "sourceHash");
  const std::string extension = text_at(data, "packaging") == "zip" ? ".zip" : path.extension().string();
  return LegacyKey{id == hash ? "assets/" : "assets/" + id + "/", hash + extension};
}

}  // namespace

Status read_environment(const json& artifact, Stack& stack, const std::string& where) {
  const std::string env = text_at(artifact, "environment");
  constexpr std::string_view kScheme = "aws://";
  if (env.empty()) return Ok{};
  const auto slash = env.find('/', kScheme.size());
  const std::string account =
      slash == std::string::npos ? "" : env.substr(kScheme.size(), slash - kScheme.size());
  const std::string region = slash == std::string::npos ? "" : env.substr(slash + 1);
  // Account and region go into every ARN and into AWS_REGION: only what
  // AWS could name (12 digits, a region's letters, digits and dashes).
  const bool account_ok =
      account == "unknown-account" ||
      (account.size() == 12 && account.find_first_not_of("0123456789") == std::string::npos);
  const bool region_ok =
      region == "unknown-region" ||
      (!region.empty() && region.size() <= 32 &&
       region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
  if (env.rfind(kScheme, 0) != 0 || !account_ok || !region_ok) {
    return make_error("stack '" + stack.artifact_id + "' has environment '" + env +
                          "', which is not aws://<12-digit account>/<region>",
                      where, "synthesize it again; in the app, give env: { account, region } AWS's values");
  }
  if (account != "unknown-account") stack.account = account;
  if (region != "unknown-region") stack.region = region;
  return Ok{};
}

Result<json> read_stack_metadata(const json& artifact, const fs::path& dir, const std::string& where,
                                 const std::function<std::string(const fs::path&)>& show) {
  json merged = json::object();
  const std::string file = text_at(artifact, "additionalMetadataFile");
  if (!file.empty()) {
    // The manifest names the file; it must not lead out of the assembly
    // (an absolute path, "..", or a link that points elsewhere).
    const fs::path path = (dir / file).lexically_normal();
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(path, ec);
    const fs::path real_dir = fs::weakly_canonical(dir, ec);
    const fs::path rel = real.lexically_relative(real_dir);
    if (fs::path(file).is_absolute() || rel.empty() || *rel.begin() == "..") {
      return make_error("additionalMetadataFile '" + file + "' is outside the cloud assembly", where,
                        "synthesize the app again ('npx cdk synth'); the CDK names a file beside "
                        "manifest.json");
    }
    auto read = read_json_file(path, show(path));
    if (!read) return std::move(read.error());
    if (!read->is_object()) {
      return make_error("a stack's metadata file must hold a JSON object", show(path),
                        "synthesize the app again ('npx cdk synth')");
    }
    merged = std::move(*read);
  }
  // As the CDK CLI merges them (cloud-assembly-api readMetadata): the
  // file's entries first, then the manifest's own under the same path.
  auto inline_metadata = artifact.find("metadata");
  if (inline_metadata == artifact.end() || !inline_metadata->is_object()) return merged;
  for (const auto& [construct, entries] : inline_metadata->items()) {
    json& slot = merged[construct];
    if (!slot.is_array() || !entries.is_array()) {
      slot = entries;
      continue;
    }
    for (const json& entry : entries) slot.push_back(entry);
  }
  return merged;
}

std::vector<Asset> read_legacy_assets(const json& metadata, const fs::path& dir, Stack& stack) {
  std::vector<Asset> out;
  if (!metadata.is_object()) return out;
  for (const auto& [construct, entries] : metadata.items()) {
    if (!entries.is_array()) continue;
    for (const json& entry : entries) {
      if (!entry.is_object() || text_at(entry, "type") != "aws:cdk:asset") continue;
      const json data = entry.value("data", json::object());
      const std::string packaging = text_at(data, "packaging");
      if (packaging != "zip" && packaging != "file") continue;  // container images: not emulated
      Asset asset;
      asset.id = text_at(data, "sourceHash");
      asset.packaging = packaging;
      asset.path = (dir / text_at(data, "path")).lexically_normal();
      std::error_code ec;
      asset.is_directory = fs::is_directory(asset.path, ec);
      asset.is_zip_file = packaging == "file" && asset.path.extension() == ".zip";
      const LegacyKey key = legacy_key(data, asset.path);
      asset.object_key = key.prefix + key.base_name;
      stack.asset_parameters[text_at(data, "s3BucketParameter")] = kLegacyAssetBucket;
      stack.asset_parameters[text_at(data, "s3KeyParameter")] =
          key.prefix + kLegacyAssetKeySeparator + key.base_name;
      stack.asset_parameters[text_at(data, "artifactHashParameter")] = asset.id;
      stack.asset_ids.push_back(asset.id);
      out.push_back(std::move(asset));
    }
  }
  stack.asset_parameters.erase("");
  return out;
}

}  // namespace layered::assembly::detail
