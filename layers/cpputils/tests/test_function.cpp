// A Lambda function on libcpputils whose behaviour the payload chooses, so
// that tests can drive every path of the runtime client from outside:
//   "throw:MSG"      throws std::runtime_error(MSG)
//   "nested:MSG"     throws std::runtime_error(MSG) nesting std::out_of_range("inner cause")
//   "invalid:MSG"    throws cpputils::InvalidInput(MSG)
//   "int"            throws 42
//   "fail:TYPE:MSG"  returns InvocationResponse::failure(ErrorType(TYPE), MSG)
//   "bytes:N"        answers N bytes of 'x'
//   "describe"       answers the request's fields as JSON
//   "exit:N"         exits with status N in the middle of the invocation
//   "heap"           answers the bytes the process has allocated and not freed
//   "print:MSG"      prints MSG with printf (no newline: it stays in stdio's buffer) and answers "printed"
//   anything else    answers the payload itself
// Environment: CPPUTILS_TEST_FAIL_INIT=MSG makes init throw std::runtime_error(MSG);
// CPPUTILS_TEST_UNDECORATED=1 serves the handler without cpputils::decorate.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "cpputils/decorator.hpp"
#include "cpputils/runtime.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (sanitizer/allocator_interface.h, which Debian
// ships with clang but not with g++).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace {

using cpputils::InvocationRequest;
using cpputils::InvocationResponse;
using cpputils::json_escape;

std::string json_field(const char* name, std::string_view value) {
  return std::string("\"") + name + "\":\"" + json_escape(value) + "\"";
}

InvocationResponse describe(const InvocationRequest& request) {
  const char* env_trace = std::getenv("_X_AMZN_TRACE_ID");
  bool no_deadline = request.deadline == std::chrono::system_clock::time_point::max();
  auto deadline_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline.time_since_epoch()).count();
  std::string json =
      "{" + json_field("requestId", request.request_id) + "," +
      json_field("functionArn", request.function_arn) + "," + json_field("traceId", request.trace_id) + "," +
      json_field("clientContext", request.client_context) + "," +
      json_field("cognitoIdentity", request.cognito_identity) + "," +
      json_field("tenantId", request.tenant_id) + "," + json_field("contentType", request.content_type) +
      "," + "\"deadlineMs\":" + (no_deadline ? "null" : std::to_string(deadline_ms)) + "," +
      "\"timeLeft\":" + (request.remaining_time().count() > 0 ? "true" : "false") + "," +
      "\"envTraceId\":" + (env_trace ? "\"" + json_escape(env_trace) + "\"" : "null") + "}";
  return InvocationResponse::success(std::move(json));
}

// Live heap bytes; under ASan from its allocator (freed blocks it holds in
// quarantine are not counted).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

InvocationResponse handle(const InvocationRequest& request) {
  std::string_view payload = request.payload;
  auto argument = [&](std::string_view command) { return std::string(payload.substr(command.size())); };
  if (payload.starts_with("throw:")) throw std::runtime_error(argument("throw:"));
  if (payload.starts_with("nested:")) {
    try {
      throw std::out_of_range("inner cause");
    } catch (...) {
      std::throw_with_nested(std::runtime_error(argument("nested:")));
    }
  }
  if (payload.starts_with("invalid:")) throw cpputils::InvalidInput(argument("invalid:"));
  if (payload == "int") throw 42;
  if (payload.starts_with("fail:")) {
    std::string rest = argument("fail:");
    std::size_t colon = rest.find(':');
    return InvocationResponse::failure(cpputils::ErrorType(rest.substr(0, colon)), rest.substr(colon + 1));
  }
  if (payload.starts_with("bytes:")) {
    return InvocationResponse::success(std::string(std::stoul(argument("bytes:")), 'x'),
                                       "application/octet-stream");
  }
  if (payload == "describe") return describe(request);
  if (payload == "heap") return InvocationResponse::success(std::to_string(heap_in_use()));
  if (payload.starts_with("print:")) {
    std::printf("%s", argument("print:").c_str());
    return InvocationResponse::success("printed");
  }
  if (payload.starts_with("exit:")) std::exit(std::stoi(argument("exit:")));
  return InvocationResponse::success(std::string(payload), std::string(request.content_type));
}

}  // namespace

int main() {
  return cpputils::serve([]() -> cpputils::Handler {
    if (const char* message = std::getenv("CPPUTILS_TEST_FAIL_INIT")) throw std::runtime_error(message);
    if (std::getenv("CPPUTILS_TEST_UNDECORATED") != nullptr) return handle;
    return cpputils::decorate(handle, {.name = "cpputils_test_function"});
  });
}
