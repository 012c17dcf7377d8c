// Lambda's error responses as the SDKs parse them (restJson): the code in the
// x-amzn-ErrorType header, the text in the body's "message" or "Message"
// (botocore's RestJSONParser and the JS SDK v3's loadRestJsonErrorCode read
// either, and the exception's modelled field the one its shape names).
#include <nlohmann/json.hpp>

#include "invoke_api/events.hpp"
#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

ApiError function_not_found(const std::string& arn) {
  return {404, "ResourceNotFoundException", "Function not found: " + arn, ""};
}

ApiError request_too_large(std::size_t limit, const std::string& operation) {
  return {
      413, "RequestTooLargeException",
      "Request must be smaller than " + std::to_string(limit) + " bytes for the " + operation + " operation",
      ""};
}

ApiError payload_too_large(bool event) {
  return event ? request_too_large(kMaxAsyncPayload, "InvokeAsync")
               : request_too_large(kMaxSyncPayload, "InvokeFunction");
}

ApiError invalid_request_content(const std::string& detail) {
  return {400, "InvalidRequestContentException", "Could not parse request body into json: " + detail, ""};
}

ApiError invalid_parameter(const std::string& message) {
  return {400, "InvalidParameterValueException", message, ""};
}

ApiError validation_error(const std::string& message) { return {400, "ValidationException", message, ""}; }

ApiError constraint_error(const std::string& value, const std::string& member, std::size_t max_length,
                          const std::string& pattern) {
  const std::string prefix = "1 validation error detected: Value '" + value + "' at '" + member +
                             "' failed to satisfy constraint: Member must ";
  if (value.size() > max_length)
    return validation_error(prefix + "have length less than or equal to " + std::to_string(max_length));
  return validation_error(prefix + "satisfy regular expression pattern: " + pattern);
}

ApiError not_in_enum(const std::string& value, const std::string& member,
                     const std::vector<std::string>& values) {
  std::string set;
  for (const auto& v : values) set += (set.empty() ? "" : ", ") + v;
  return validation_error("1 validation error detected: Value '" + value + "' at '" + member +
                          "' failed to satisfy constraint: Member must satisfy enum value set: [" + set +
                          "]");
}

ApiError throttled(const std::string& reason) {
  return {429, "TooManyRequestsException", "Rate Exceeded.", reason};
}

ApiError event_queue_full() {
  ApiError e = throttled("ConcurrentInvocationLimitExceeded");
  e.message += " layered serve's queue of Event invocations is full (" +
               std::to_string(EventQueue::kMaxEvents) + " events or " +
               std::to_string(EventQueue::kMaxBytes >> 20U) +
               " MB of payloads, where Lambda's has no bound): send it again once events have run";
  return e;
}

ApiError service_error(const std::string& message) { return {500, "ServiceException", message, ""}; }

std::string error_body(const ApiError& error) {
  // The Lambda API model spells the member "Message" for these (botocore
  // and the JS SDK read it into the exception's Message field).
  const bool capital = error.type == "ResourceNotFoundException" || error.type == "ServiceException";
  nlohmann::json body{{capital ? "Message" : "message", error.message}};
  // ValidationException is the front end's, outside the model: no Type.
  if (error.type != "ValidationException") body["Type"] = error.status >= 500 ? "Service" : "User";
  if (!error.reason.empty()) body["Reason"] = error.reason;
  // The message may quote what the client sent, which need not be UTF-8.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string log_tail(const std::string& logs) {
  std::string_view view = logs;
  if (view.size() > kLogTailBytes) view.remove_prefix(view.size() - kLogTailBytes);
  return base64_encode(view);
}

}  // namespace layered::invoke_api
