// Helpers shared by the lifecycle and its reporting (internal to invoke).
#pragma once

#include <cstddef>
#include <string>

namespace layered::invoke {

// INIT_REPORT Init Duration: X ms<TAB>Phase: P<TAB>Status: S[<TAB>Error Type: T]
std::string init_report_line(double duration_ms, const std::string& phase, const std::string& status,
                             const std::string& error_type);

// {"errorType": type, "errorMessage": "RequestId: <id> Error: <text>"}
std::string platform_error(const std::string& type, const std::string& request_id, const std::string& text);

// "Task timed out after 3.00 seconds"
std::string timeout_text(int timeout_s);

// Function.ResponseSizeTooLarge with Lambda's message.
std::string too_large_payload(std::size_t size);

struct FunctionFailure {
  std::string payload;
  std::string error_type;
};
// The error a runtime posted (body + Lambda-Runtime-Function-Error-Type).
FunctionFailure function_failure(const std::string& body, const std::string& header_type);
// An error type a runtime gave, as Lambda's logs show it: one not of the form
// Runtime.Xxx or Function.Xxx is Runtime.Unknown.
std::string logged_error_type(const std::string& type);

}  // namespace layered::invoke
