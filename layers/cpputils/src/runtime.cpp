// The Runtime API loop: GET /next, call the handler, POST /response or /error.
// Diagnostics go to stderr; stdout belongs to the function's log.
#include "cpputils/runtime.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "http_client.hpp"

namespace cpputils {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr std::string_view api_base = "/2018-06-01/runtime/";
constexpr std::string_view error_content_type = "application/vnd.aws.lambda.error+json";

void report(std::string_view message) {
  std::fprintf(stderr, "cpputils: error: %.*s\n", static_cast<int>(message.size()), message.data());
}

// Keeps a header value on one line whatever the handler put in it.
std::string header_safe(std::string_view value) {
  std::string safe(value);
  for (char& c : safe) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return safe;
}

// Request ids are UUIDs; anything else is percent-encoded so that it cannot
// change the request line.
void append_path_segment(std::string& out, std::string_view segment) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : segment) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.' || c == '~';
    if (plain) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  }
}

std::string snippet(std::string_view body) {
  std::string text(body.substr(0, 200));
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text.empty() ? "(empty body)" : text;
}

system_clock::time_point parse_deadline(std::string_view text) {
  long long ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || ms < 0) {
    return system_clock::time_point::max();
  }
  return system_clock::time_point(milliseconds(ms));
}

InvocationRequest to_request(const http::Response& next) {
  const http::ResponseHead& head = next.head;
  InvocationRequest request;
  request.payload = next.body;
  request.request_id = head.header("Lambda-Runtime-Aws-Request-Id");
  request.function_arn = head.header("Lambda-Runtime-Invoked-Function-Arn");
  request.trace_id = head.header("Lambda-Runtime-Trace-Id");
  request.client_context = head.header("Lambda-Runtime-Client-Context");
  request.cognito_identity = head.header("Lambda-Runtime-Cognito-Identity");
  request.tenant_id = head.header("Lambda-Runtime-Aws-Tenant-Id");
  request.content_type = head.header("Content-Type");
  request.deadline = parse_deadline(head.header("Lambda-Runtime-Deadline-Ms"));
  return request;
}

// X-Ray and the AWS SDKs read the trace id of the current invocation from
// the environment; provided runtimes must set it themselves.
void export_trace_id(std::string_view trace_id) {
  if (trace_id.empty()) {
    ::unsetenv("_X_AMZN_TRACE_ID");
  } else {
    ::setenv("_X_AMZN_TRACE_ID", std::string(trace_id).c_str(), 1);
  }
}

class RuntimeApi {
 public:
  explicit RuntimeApi(std::string address) : client_(std::move(address)) {
    host_line_ = "Host: " + client_.address() + "\r\nUser-Agent: cpputils/1\r\n";
    next_head_ = "GET " + std::string(api_base) + "invocation/next HTTP/1.1\r\n" + host_line_ + "\r\n";
  }

  // No timeout: /next blocks until there is an event, and Lambda may freeze
  // the environment for any time in between (Runtime API spec).
  bool next(http::Response& response) { return client_.exchange(next_head_, {}, response); }

  // POST <api_base><path...> with `body`; `error_type` adds Lambda's error header.
  bool post(std::string_view what, std::string_view request_id, std::string_view content_type,
            std::string_view error_type, std::string_view body, http::Response& response) {
    head_.assign("POST ").append(api_base);
    if (!request_id.empty()) {
      head_ += "invocation/";
      append_path_segment(head_, request_id);
      head_ += '/';
    }
    head_.append(what).append(" HTTP/1.1\r\n").append(host_line_);
    head_.append("Content-Type: ").append(header_safe(content_type)).append("\r\n");
    if (!error_type.empty()) {
      head_.append("Lambda-Runtime-Function-Error-Type: ").append(header_safe(error_type)).append("\r\n");
    }
    head_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
    return client_.exchange(head_, body, response);
  }

  const std::string& error() const { return client_.error(); }

 private:
  http::Client client_;
  std::string host_line_;
  std::string next_head_;
  std::string head_;  // reused: no allocation per invocation once warm
};

// Posts the handler's result; false when the runtime cannot go on.
bool post_result(RuntimeApi& api, const std::string& request_id, const InvocationResponse& result) {
  http::Response answer;
  bool sent;
  if (result.is_success()) {
    sent = api.post("response", request_id, result.content_type(), {}, result.payload(), answer);
  } else {
    sent =
        api.post("error", request_id, error_content_type, result.error_type(), result.error_json(), answer);
  }
  if (!sent) {
    report(api.error());
    return false;
  }
  if (answer.status() >= 200 && answer.status() < 300) return true;
  report("the Runtime API refused the " + std::string(result.is_success() ? "response" : "error") +
         " for request '" + request_id + "' with HTTP " + std::to_string(answer.status()) + ": " +
         snippet(answer.body));
  // 400 (bad request id) and 413 (response too large) fail one invocation;
  // 403 and 5xx mean this environment is done (Runtime API spec).
  return answer.status() != 403 && answer.status() < 500;
}

InvocationResponse call_handler(const Handler& handler, const InvocationRequest& request) {
  try {
    return handler(request);
  } catch (...) {
    return failure_from_exception(std::current_exception());
  }
}

int run(RuntimeApi& api, const Handler& handler) {
  http::Response next;
  std::string request_id;
  for (;;) {
    if (!api.next(next)) {
      report(api.error());
      return 1;
    }
    if (next.status() < 200 || next.status() >= 300) {
      report("the Runtime API answered GET " + std::string(api_base) + "invocation/next with HTTP " +
             std::to_string(next.status()) + ": " + snippet(next.body));
      return 1;
    }
    InvocationRequest request = to_request(next);
    if (request.request_id.empty()) {
      report("protocol error: the Runtime API answered GET " + std::string(api_base) +
             "invocation/next without a Lambda-Runtime-Aws-Request-Id header");
      return 1;
    }
    request_id.assign(request.request_id);
    export_trace_id(request.trace_id);
    InvocationResponse result = call_handler(handler, request);
    if (!post_result(api, request_id, result)) return 1;
  }
}

int report_init_error(RuntimeApi& api, const InvocationResponse& failure) {
  report("init failed: " + failure.error_type() + ": " + failure.error_message());
  http::Response answer;
  if (!api.post("init/error", {}, error_content_type, failure.error_type(), failure.error_json(), answer)) {
    report(api.error());
  } else if (answer.status() < 200 || answer.status() >= 300) {
    report("the Runtime API refused the init error with HTTP " + std::to_string(answer.status()) + ": " +
           snippet(answer.body));
  }
  return 1;
}

}  // namespace

std::chrono::milliseconds InvocationRequest::remaining_time() const {
  auto now = system_clock::now();
  if (deadline <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(deadline - now);
}

int serve(const std::function<Handler()>& init) {
  try {
    const char* address = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (address == nullptr || *address == '\0') {
      report(
          "AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda function; run it on Lambda or with "
          "'layered invoke'");
      return 1;
    }
    RuntimeApi api(address);
    Handler handler;
    try {
      handler = init();
      if (!handler) throw std::logic_error("init returned an empty handler");
    } catch (...) {
      return report_init_error(api, failure_from_exception(std::current_exception()));
    }
    return run(api, handler);
  } catch (const std::exception& e) {  // e.g. std::bad_alloc in the loop itself
    report(std::string("the runtime client failed: ") + e.what());
    return 1;
  }
}

int serve(Handler handler) {
  return serve(std::function<Handler()>([&handler] { return std::move(handler); }));
}

}  // namespace cpputils
