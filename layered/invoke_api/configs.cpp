// The read APIs SDK code calls around a function (ListTags,
// GetAccountSettings, GetPolicy, GetFunctionUrlConfig,
// ListFunctionUrlConfigs, GetFunctionEventInvokeConfig,
// GetProvisionedConcurrencyConfig), in Lambda's shapes. What layered never
// configures is answered as Lambda answers when nothing is configured; what a
// template defined and layered records without emulating is said to be so,
// never answered as absent.
#include <re2/re2.h>

#include "invoke_api/internal.hpp"
#include "invoke_api/invocation.hpp"
#include "store/store.hpp"

namespace layered::invoke_api {

using json = nlohmann::json;

namespace {

// Lambda's default quotas (docs/lambda-facts.md section 1): storage for all
// packages and layers, a function's package unzipped with its layers, a
// zip uploaded directly, concurrency.
constexpr std::int64_t kTotalCodeSize = 80530636800;
constexpr std::int64_t kCodeSizeUnzipped = 262144000;
constexpr std::int64_t kCodeSizeZipped = 52428800;
constexpr int kConcurrentExecutions = 1000;

// TaggableResource's pattern in Lambda's API model.
constexpr const char* kTaggablePattern =
    "arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_"
    "]+(:("
    "\\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-"
    "9a-"
    "fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)";

ApiError resource_not_found() {
  return {404, "ResourceNotFoundException", "The resource you requested does not exist.", ""};
}

// A template's resource that layered records but does not emulate: not a
// ResourceNotFoundException (code reads that as "not configured"), and not
// a 5xx, which the SDKs would retry.
ApiError not_emulated(const RecordedSetting& setting, const std::string& operation) {
  return {400, "NotEmulatedException",
          setting.type + " '" + setting.where + "' applies to " + setting.target +
              ": layered records it but does not emulate it, so " + operation +
              " cannot answer what Lambda would",
          ""};
}

// The ARN as recorded settings name their target: "$LATEST" left out.
std::string unlatest(std::string arn) {
  if (arn.ends_with(":$LATEST")) arn.resize(arn.size() - 8);
  return arn;
}

const RecordedSetting* recorded_for(const Snapshot& snapshot, const std::string& type,
                                    const std::string& arn) {
  for (const auto& r : snapshot.recorded)
    if (r.type == type && r.target == unlatest(arn)) return &r;
  return nullptr;
}

// A configuration layered never makes: not found, unless the template
// defined a resource of `type` for the function (recorded, not emulated).
Api<std::string> never_configured(const Snapshot& snapshot, const std::string& function_name,
                                  const std::string& qualifier, const char* type, const char* operation) {
  auto found = look_up(snapshot, function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&found)) return *error;
  if (const auto* r = recorded_for(snapshot, type, std::get<Named>(found).arn))
    return not_emulated(*r, operation);
  return resource_not_found();
}

}  // namespace

Api<std::string> list_tags(const Snapshot& snapshot, const std::string& resource) {
  static const re2::RE2 taggable(kTaggablePattern);
  if (resource.size() > 256 || !re2::RE2::FullMatch(resource, taggable))
    return constraint_error(resource, "resource", 256, kTaggablePattern);
  if (resource.find(":function:") == std::string::npos) {
    if (const auto* r = recorded_for(snapshot, "AWS::Lambda::EventSourceMapping", resource))
      return not_emulated(*r, "ListTags");
    return resource_not_found();  // no code signing configuration or capacity provider is ever made
  }
  auto found = look_up(snapshot, resource, "");
  if (auto* error = std::get_if<ApiError>(&found)) return *error;
  // Tags are the function's: a version or an alias has its function's.
  return json{{"Tags", std::get<Named>(found).function->tags}}.dump();
}

std::string get_account_settings(const Snapshot& snapshot) {
  std::int64_t reserved = 0;
  std::int64_t code = 0;
  // The CodeSize serve reports for each function, version and layer version.
  for (const auto& f : snapshot.functions) {
    reserved += f.reserved_concurrency.value_or(0);
    code += f.code_size;
  }
  for (const auto& v : snapshot.versions) code += v.code_size;
  for (const auto& l : snapshot.layers) {
    if (l.deleted) continue;
    code += static_cast<std::int64_t>(store::unpacked_size(l.content_dir));
  }
  json limit{{"TotalCodeSize", kTotalCodeSize},
             {"CodeSizeUnzipped", kCodeSizeUnzipped},
             {"CodeSizeZipped", kCodeSizeZipped},
             {"ConcurrentExecutions", kConcurrentExecutions},
             {"UnreservedConcurrentExecutions", kConcurrentExecutions - reserved}};
  json usage{{"TotalCodeSize", code}, {"FunctionCount", snapshot.functions.size()}};
  return json{{"AccountLimit", limit}, {"AccountUsage", usage}}.dump();
}

Api<std::string> get_policy(const Snapshot& snapshot, const std::string& function_name,
                            const std::string& qualifier) {
  return never_configured(snapshot, function_name, qualifier, "AWS::Lambda::Permission", "GetPolicy");
}

Api<std::string> get_function_url_config(const Snapshot& snapshot, const std::string& function_name,
                                         const std::string& qualifier) {
  return never_configured(snapshot, function_name, qualifier, "AWS::Lambda::Url", "GetFunctionUrlConfig");
}

Api<std::string> list_function_url_configs(const Snapshot& snapshot, const std::string& function_name,
                                           const std::string& marker, const std::string& max_items) {
  auto found = look_up(snapshot, function_name, "");
  if (auto* error = std::get_if<ApiError>(&found)) return *error;
  const std::string arn = std::get<Named>(found).function->record.arn;
  for (const auto& r : snapshot.recorded) {
    if (r.type == "AWS::Lambda::Url" && (r.target == arn || r.target.starts_with(arn + ":")))
      return not_emulated(r, "ListFunctionUrlConfigs");
  }
  return paged(std::vector<json>{}, "FunctionUrlConfigs", marker, max_items, [](const json& j) { return j; });
}

Api<std::string> get_event_invoke_config(const Snapshot& snapshot, const std::string& function_name,
                                         const std::string& qualifier) {
  auto found = look_up(snapshot, function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&found)) return *error;
  const std::string& arn = std::get<Named>(found).arn;
  if (const auto* r = recorded_for(snapshot, "AWS::Lambda::EventInvokeConfig", arn))
    return not_emulated(*r, "GetFunctionEventInvokeConfig");
  // Lambda names the configuration's qualifier, $LATEST when none.
  const bool qualified = arn.find(':', arn.find(":function:") + 10) != std::string::npos;
  return ApiError{
      404, "ResourceNotFoundException",
      "The function " + (qualified ? arn : arn + ":$LATEST") + " doesn't have an EventInvokeConfig", ""};
}

Api<std::string> get_provisioned_concurrency(const Snapshot& snapshot, const std::string& function_name,
                                             const std::string& qualifier) {
  auto ref = parse_function_name(function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  if (std::get<FunctionRef>(ref).qualifier.empty()) {
    return validation_error(
        "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must "
        "not be "
        "null");
  }
  auto found = look_up(snapshot, function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&found)) return *error;
  if (const auto* r = recorded_for(snapshot, "ProvisionedConcurrencyConfig", std::get<Named>(found).arn))
    return not_emulated(*r, "GetProvisionedConcurrencyConfig");
  return ApiError{404, "ProvisionedConcurrencyConfigNotFoundException",
                  "No Provisioned Concurrency Config found for this function", ""};
}

}  // namespace layered::invoke_api
