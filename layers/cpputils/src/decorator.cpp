// The handler decorator: one JSON log line per invocation, uniform errors.
#include "cpputils/decorator.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace cpputils {
namespace {

InvocationResponse retyped(const InvocationResponse& failure, std::string type, std::string message) {
  return InvocationResponse::failure(std::move(type), std::move(message), failure.stack_trace());
}

// The documented mapping; the causes of nested exceptions stay in stackTrace.
InvocationResponse map_exception(std::exception_ptr error) {
  InvocationResponse described = failure_from_exception(error);
  try {
    std::rethrow_exception(error);
  } catch (const InvalidInput& e) {
    return retyped(described, "InvalidInput", e.what());
  } catch (const std::invalid_argument& e) {
    return retyped(described, "InvalidInput", e.what());
  } catch (const std::out_of_range& e) {
    return retyped(described, "InvalidInput", e.what());
  } catch (const std::exception& e) {
    return retyped(described, "InternalError", e.what());
  } catch (...) {
    return retyped(described, "InternalError", "unknown exception");
  }
}

void log_line(std::ostream& out, const std::string& name, std::string_view request_id, double duration_ms,
              const InvocationResponse& result) {
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", duration_ms);
  std::string line = result.is_success() ? "{\"level\":\"INFO\"" : "{\"level\":\"ERROR\"";
  line.append(",\"function\":\"").append(json_escape(name));
  line.append("\",\"requestId\":\"").append(json_escape(request_id));
  line.append("\",\"durationMs\":").append(duration);
  if (result.is_success()) {
    line.append(",\"outcome\":\"success\"}\n");
  } else {
    line.append(",\"outcome\":\"error\",\"errorType\":\"").append(json_escape(result.error_type()));
    line.append("\",\"errorMessage\":\"").append(json_escape(result.error_message())).append("\"}\n");
  }
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.flush();  // the function may be frozen right after it answers
}

}  // namespace

Handler decorate(Handler handler, DecoratorOptions options) {
  return [handler = std::move(handler), options = std::move(options)](const InvocationRequest& request) {
    auto start = std::chrono::steady_clock::now();
    InvocationResponse result = [&] {
      try {
        return handler(request);
      } catch (...) {
        return map_exception(std::current_exception());
      }
    }();
    std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    log_line(options.log != nullptr ? *options.log : std::cout, options.name, request.request_id,
             elapsed.count(), result);
    return result;
  };
}

}  // namespace cpputils
