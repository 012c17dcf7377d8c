// The Runtime API loop: GET /next, call the handler, POST /response or /error.
// Diagnostics go to stderr; stdout belongs to the function's log.
#include "cpputils/runtime.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "http_client.hpp"

namespace cpputils {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr std::string_view kApiBase = "/2018-06-01/runtime/";
constexpr std::string_view kErrorContentType = "application/vnd.aws.lambda.error+json";

void report(std::string_view message) {
  std::fprintf(stderr, "cpputils: error: %.*s\n", static_cast<int>(message.size()), message.data());
}

// Appends a header value kept on one line whatever the handler put in it.
void append_header_value(std::string& out, std::string_view value) {
  std::size_t start = out.size();
  out.append(value);
  if (std::memchr(value.data(), '\r', value.size()) == nullptr &&
      std::memchr(value.data(), '\n', value.size()) == nullptr) {
    return;
  }
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
}

// Request ids are UUIDs; anything else is percent-encoded so that it cannot
// change the request line.
void append_path_segment(std::string& out, std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> table{};
    for (unsigned char c :
         std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")) {
      table[c] = true;
    }
    return table;
  }();
  auto plain = [](char c) { return kPlain[static_cast<unsigned char>(c)]; };
  const auto* bytes = reinterpret_cast<const unsigned char*>(segment.data());
  bool all_plain = true;  // four bytes a step: a request id is 36 of them
  std::size_t i = 0;
  for (; i + 4 <= segment.size(); i += 4) {
    all_plain &= kPlain[bytes[i]] & kPlain[bytes[i + 1]] & kPlain[bytes[i + 2]] & kPlain[bytes[i + 3]];
  }
  for (; i < segment.size(); ++i) all_plain &= kPlain[bytes[i]];
  if (all_plain) {
    out.append(segment);
    return;
  }
  while (!segment.empty()) {
    std::size_t run = 0;
    while (run < segment.size() && plain(segment[run])) ++run;
    out.append(segment.substr(0, run));  // a UUID is one run
    segment.remove_prefix(run);
    if (segment.empty()) break;
    auto byte = static_cast<unsigned char>(segment.front());
    const char escaped[3] = {'%', kHex[byte >> 4], kHex[byte & 15]};
    out.append(escaped, sizeof escaped);
    segment.remove_prefix(1);
  }
}

std::string snippet(std::string_view body) {
  std::string text(body.substr(0, 200));
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text.empty() ? "(empty body)" : text;
}

// A deadline the clock cannot represent is as good as none.
system_clock::time_point parse_deadline(std::string_view text) {
  static constexpr auto kLatest =
      std::chrono::duration_cast<milliseconds>(system_clock::duration::max()).count();
  std::optional<std::size_t> ms = http::parse_decimal(text);
  if (!ms || *ms > static_cast<std::size_t>(kLatest)) return system_clock::time_point::max();
  return system_clock::time_point(milliseconds(static_cast<milliseconds::rep>(*ms)));
}

// The headers of an event that the client reads, in the order of the fields
// of to_request; the parser marks each header with its index here.
constexpr std::array<std::string_view, 8> kEventHeaders = {
    "Lambda-Runtime-Aws-Request-Id",
    "Lambda-Runtime-Deadline-Ms",
    "Lambda-Runtime-Invoked-Function-Arn",
    "Lambda-Runtime-Trace-Id",
    "Content-Type",
    "Lambda-Runtime-Client-Context",
    "Lambda-Runtime-Cognito-Identity",
    "Lambda-Runtime-Aws-Tenant-Id",
};

constexpr http::KnownNames kEventHeaderIndex(kEventHeaders, http::KnownNames::Others::dropped);

// The first header of each name wins.
InvocationRequest to_request(const http::Response& next) {
  InvocationRequest request;
  std::string_view deadline;
  const std::array<std::string_view*, kEventHeaders.size()> fields = {
      &request.request_id,       &deadline,
      &request.function_arn,     &request.trace_id,
      &request.content_type,     &request.client_context,
      &request.cognito_identity, &request.tenant_id,
  };
  unsigned found = 0;
  for (const http::Header& header : next.head.headers) {
    if (header.known < 0) continue;
    auto i = static_cast<unsigned>(header.known);
    if ((found & (1U << i)) == 0) *fields[i] = header.value;
    found |= 1U << i;
  }
  request.payload = next.body;
  request.deadline = parse_deadline(deadline);
  return request;
}

// X-Ray and the AWS SDKs read the trace id of the current invocation from
// the environment; provided runtimes must set it themselves. Not with
// setenv: glibc keeps every distinct value it was ever given (a warm
// environment would grow by each invocation's trace id) and scans the whole
// environment each time. The entry is one buffer of ours, put in place once
// and rewritten in place (POSIX putenv: the string becomes part of the
// environment); it is put again only when the environment no longer holds it
// (the handler set the variable itself) or the value outgrows it.
class TraceIdVariable {
 public:
  void set(std::string_view trace_id) {
    if (trace_id.empty()) {
      if (state_ != State::absent) ::unsetenv(kName);
      state_ = State::absent;
      return;
    }
    std::size_t size = sizeof kName + trace_id.size() + 1;  // "NAME=value\0"
    if (state_ != State::ours || size > capacity_ || !still_ours()) {
      place(size);
    }
    char* value = buffer_.get() + sizeof kName;
    trace_id.copy(value, trace_id.size());
    value[trace_id.size()] = '\0';
  }

 private:
  static constexpr char kName[] = "_X_AMZN_TRACE_ID";
  enum class State { unknown, absent, ours };

  // Whether the environment still holds our buffer where we put it.
  bool still_ours() const { return environ == environ_ && slot_ != nullptr && *slot_ == buffer_.get(); }

  void place(std::size_t size) {
    if (size > capacity_) {
      // The old buffer stays alive: a pointer from getenv may still see it.
      if (buffer_) retired_.push_back(std::move(buffer_));
      capacity_ = std::max<std::size_t>(2 * size, 256);
      buffer_ = std::make_unique<char[]>(capacity_);
      std::memcpy(buffer_.get(), kName, sizeof kName - 1);
      buffer_[sizeof kName - 1] = '=';
      buffer_[sizeof kName] = '\0';
    }
    ::putenv(buffer_.get());
    environ_ = environ;
    slot_ = nullptr;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (*entry == buffer_.get()) slot_ = entry;
    }
    state_ = State::ours;
  }

  State state_ = State::unknown;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::vector<std::unique_ptr<char[]>> retired_;
  char** environ_ = nullptr;
  char** slot_ = nullptr;
};

// Where a result goes: /invocation/<id>/response, /invocation/<id>/error or
// /init/error.
enum class Post { response, error, init_error };

class RuntimeApi {
 public:
  explicit RuntimeApi(std::string address) : client_(std::move(address)) {
    std::string host_line = "Host: " + client_.address() + "\r\nUser-Agent: cpputils/1\r\n";
    next_head_ = "GET " + std::string(kApiBase) + "invocation/next HTTP/1.1\r\n" + host_line + "\r\n";
    std::string headers = " HTTP/1.1\r\n" + host_line + "Content-Type: ";
    response_tail_ = "/response" + headers;
    error_tail_ = "/error" + headers;
    init_error_line_ = "POST " + std::string(kApiBase) + "init/error" + headers;
    invocation_head_ = "POST " + std::string(kApiBase) + "invocation/";
    invocation_prefix_size_ = invocation_head_.size();
  }

  // No timeout: /next blocks until there is an event, and Lambda may freeze
  // the environment for any time in between (Runtime API spec).
  bool next(http::Response& response) {
    return client_.exchange(next_head_, {}, response, kEventHeaderIndex);
  }

  // POSTs `body` (`request_id` names the invocation, none for init/error);
  // `error_type` adds Lambda's error header. An invocation's head is built
  // in a reused string that keeps its first piece, "POST
  // /2018-06-01/runtime/invocation/": this runs once per invocation.
  bool post(Post target, std::string_view request_id, std::string_view content_type,
            std::string_view error_type, std::string_view body, http::Response& response) {
    std::string init_head;  // posted once: not worth a reused string
    std::string& head = target == Post::init_error ? init_head : invocation_head_;
    if (target == Post::init_error) {
      head = init_error_line_;
    } else {
      head.erase(invocation_prefix_size_);
      append_path_segment(head, request_id);
      head.append(target == Post::response ? response_tail_ : error_tail_);
    }
    append_header_value(head, content_type);
    if (!error_type.empty()) {
      head.append("\r\nLambda-Runtime-Function-Error-Type: ");
      append_header_value(head, error_type);
    }
    static constexpr std::string_view kLength = "\r\nContent-Length: ";
    char tail[64];
    kLength.copy(tail, kLength.size());
    char* end = std::to_chars(tail + kLength.size(), tail + sizeof tail - 4, body.size()).ptr;
    end = std::copy_n("\r\n\r\n", 4, end);
    head.append(tail,
                static_cast<std::size_t>(end - tail));  // (pointer, size): a range would go through replace()
    return client_.exchange(head, body, response, http::kNoHeadersKept);  // status and body are read
  }

  const std::string& error() const { return client_.error(); }

 private:
  http::Client client_;
  std::string next_head_;
  std::string response_tail_;    // from "/response HTTP/1.1" to "Content-Type: "
  std::string error_tail_;       // the same for /error
  std::string init_error_line_;  // from "POST" to "Content-Type: " for /init/error
  std::string invocation_head_;  // reused: no allocation per invocation once warm
  std::size_t invocation_prefix_size_ = 0;
};

// Posts the handler's result; false when the runtime cannot go on.
bool post_result(RuntimeApi& api, const std::string& request_id, const InvocationResponse& result,
                 http::Response& answer) {
  bool sent;
  if (result.is_success()) {
    sent = api.post(Post::response, request_id, result.content_type(), {}, result.payload(), answer);
  } else {
    sent = api.post(Post::error, request_id, kErrorContentType, result.error_type(), result.error_json(),
                    answer);
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

// `next`, `answer`, `request_id` and the trace id live across invocations:
// once warm, the loop allocates nothing of its own.
int run(RuntimeApi& api, const Handler& handler) {
  http::Response next;
  http::Response answer;
  std::string request_id;
  TraceIdVariable trace_id;
  for (;;) {
    if (!api.next(next)) {
      report(api.error());
      return 1;
    }
    if (next.status() < 200 || next.status() >= 300) {
      report("the Runtime API answered GET " + std::string(kApiBase) + "invocation/next with HTTP " +
             std::to_string(next.status()) + ": " + snippet(next.body));
      return 1;
    }
    InvocationRequest request = to_request(next);
    if (request.request_id.empty()) {
      report("protocol error: the Runtime API answered GET " + std::string(kApiBase) +
             "invocation/next without a Lambda-Runtime-Aws-Request-Id header");
      return 1;
    }
    request_id.clear();  // then append: cheaper than assign, which must allow for overlap
    request_id.append(request.request_id);
    trace_id.set(request.trace_id);
    InvocationResponse result = call_handler(handler, request);
    if (!post_result(api, request_id, result, answer)) return 1;
  }
}

int report_init_error(RuntimeApi& api, const InvocationResponse& failure) {
  report("init failed: " + failure.error_type() + ": " + failure.error_message());
  http::Response answer;
  if (!api.post(Post::init_error, {}, kErrorContentType, failure.error_type(), failure.error_json(),
                answer)) {
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
