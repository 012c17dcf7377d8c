// ListVersionsByFunction, ListAliases, GetAlias and GetFunctionConcurrency
// in the shapes of the Lambda API reference: what SDK code reads of one
// function before invoking it or a qualifier of it.
#include <algorithm>

#include "invoke_api/internal.hpp"
#include "invoke_api/invocation.hpp"
#include "store/store.hpp"

namespace layered::invoke_api {

using json = nlohmann::json;

namespace {

std::string unqualified_arn(const Snapshot& snapshot, const std::string& name) {
  return "arn:aws:lambda:" + snapshot.settings.region + ":" + snapshot.settings.account_id +
         ":function:" + name;
}

// The function a FunctionName path parameter names, in its own account and
// region; a qualifier names no function here.
Api<const Deployed*> function_of(const Snapshot& snapshot, const std::string& function_name) {
  auto named = look_up(snapshot, function_name, "");
  if (auto* error = std::get_if<ApiError>(&named)) return *error;
  const auto& [function, arn] = std::get<Named>(named);
  if (function->record.version != "$LATEST") return function_not_found(arn);
  return function;
}

json alias_configuration(const state::AliasRecord& a) {
  json body{{"AliasArn", a.arn},
            {"Name", a.name},
            {"FunctionVersion", a.function_version},
            {"Description", a.description},
            {"RevisionId", store::uuid_of(a.arn + a.function_version)}};
  if (!a.routing.empty()) {
    json weights = json::object();
    for (const auto& [version, weight] : a.routing) weights[version] = weight;
    body["RoutingConfig"] = {{"AdditionalVersionWeights", weights}};
  }
  return body;
}

}  // namespace

Api<std::string> list_versions(const Snapshot& snapshot, const std::string& function_name,
                               const std::string& marker, const std::string& max_items) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const Deployed* latest = std::get<const Deployed*>(function);
  // $LATEST first, with its unqualified ARN qualified as Lambda lists it.
  json latest_config = configuration(*latest);
  latest_config["FunctionArn"] = latest->record.arn + ":$LATEST";
  std::vector<json> versions{latest_config};
  for (const auto& v : snapshot.versions) {
    if (v.record.name == latest->record.name) versions.push_back(configuration(v));
  }
  return paged(versions, "Versions", marker, max_items, [](const json& v) { return v; });
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

Api<std::string> list_aliases(const Snapshot& snapshot, const std::string& function_name,
                              const std::string& function_version, const std::string& marker,
                              const std::string& max_items) {
  auto function = function_of(snapshot, function_name);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const std::string& name = std::get<const Deployed*>(function)->record.name;
  std::vector<const state::AliasRecord*> aliases;
  for (const auto& a : snapshot.aliases) {
    // FunctionVersion: only the aliases that point at that version.
    if (a.function == name && (function_version.empty() || a.function_version == function_version))
      aliases.push_back(&a);
  }
  return paged(aliases, "Aliases", marker, max_items,
               [](const state::AliasRecord* a) { return alias_configuration(*a); });
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
