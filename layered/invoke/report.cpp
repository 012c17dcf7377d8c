// What an invocation reports: Lambda's REPORT line, error payloads, --json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "invoke/invoke.hpp"
#include "invoke/lifecycle.hpp"

namespace layered::invoke {

using nlohmann::json;

namespace {

std::string two_decimals(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

}  // namespace

std::string Report::line() const {
  std::string s = "REPORT RequestId: " + request_id + "\tDuration: " + two_decimals(duration_ms) +
                  " ms\tBilled Duration: " + std::to_string(billed_ms) +
                  " ms\tMemory Size: " + std::to_string(memory_mb) +
                  " MB\tMax Memory Used: " + std::to_string(max_memory_used_mb) + " MB\t";
  if (init_duration_ms) s += "Init Duration: " + two_decimals(*init_duration_ms) + " ms\t";
  if (status.empty()) return s;
  s += "Status: " + status;
  if (!error_type.empty()) s += "\tError Type: " + error_type;
  return s;
}

std::string init_report_line(double duration_ms, const std::string& phase, const std::string& status,
                             const std::string& error_type) {
  std::string s = "INIT_REPORT Init Duration: " + two_decimals(duration_ms) + " ms\tPhase: " + phase +
                  "\tStatus: " + status;
  if (!error_type.empty()) s += "\tError Type: " + logged_error_type(error_type);
  return s;
}

std::string platform_error(const std::string& type, const std::string& request_id, const std::string& text) {
  return json{{"errorType", type}, {"errorMessage", "RequestId: " + request_id + " Error: " + text}}.dump();
}

std::string timeout_text(int timeout_s) {
  return "Task timed out after " + two_decimals(timeout_s) + " seconds";
}

std::string too_large_payload(std::size_t size) {
  return json{{"errorType", "Function.ResponseSizeTooLarge"},
              {"errorMessage", "Response payload size (" + std::to_string(size) +
                                   " bytes) exceeded maximum allowed payload size (6291556 bytes)."}}
      .dump();
}

FunctionFailure function_failure(const std::string& body, const std::string& header_type) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    std::string type = header_type;
    if (type.empty() && parsed.contains("errorType") && parsed["errorType"].is_string())
      type = parsed["errorType"].get<std::string>();
    return {body, type};
  }
  // Lambda builds the error from the header when the body is unusable.
  std::string type = header_type.empty() ? "Runtime.Unknown" : header_type;
  return {
      json{{"errorType", type}, {"errorMessage", body}}.dump(-1, ' ', false, json::error_handler_t::replace),
      type};
}

std::string logged_error_type(const std::string& type) {
  std::string_view rest = type;
  if (rest.starts_with("Runtime."))
    rest.remove_prefix(8);
  else if (rest.starts_with("Function."))
    rest.remove_prefix(9);
  else
    return "Runtime.Unknown";
  const bool letters = rest.size() >= 2 && std::all_of(rest.begin(), rest.end(), [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                       });
  return letters && rest.front() >= 'A' && rest.front() <= 'Z' ? type : "Runtime.Unknown";
}

Status validate_event(const std::string& payload, const std::string& where) {
  constexpr std::size_t kMaxRequest = 6291456;
  if (payload.size() > kMaxRequest) {
    return make_error(
        "the event is " + std::to_string(payload.size()) +
            " bytes: Lambda's request must be smaller than 6291456 bytes for the InvokeFunction "
            "operation",
        where, "send a smaller event (Lambda answers RequestTooLargeException)");
  }
  if (json::accept(payload)) return Ok{};
  try {
    json parsed = json::parse(payload);
  } catch (const json::parse_error& e) {
    std::string detail = e.what();
    if (auto colon = detail.find("parse error"); colon != std::string::npos) detail = detail.substr(colon);
    return make_error("the event is not valid JSON: " + detail, where,
                      "Lambda rejects it too (InvalidRequestContentException); fix the event or send '{}'");
  } catch (const json::exception& e) {
    // Valid JSON nlohmann cannot hold, as a number beyond a double (1e400).
    return make_error("the event holds JSON layered cannot read: " + json_exception_text(e), where,
                      "send numbers a double can hold");
  }
  return Ok{};
}

std::string to_json(const InvokeResult& result) {
  // A payload that is JSON is embedded as JSON; anything else (not JSON,
  // not UTF-8, or nested deeper than a recursive dump can take) as a string.
  json payload = json_nesting_depth(result.payload) <= kMaxJsonDepth
                     ? json::parse(result.payload, nullptr, false)
                     : json(json::value_t::discarded);
  if (payload.is_discarded()) payload = result.payload;
  const Report& r = result.report;
  json report{
      {"requestId", r.request_id},
      {"durationMs", std::round(r.duration_ms * 100) / 100},
      {"billedMs", r.billed_ms},
      {"memoryMb", r.memory_mb},
      {"maxMemoryUsedMb", r.max_memory_used_mb},
      {"initDurationMs", r.init_duration_ms ? json(std::round(*r.init_duration_ms * 100) / 100) : json()}};
  if (!r.status.empty()) report["status"] = r.status;
  if (!r.error_type.empty()) report["errorType"] = r.error_type;
  return json{{"payload", payload},
              {"functionError", result.function_error.empty() ? json() : json(result.function_error)},
              {"errorType", result.error_type.empty() ? json() : json(result.error_type)},
              {"logs", result.logs},
              {"report", report}}
      .dump(-1, ' ', false, json::error_handler_t::replace);  // bytes that are not UTF-8 become U+FFFD
}

}  // namespace layered::invoke
