// The Lambda Runtime API client, shipped in the `cpputils` layer.
//
// A handler is a function from a request to a response. `serve()` runs the
// Runtime API loop: it fetches each event, calls the handler, and posts the
// response or the error. A handler that throws is reported as a function
// error and the process keeps serving; a failure during init is reported to
// `/runtime/init/error` and the process exits.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cpputils/export.hpp"

namespace cpputils {

// One invocation, as Lambda describes it. The views point into the client's
// buffers and stay valid until the handler returns: a 6 MB payload is not
// copied on its way to the handler.
struct InvocationRequest {
  std::string_view payload;
  std::string_view request_id;                     // Lambda-Runtime-Aws-Request-Id
  std::string_view function_arn;                   // Lambda-Runtime-Invoked-Function-Arn
  std::string_view trace_id;                       // Lambda-Runtime-Trace-Id ("" if absent)
  std::string_view client_context;                 // Lambda-Runtime-Client-Context ("" if absent)
  std::string_view cognito_identity;               // Lambda-Runtime-Cognito-Identity ("" if absent)
  std::string_view tenant_id;                      // Lambda-Runtime-Aws-Tenant-Id ("" if absent)
  std::string_view content_type;                   // of the payload
  std::chrono::system_clock::time_point deadline;  // Lambda-Runtime-Deadline-Ms (max() if absent)

  // Time left before Lambda stops this invocation (never negative).
  CPPUTILS_API std::chrono::milliseconds remaining_time() const;
};

// Throw from a handler when the caller sent input the function cannot use:
// it is reported as errorType "InvalidInput" with the message (see
// failure_from_exception).
class CPPUTILS_API InvalidInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The `errorType` of a function error, e.g. ErrorType{"NotFound"}. A type of
// its own so that the type and the message can never be swapped: a call
// ported from aws-lambda-cpp, `failure(message, type)`, does not compile.
struct ErrorType {
  explicit ErrorType(std::string type_name) : name(std::move(type_name)) {}
  std::string name;
};

// What a handler returns: a payload, or an error in Lambda's error shape.
class InvocationResponse {
 public:
  // A JSON payload (Content-Type application/json).
  CPPUTILS_API static InvocationResponse success(std::string payload);
  CPPUTILS_API static InvocationResponse success(std::string payload, std::string content_type);
  // A function error: callers see `errorType` and `errorMessage`, and
  // `stackTrace` lines when given (for example the causes of a nested
  // exception).
  CPPUTILS_API static InvocationResponse failure(ErrorType type, std::string message,
                                                 std::vector<std::string> stack_trace = {});

  bool is_success() const { return success_; }
  const std::string& payload() const { return payload_; }  // success body
  std::string_view content_type() const {
    return fixed_content_type_ != nullptr ? std::string_view(fixed_content_type_) : content_type_;
  }
  const std::string& error_type() const { return error_type_; }
  const std::string& error_message() const { return error_message_; }
  const std::vector<std::string>& stack_trace() const { return stack_trace_; }
  // Lambda's error JSON: {"errorMessage":..,"errorType":..,"stackTrace":[..]}.
  CPPUTILS_API std::string error_json() const;

 private:
  bool success_ = true;
  std::string payload_;
  // The usual content types are constants: no allocation per invocation.
  const char* fixed_content_type_ = nullptr;
  std::string content_type_;
  std::string error_type_;
  std::string error_message_;
  std::vector<std::string> stack_trace_;
};

using Handler = std::function<InvocationResponse(const InvocationRequest&)>;

// Runs the Runtime API loop with a ready handler. Returns the process exit
// code when the loop cannot go on (the Runtime API is gone or refuses us).
CPPUTILS_API int serve(Handler handler);

// Runs `init` first (open databases, parse config, ...) and then serves the
// handler it returns. An exception from `init` is posted to
// `/runtime/init/error` and serve returns 1, so that main can exit.
CPPUTILS_API int serve(const std::function<Handler()>& init);

// The one mapping of exceptions to function errors, used by serve() for a
// handler (or init) that throws, and by decorate():
// - cpputils::InvalidInput (decorator.hpp) is the only way to blame the
//   caller: errorType "InvalidInput", errorMessage its what().
// - Any other exception is the function's own error, reported as what it
//   is: errorType its demangled type ("std::out_of_range", "db::Timeout";
//   Lambda accepts any errorType), errorMessage its what().
//   std::invalid_argument and std::out_of_range are no exception: they
//   usually come from a bug (`vector::at`, `stoi` on a
//   config value); a handler that means "bad input" throws InvalidInput.
// - A thrown non-std::exception: errorType its type ("int"), errorMessage
//   "unknown exception".
// stackTrace is the chain of std::nested_exception causes as
// "<type>: <what>", outermost first.
CPPUTILS_API InvocationResponse failure_from_exception(const std::exception_ptr& error);

// Escapes a string for a JSON string literal (without the quotes).
CPPUTILS_API std::string json_escape(std::string_view text);

}  // namespace cpputils
