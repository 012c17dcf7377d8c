// One Invoke request, from the FunctionName in the path to the response:
// which function, which checks Lambda makes before any environment runs, and
// the headers the SDKs read from the answer.
#include "invoke_api/invocation.hpp"

#include <nlohmann/json.hpp>
#include <random>

namespace layered::invoke_api {

namespace {

// `route`: an alias's weighted routing draws a version (Invoke); else the
// alias's own version (the read APIs).
Api<const Deployed*> resolve(const FunctionRef& ref, const Snapshot& snapshot, bool route) {
  // A function lives in its stack's account and region: an ARN naming
  // another one names another function.
  const Deployed* found = snapshot.find(ref.name);
  const std::string region = found ? state::arn_region(found->record.arn) : snapshot.settings.region;
  const std::string account = found ? state::arn_account(found->record.arn) : snapshot.settings.account_id;
  if (!ref.region.empty() && ref.region != region) {
    return ApiError{404, "ResourceNotFoundException",
                    "Functions from '" + ref.region + "' are not reachable in this region ('" + region + "')",
                    ""};
  }
  std::string arn = "arn:" + (ref.partition.empty() ? std::string("aws") : ref.partition) +
                    ":lambda:" + region + ":" + (ref.account.empty() ? account : ref.account) +
                    ":function:" + ref.name;
  if (!ref.qualifier.empty()) arn += ":" + ref.qualifier;
  if (!found && snapshot.image_functions.contains(ref.name)) {
    return ApiError{404, "ResourceNotFoundException",
                    "Function not found: " + arn +
                        " (a container image function: layered records it but runs zip functions only)",
                    ""};
  }
  if (!found || (!ref.account.empty() && ref.account != account) ||
      (!ref.partition.empty() && ref.partition != "aws"))
    return function_not_found(arn);
  // Each alias invocation draws its own share of a weighted routing.
  thread_local std::mt19937 random{std::random_device{}()};
  found = snapshot.find(ref.name, ref.qualifier,
                        route ? std::uniform_real_distribution<double>(0, 1)(random) : 1.0);
  if (!found) return function_not_found(arn);
  return found;
}

// The function's ARN qualified as the caller named it: by its alias, its
// version, $LATEST, or not at all.
std::string arn_as_named(const Deployed& function, const FunctionRef& ref) {
  const std::string& arn = function.record.arn;
  const auto name_at = arn.find(":function:");
  const auto qualifier_at = name_at == std::string::npos ? arn.npos : arn.find(':', name_at + 10);
  std::string named = arn.substr(0, qualifier_at);
  if (!ref.qualifier.empty()) named += ":" + ref.qualifier;
  return named;
}

std::string parse_failure(const std::string& payload) {
  try {
    auto parsed = nlohmann::json::parse(payload);
    return parsed.is_discarded() ? "not JSON" : "";
  } catch (const nlohmann::json::parse_error& e) {
    std::string detail = e.what();
    if (auto at = detail.find("parse error"); at != std::string::npos) detail = detail.substr(at);
    return detail;
  } catch (const nlohmann::json::exception& e) {
    return json_exception_text(e);  // as a number beyond a double (1e400)
  }
  return "";
}

}  // namespace

Api<Request> prepare(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier,
                     const std::string& invocation_type, std::string payload,
                     const std::string& client_context) {
  // The request's shape is checked before anything is looked up, as
  // Lambda's front end does: a bad header is a 400 even for a missing function.
  auto ref = parse_function_name(function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  Request request;
  if (invocation_type.empty() || invocation_type == "RequestResponse") {
    request.type = InvocationType::request_response;
  } else if (invocation_type == "Event") {
    request.type = InvocationType::event;
  } else if (invocation_type == "DryRun") {
    request.type = InvocationType::dry_run;
  } else {
    return validation_error("1 validation error detected: Value '" + invocation_type +
                            "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [Event, RequestResponse, DryRun]");
  }
  auto function = resolve(std::get<FunctionRef>(ref), snapshot, true);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  request.function = std::get<const Deployed*>(function);
  // The ARN the context shows is the one the caller used (Lambda's
  // invoked_function_arn): an alias's stays the alias's.
  request.invoked_arn = arn_as_named(*request.function, std::get<FunctionRef>(ref));
  const bool async = request.type == InvocationType::event;
  const std::size_t limit = async ? kMaxAsyncPayload : kMaxSyncPayload;
  if (payload.size() > limit) return payload_too_large(async);
  // An empty body is an empty event, as the SDKs send it without Payload.
  if (payload.empty()) payload = "{}";
  if (!nlohmann::json::accept(payload)) return invalid_request_content(parse_failure(payload));
  request.payload = std::move(payload);
  // Lambda passes it on synchronous invocations only, and checks it on all.
  if (!client_context.empty()) {
    auto decoded = invoke::decode_client_context(client_context);
    if (!decoded && client_context.size() > invoke::kMaxClientContextBytes)
      return invalid_parameter(decoded.error().message);
    if (!decoded) return {ApiError{400, "InvalidRequestContentException", decoded.error().message, ""}};
    if (request.type == InvocationType::request_response) request.client_context = std::move(*decoded);
  }
  return request;
}

Api<Named> look_up(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier) {
  auto ref = parse_function_name(function_name, qualifier);
  if (auto* error = std::get_if<ApiError>(&ref)) return *error;
  auto function = resolve(std::get<FunctionRef>(ref), snapshot, false);
  if (auto* error = std::get_if<ApiError>(&function)) return *error;
  const Deployed* found = std::get<const Deployed*>(function);
  return Named{found, arn_as_named(*found, std::get<FunctionRef>(ref))};
}

Api<invoke::InvokeResult> run(Pools& pools, const Request& request,
                              const std::function<void(std::string_view)>& note, bool verbose) {
  const Deployed& function = *request.function;
  auto acquired = pools.acquire(function);
  if (auto* error = std::get_if<ApiError>(&acquired)) {
    if (error->status >= 500) note(error->message + "\n");  // serve's terminal sees it too
    return *error;
  }
  Lease lease = std::move(std::get<Lease>(acquired));
  if (verbose && lease.prepared_ms && !lease.prepared_ahead) {
    note("serve: prepared an environment for '" + function.record.name + "' in " +
         std::to_string(*lease.prepared_ms) + " ms, on demand (before its Init)\n");
  }
  auto result =
      lease.env->invoke(request.payload, request.client_context, request.invoked_arn, request.request_id);
  // After a crash, timeout or out-of-memory the environment stays, as on
  // Lambda: its next invoke re-initializes the runtime in it.
  const bool reusable = result.ok() && lease.env->reusable();
  pools.release(std::move(lease), reusable);
  if (!result) {
    // The engine could not run it (a function's own failures are in the
    // result): no runtime got the event.
    auto error = service_error(format_error(result.error()));
    error.before_start = true;
    note(error.message + "\n");
    return error;
  }
  note(result->logs);
  return std::move(*result);
}

}  // namespace layered::invoke_api
