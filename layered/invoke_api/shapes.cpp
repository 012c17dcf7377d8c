// The bodies of the read APIs (ListFunctions, GetFunction,
// GetFunctionConfiguration, ListLayers, ListLayerVersions, GetLayerVersion,
// GetLayerVersionByArn) in the shapes of the Lambda API reference, from what
// the state holds.
#include <re2/re2.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

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

// A LayerName as ListLayerVersions and GetLayerVersion take it. An ARN
// names the layer of that partition, region and account, as a function ARN
// does: another account's layer of the same name is not this one.
struct LayerRef {
  std::string name;
  std::string arn;  // arn:aws:lambda:REGION:ACCOUNT:layer:NAME; "" for a bare name
};

// LayerName's pattern and length in Lambda's API model.
constexpr const char* kLayerNamePattern =
    "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
constexpr std::size_t kMaxLayerNameLength = 140;

Api<LayerRef> parse_layer_name(const std::string& layer) {
  static const re2::RE2 arn(R"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:([a-zA-Z0-9_-]+))");
  static const re2::RE2 name(R"([a-zA-Z0-9_-]+)");
  LayerRef ref;
  if (layer.size() <= kMaxLayerNameLength && re2::RE2::FullMatch(layer, arn, &ref.name)) {
    ref.arn = layer;
    return ref;
  }
  if (layer.size() <= kMaxLayerNameLength && re2::RE2::FullMatch(layer, name)) {
    ref.name = layer;
    return ref;
  }
  return constraint_error(layer, "layerName", kMaxLayerNameLength, kLayerNamePattern);
}

json layer_version_item(const Snapshot& snapshot, const state::LayerVersionRecord& l) {
  json item{{"LayerVersionArn", l.arn},
            {"Version", l.version},
            {"Description", l.description},
            {"CompatibleRuntimes", l.compatible_runtimes},
            {"CompatibleArchitectures", l.compatible_architectures}};
  auto facts = snapshot.layer_facts.find(l.arn);
  if (facts == snapshot.layer_facts.end()) return item;
  if (!facts->second.created_date.empty()) item["CreatedDate"] = facts->second.created_date;
  if (!facts->second.license_info.empty()) item["LicenseInfo"] = facts->second.license_info;
  return item;
}

// CompatibleRuntime and CompatibleArchitecture are enums of Lambda's model:
// a value outside them is refused, not a filter that matches nothing.
std::optional<ApiError> refused_filter(const LayerFilter& filter) {
  if (!filter.runtime.empty() && !model::parse_runtime(filter.runtime))
    return not_in_enum(filter.runtime, "compatibleRuntime", model::runtime_names());
  if (!filter.architecture.empty() && !model::parse_architecture(filter.architecture))
    return not_in_enum(filter.architecture, "compatibleArchitecture", {"x86_64", "arm64"});
  return std::nullopt;
}

ApiError layer_not_found() {
  return {404, "ResourceNotFoundException", "The resource you requested does not exist.", ""};
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string layer_arn_of(const state::LayerVersionRecord& l) { return l.arn.substr(0, l.arn.rfind(':')); }

// A layer's live versions, the newest first (as Lambda lists them), that
// match the filters ("" matches all).
std::vector<const state::LayerVersionRecord*> live_versions(const Snapshot& snapshot, const LayerRef& layer,
                                                            const LayerFilter& filter) {
  std::vector<const state::LayerVersionRecord*> versions;
  for (const auto& l : snapshot.layers) {
    if (l.layer_name != layer.name || l.deleted) continue;
    if (!layer.arn.empty() && layer_arn_of(l) != layer.arn) continue;
    if (!filter.runtime.empty() && !contains(l.compatible_runtimes, filter.runtime)) continue;
    if (!filter.architecture.empty() && !contains(l.compatible_architectures, filter.architecture)) continue;
    versions.push_back(&l);
  }
  std::sort(versions.begin(), versions.end(), [](auto* a, auto* b) { return a->version > b->version; });
  return versions;
}

// Lambda's changes on every update of a function's code or configuration,
// and no two functions or versions share one (clients send it back to
// update only what they read).
std::string revision_id(const Deployed& function) {
  const auto& f = function.record;
  return store::uuid_of(json{f.name, f.version, function.identity, function.revision_seed}.dump());
}

// Lambda's LoggingConfig from the template's: the log levels only for JSON
// logs, where they default to INFO; the function's own log group unless the
// template names one.
json logging_config(const Deployed& function) {
  auto given = [&](const char* key, const std::string& otherwise) -> std::string {
    const json& logging = function.logging;
    if (logging.is_object() && logging.contains(key) && logging[key].is_string()) return logging[key];
    return otherwise;
  };
  json config{{"LogFormat", given("LogFormat", "Text")}};
  if (config["LogFormat"] == "JSON") {
    config["ApplicationLogLevel"] = given("ApplicationLogLevel", "INFO");
    config["SystemLogLevel"] = given("SystemLogLevel", "INFO");
  }
  config["LogGroup"] = given("LogGroup", "/aws/lambda/" + function.record.name);
  return config;
}

// Lambda's SnapStartResponse: the template's ApplyOn, and On only for a
// published version of a function that applies it ($LATEST is never
// snapshotted). RuntimeVersionConfig is left out, as the model allows: its
// ARN names a runtime build layered does not have.
json snap_start(const Deployed& function) {
  const std::string apply_on = function.snap_start.empty() ? "None" : function.snap_start;
  const bool on = apply_on == "PublishedVersions" && function.record.version != "$LATEST";
  return {{"ApplyOn", apply_on}, {"OptimizationStatus", on ? "On" : "Off"}};
}

std::string layer_version_body(const Snapshot& snapshot, const state::LayerVersionRecord& l) {
  json body = layer_version_item(snapshot, l);
  body["LayerArn"] = layer_arn_of(l);
  body["Content"] = {{"Location", "file://" + l.content_dir},
                     {"CodeSha256", sha256_base64(l.content_key)},
                     {"CodeSize", tree_size(l.content_dir)}};
  return body.dump();
}

}  // namespace

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

json configuration(const Deployed& function) {
  const auto& f = function.record;
  json variables = json::object();
  for (const auto& [key, value] : f.environment) variables[key] = value;
  json layers = json::array();
  for (const auto& layer : f.layers)
    layers.push_back({{"Arn", layer.arn}, {"CodeSize", tree_size(layer.dir)}});
  const std::string tracing = function.tracing_mode.empty() ? "PassThrough" : function.tracing_mode;
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
              {"TracingConfig", {{"Mode", tracing}}},
              {"RevisionId", revision_id(function)},
              {"State", "Active"},
              {"LastUpdateStatus", "Successful"},
              {"PackageType", "Zip"},
              {"Architectures", json::array({model::to_string(f.architecture)})},
              {"EphemeralStorage", {{"Size", f.ephemeral_mb}}},
              {"LoggingConfig", logging_config(function)},
              {"SnapStart", snap_start(function)}};
  if (!variables.empty()) config["Environment"] = {{"Variables", variables}};
  // Lambda leaves the member out for a function without layers.
  if (!layers.empty()) config["Layers"] = layers;
  return config;
}

Api<std::string> list_functions(const Snapshot& snapshot, const std::string& function_version,
                                const std::string& marker, const std::string& max_items) {
  if (!function_version.empty() && function_version != "ALL") {
    return validation_error("1 validation error detected: Value '" + function_version +
                            "' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [ALL]");
  }
  std::vector<const Deployed*> listed;
  for (const auto& f : snapshot.functions) {
    listed.push_back(&f);
    if (function_version.empty()) continue;
    for (const auto& v : snapshot.versions)  // by name, then number
      if (v.record.name == f.record.name) listed.push_back(&v);
  }
  // "returns a maximum of 50 items in each response, even if you set the
  // number higher" (ListFunctions, Lambda API reference).
  return paged(
      listed, "Functions", marker, max_items, [](const Deployed* f) { return configuration(*f); }, 50);
}

std::string get_function(const Deployed& function, const std::string& function_arn) {
  json configured = configuration(function);
  configured["FunctionArn"] = function_arn;
  json body{{"Configuration", configured},
            {"Code", {{"RepositoryType", "S3"}, {"Location", "file://" + function.record.code_dir}}},
            {"Tags", function.tags}};
  if (function.reserved_concurrency) {
    body["Concurrency"] = {{"ReservedConcurrentExecutions", *function.reserved_concurrency}};
  }
  return body.dump();
}

Api<std::string> list_layers(const Snapshot& snapshot, const LayerFilter& filter, const std::string& marker,
                             const std::string& max_items) {
  if (auto refused = refused_filter(filter)) return *refused;
  std::set<std::string> names;
  for (const auto& l : snapshot.layers) names.insert(l.layer_name);
  std::vector<const state::LayerVersionRecord*> latest;  // by name
  for (const auto& name : names) {
    auto versions = live_versions(snapshot, LayerRef{name, ""}, filter);
    if (!versions.empty()) latest.push_back(versions.front());
  }
  return paged(latest, "Layers", marker, max_items, [&](const state::LayerVersionRecord* l) {
    return json{{"LayerName", l->layer_name},
                {"LayerArn", layer_arn_of(*l)},
                {"LatestMatchingVersion", layer_version_item(snapshot, *l)}};
  });
}

Api<std::string> list_layer_versions(const Snapshot& snapshot, const std::string& layer,
                                     const LayerFilter& filter, const std::string& marker,
                                     const std::string& max_items) {
  auto ref = parse_layer_name(layer);
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  if (auto refused = refused_filter(filter)) return *refused;
  return paged(live_versions(snapshot, std::get<LayerRef>(ref), filter), "LayerVersions", marker, max_items,
               [&](const state::LayerVersionRecord* l) { return layer_version_item(snapshot, *l); });
}

Api<std::string> get_layer_version(const Snapshot& snapshot, const std::string& layer,
                                   const std::string& version) {
  auto ref = parse_layer_name(layer);
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  for (const auto* l : live_versions(snapshot, std::get<LayerRef>(ref), {})) {
    if (std::to_string(l->version) == version) return layer_version_body(snapshot, *l);
  }
  return layer_not_found();
}

Api<std::string> get_layer_version_by_arn(const Snapshot& snapshot, const std::string& arn) {
  if (!model::parse_layer_version_arn(arn)) {
    return invalid_parameter("1 validation error detected: Value '" + arn +
                             "' at 'arn' failed to satisfy constraint: Member must be a layer version ARN "
                             "(arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)");
  }
  for (const auto& l : snapshot.layers) {
    if (l.arn == arn && !l.deleted) return layer_version_body(snapshot, l);
  }
  return layer_not_found();
}

}  // namespace layered::invoke_api
