// The bodies of the read APIs (ListFunctions, GetFunction,
// GetFunctionConfiguration, ListLayerVersions, GetLayerVersion) in the shapes
// of the Lambda API reference, from what the state holds.
#include <algorithm>
#include <filesystem>

#include "invoke_api/internal.hpp"
#include "store/store.hpp"

namespace layered::invoke_api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::int64_t tree_size(const std::string& dir) {
  return static_cast<std::int64_t>(store::unpacked_size(dir));
}

// The store keys are hex sha256; Lambda's CodeSha256 is the digest in base64.
std::string sha256_base64(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return base64_encode(bytes);
}

// Marker: the index to start at, as Lambda's opaque token; MaxItems 1..10000.
struct Page {
  std::size_t start = 0;
  std::size_t size = 50;
};

Api<Page> page_of(const std::string& marker, const std::string& max_items) {
  Page page;
  try {
    if (!marker.empty()) page.start = std::stoul(marker);
    if (!max_items.empty()) page.size = std::stoul(max_items);
  } catch (const std::exception&) {
    return invalid_parameter("Invalid Marker or MaxItems: '" + marker + "', '" + max_items + "'");
  }
  if (page.size < 1 || page.size > 10000) {
    return invalid_parameter("1 validation error detected: Value '" + max_items +
                             "' at 'maxItems' failed to satisfy constraint: Member must have value between 1 "
                             "and 10000");
  }
  return page;
}

std::string layer_name_of(const std::string& name_or_arn) {
  // arn:aws:lambda:region:account:layer:name
  if (name_or_arn.rfind("arn:", 0) == 0) return name_or_arn.substr(name_or_arn.rfind(':') + 1);
  return name_or_arn;
}

json layer_version_item(const state::LayerVersionRecord& l) {
  return {{"LayerVersionArn", l.arn},
          {"Version", l.version},
          {"Description", l.description},
          {"CompatibleRuntimes", l.compatible_runtimes},
          {"CompatibleArchitectures", l.compatible_architectures}};
}

ApiError layer_not_found() {
  return {404, "ResourceNotFoundException", "The resource you requested does not exist.", ""};
}

}  // namespace

json configuration(const Deployed& function) {
  const auto& f = function.record;
  json variables = json::object();
  for (const auto& [key, value] : f.environment) variables[key] = value;
  json layers = json::array();
  for (const auto& layer : f.layers)
    layers.push_back({{"Arn", layer.arn}, {"CodeSize", tree_size(layer.dir)}});
  json config{{"FunctionName", f.name},
              {"FunctionArn", f.arn},
              {"Runtime", model::to_string(f.runtime)},
              {"Role", function.role},
              {"Handler", f.handler},
              {"CodeSize", function.code_size},
              {"Description", function.description},
              {"Timeout", f.timeout_s},
              {"MemorySize", f.memory_mb},
              {"LastModified", function.last_modified},
              {"CodeSha256", sha256_base64(f.code_key)},
              {"Version", f.version},
              {"TracingConfig", {{"Mode", "PassThrough"}}},
              {"RevisionId", f.code_key.substr(0, 8) + "-0000-4000-8000-" + f.code_key.substr(8, 12)},
              {"Layers", layers},
              {"State", "Active"},
              {"LastUpdateStatus", "Successful"},
              {"PackageType", "Zip"},
              {"Architectures", json::array({model::to_string(f.architecture)})},
              {"EphemeralStorage", {{"Size", f.ephemeral_mb}}},
              {"LoggingConfig", {{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/" + f.name}}}};
  if (!variables.empty()) config["Environment"] = {{"Variables", variables}};
  return config;
}

Api<std::string> list_functions(const Snapshot& snapshot, const std::string& marker,
                                const std::string& max_items) {
  auto page = page_of(marker, max_items);
  if (auto* error = std::get_if<ApiError>(&page)) return *error;
  const auto [start, size] = std::get<Page>(page);
  json functions = json::array();
  const auto& all = snapshot.functions;
  for (std::size_t i = start; i < all.size() && i < start + size; ++i) {
    functions.push_back(configuration(all[i]));
  }
  json body{{"Functions", functions}};
  if (start + size < all.size()) body["NextMarker"] = std::to_string(start + size);
  return body.dump();
}

std::string get_function(const Deployed& function) {
  json body{{"Configuration", configuration(function)},
            {"Code", {{"RepositoryType", "S3"}, {"Location", "file://" + function.record.code_dir}}},
            {"Tags", json::object()}};
  if (function.reserved_concurrency) {
    body["Concurrency"] = {{"ReservedConcurrentExecutions", *function.reserved_concurrency}};
  }
  return body.dump();
}

Api<std::string> list_layer_versions(const Snapshot& snapshot, const std::string& layer,
                                     const std::string& marker, const std::string& max_items) {
  auto page = page_of(marker, max_items);
  if (auto* error = std::get_if<ApiError>(&page)) return *error;
  const auto [start, size] = std::get<Page>(page);
  const std::string name = layer_name_of(layer);
  std::vector<const state::LayerVersionRecord*> versions;
  for (const auto& l : snapshot.layers) {
    if (l.layer_name == name && !l.deleted) versions.push_back(&l);
  }
  // Lambda lists the newest version first.
  std::sort(versions.begin(), versions.end(), [](auto* a, auto* b) { return a->version > b->version; });
  json items = json::array();
  for (std::size_t i = start; i < versions.size() && i < start + size; ++i) {
    items.push_back(layer_version_item(*versions[i]));
  }
  json body{{"LayerVersions", items}};
  if (start + size < versions.size()) body["NextMarker"] = std::to_string(start + size);
  return body.dump();
}

Api<std::string> get_layer_version(const Snapshot& snapshot, const std::string& layer,
                                   const std::string& version) {
  const std::string name = layer_name_of(layer);
  for (const auto& l : snapshot.layers) {
    if (l.layer_name != name || l.deleted || std::to_string(l.version) != version) continue;
    json body = layer_version_item(l);
    body["LayerArn"] = l.arn.substr(0, l.arn.rfind(':'));
    body["Content"] = {{"Location", "file://" + l.content_dir},
                       {"CodeSha256", sha256_base64(l.content_key)},
                       {"CodeSize", tree_size(l.content_dir)}};
    return body.dump();
  }
  return layer_not_found();
}

}  // namespace layered::invoke_api
