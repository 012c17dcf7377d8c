// ListVersionsByFunction, ListAliases, GetAlias and GetFunctionConcurrency
// in the shapes of the Lambda API reference: what SDK code reads of one
// function before invoking it or a qualifier of it.
#include <algorithm>

#include "invoke_api/internal.hpp"
#include "store/store.hpp"

namespace layered::invoke_api {

using json = nlohmann::json;

namespace {

std::string unqualified_arn(const Snapshot& snapshot, const std::string& name) {
  return "arn:aws:lambda:" + snapshot.settings.region + ":" + snapshot.settings.account_id +
         ":function:" + name;
}

// The function a FunctionName path parameter names (no qualifier allowed).
Api<const Deployed*> function_of(const Snapshot& snapshot, const std::string& function_name) {
  auto ref = parse_function_name(function_name, "");
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  const auto& r = std::get<FunctionRef>(ref);
  const Deployed* found = snapshot.find(r.name);
  if (!found || !r.qualifier.empty()) return function_not_found(unqualified_arn(snapshot, r.name));
  return found;
}

json alias_configuration(const state::AliasRecord& a) {
  json body{{"AliasArn", a.arn},
            {"Name", a.name},
            {"FunctionVersion", a.function_version},
            {"Description", a.description},
            {"RevisionId", store::sha256_hex(a.arn + a.function_version).substr(0, 36)}};
  if (!a.routing.empty()) {
    json weights = json::object();
    for (const auto& [version, weight] : a.routing) weights[version] = weight;
    body["RoutingConfig"] = {{"AdditionalVersionWeights", weights}};
  }
  return body;
}

}  // namespace

Api<std::string> list_versions(const Snapshot& snapshot, const std::string& function_name) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const Deployed* latest = std::get<const Deployed*>(function);
  // $LATEST first, with its unqualified ARN qualified as Lambda lists it.
  json latest_config = configuration(*latest);
  latest_config["FunctionArn"] = latest->record.arn + ":$LATEST";
  json versions = json::array({latest_config});
  for (const auto& v : snapshot.versions) {
    if (v.record.name == latest->record.name) versions.push_back(configuration(v));
  }
  return json{{"Versions", versions}}.dump();
}

Api<std::string> get_function_concurrency(const Snapshot& snapshot, const std::string& function_name) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const auto& reserved = std::get<const Deployed*>(function)->reserved_concurrency;
  // Lambda answers {} when the function has no reserved concurrency.
  json body = json::object();
  if (reserved) body["ReservedConcurrentExecutions"] = *reserved;
  return body.dump();
}

Api<std::string> list_aliases(const Snapshot& snapshot, const std::string& function_name) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const std::string& name = std::get<const Deployed*>(function)->record.name;
  json aliases = json::array();
  for (const auto& a : snapshot.aliases) {
    if (a.function == name) aliases.push_back(alias_configuration(a));
  }
  return json{{"Aliases", aliases}}.dump();
}

Api<std::string> get_alias(const Snapshot& snapshot, const std::string& function_name,
                           const std::string& alias) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const std::string& name = std::get<const Deployed*>(function)->record.name;
  auto it = std::find_if(snapshot.aliases.begin(), snapshot.aliases.end(),
                         [&](const state::AliasRecord& a) { return a.function == name && a.name == alias; });
  if (it == snapshot.aliases.end()) {
    return ApiError{404, "ResourceNotFoundException",
                    "Alias not found: " + unqualified_arn(snapshot, name) + ":" + alias, ""};
  }
  return alias_configuration(*it).dump();
}

}  // namespace layered::invoke_api
