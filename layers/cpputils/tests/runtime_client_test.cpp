// The runtime client in libcpputils, run as a real child process
// (cpputils_test_function) against a real Runtime API server on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "runtime_api_harness.hpp"

namespace cpputils::testing {
namespace {

constexpr const char* kErrorContentType = "application/vnd.aws.lambda.error+json";

// Parameter: the function binary (linked with libcpputils.so, or with its
// sanitized static twin).
class RuntimeClient : public ::testing::TestWithParam<const char*> {
 protected:
  std::unique_ptr<FunctionProcess> start(std::vector<Header> env = {}, const std::string& address = "") {
    return std::make_unique<FunctionProcess>(GetParam(), address.empty() ? api.address() : address,
                                             LaunchOptions{.env = std::move(env)});
  }
  static std::vector<Header> undecorated() { return {{"CPPUTILS_TEST_UNDECORATED", "1"}}; }

  RuntimeApiServer api;
};

TEST_P(RuntimeClient, PostsTheHandlersResponseAndLogsOneLine) {
  api.push(lambda_event(R"({"name":"Ada"})", "req-1"));
  auto fn = start();
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].kind, Post::Kind::response);
  EXPECT_EQ(posts[0].request_id, "req-1");
  EXPECT_EQ(posts[0].body, R"({"name":"Ada"})");
  EXPECT_EQ(posts[0].header("Content-Type"), "application/json");
  EXPECT_TRUE(api.wait_for_next_requests(2));  // and it asks for the next event
  EXPECT_EQ(fn->wait(0ms), std::nullopt);
  std::string log = fn->stdout_text();
  EXPECT_TRUE(log.starts_with(R"({"level":"INFO","function":"cpputils_test_function","requestId":"req-1",)"))
      << log;
  EXPECT_TRUE(log.ends_with("\"outcome\":\"success\"}\n")) << log;
  EXPECT_EQ(fn->stderr_text(), "");
}

// The log line is written after what the handler printed and left in
// stdio's buffer, and flushes it: the function may be frozen at any time
// after it answers.
TEST_P(RuntimeClient, DecoratorLogLineFollowsWhatTheHandlerPrinted) {
  api.push(lambda_event("print:handler output, ", "req-1"));
  auto fn = start();
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body, "printed");
  ASSERT_TRUE(api.wait_for_next_requests(2));
  std::string log = fn->stdout_text();
  EXPECT_TRUE(log.starts_with(R"(handler output, {"level":"INFO","function":"cpputils_test_function",)"))
      << log;
  EXPECT_TRUE(log.ends_with("\"outcome\":\"success\"}\n")) << log;
}

// A host name is resolved (only a numeric address skips the resolver).
TEST_P(RuntimeClient, RuntimeApiByHostName) {
  api.push(lambda_event("by name", "req-1"));
  std::string address = api.address();
  auto fn = start(undecorated(), "localhost" + address.substr(address.rfind(':')));
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body, "by name");
}

TEST_P(RuntimeClient, HandlerExceptionIsAFunctionErrorAndTheProcessKeepsServing) {
  api.push(lambda_event("throw:database is down", "req-1"));
  api.push(lambda_event("still here", "req-2"));
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].kind, Post::Kind::error);
  EXPECT_EQ(posts[0].request_id, "req-1");
  EXPECT_EQ(posts[0].body,
            R"({"errorMessage":"database is down","errorType":"std::runtime_error","stackTrace":[]})");
  EXPECT_EQ(posts[0].header("Content-Type"), kErrorContentType);
  EXPECT_EQ(posts[0].header("Lambda-Runtime-Function-Error-Type"), "std::runtime_error");
  EXPECT_EQ(posts[1].kind, Post::Kind::response);
  EXPECT_EQ(posts[1].body, "still here");
}

TEST_P(RuntimeClient, NestedExceptionsBecomeTheStackTrace) {
  api.push(lambda_event("nested:cannot load catalog", "req-1"));
  api.push(lambda_event("int", "req-2"));
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body, R"({"errorMessage":"cannot load catalog","errorType":"std::runtime_error",)"
                           R"("stackTrace":["std::out_of_range: inner cause"]})");
  EXPECT_EQ(posts[1].body, R"({"errorMessage":"unknown exception","errorType":"int","stackTrace":[]})");
}

TEST_P(RuntimeClient, DecoratedHandlerMapsErrorsAndLogsThem) {
  api.push(lambda_event("invalid:'name' is missing", "req-1"));
  api.push(lambda_event("fail:NotFound:no item 42", "req-2"));
  auto fn = start();
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body,
            R"({"errorMessage":"'name' is missing","errorType":"InvalidInput","stackTrace":[]})");
  EXPECT_EQ(posts[0].header("Lambda-Runtime-Function-Error-Type"), "InvalidInput");
  EXPECT_EQ(posts[1].body, R"({"errorMessage":"no item 42","errorType":"NotFound","stackTrace":[]})");
  std::string log = fn->stdout_text();
  EXPECT_NE(log.find(R"("requestId":"req-1",)"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("outcome":"error","errorType":"InvalidInput","errorMessage":"'name' is missing"})"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(R"("outcome":"error","errorType":"NotFound","errorMessage":"no item 42"})"),
            std::string::npos)
      << log;
}

TEST_P(RuntimeClient, InitFailureIsPostedToInitErrorAndTheProcessExits) {
  auto fn = start({{"CPPUTILS_TEST_FAIL_INIT", "cannot open catalog.db"}});
  EXPECT_EQ(fn->wait(), 1);
  std::vector<Post> posts = api.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].kind, Post::Kind::init_error);
  EXPECT_EQ(posts[0].body,
            R"({"errorMessage":"cannot open catalog.db","errorType":"std::runtime_error","stackTrace":[]})");
  EXPECT_EQ(posts[0].header("Content-Type"), kErrorContentType);
  EXPECT_EQ(posts[0].header("Lambda-Runtime-Function-Error-Type"), "std::runtime_error");
  EXPECT_EQ(api.next_requests(), 0);
  EXPECT_EQ(fn->stderr_text(), "cpputils: error: init failed: std::runtime_error: cannot open catalog.db\n");
  EXPECT_EQ(fn->stdout_text(), "");
}

TEST_P(RuntimeClient, SixMegabyteRequestAndResponse) {
  std::string big(std::size_t{6} * 1000 * 1000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  api.push(lambda_event(big, "req-1"));
  api.push(lambda_event("bytes:6000000", "req-2"));
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body.size(), big.size());
  EXPECT_TRUE(posts[0].body == big);
  EXPECT_EQ(posts[1].body, std::string(6000000, 'x'));
  EXPECT_EQ(posts[1].header("Content-Type"), "application/octet-stream");
}

TEST_P(RuntimeClient, ResponseOverLambdasLimitFailsOnlyThatInvocation) {
  api.push(lambda_event("bytes:" + std::to_string(kMaxResponseSize + 1), "req-1"));
  api.push(lambda_event("small", "req-2"));
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].status, 413);
  EXPECT_EQ(posts[1].body, "small");
  EXPECT_EQ(fn->stderr_text(),
            "cpputils: error: the Runtime API refused the response for request 'req-1' with HTTP 413: "
            R"({"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).",)"
            R"("errorType":"RequestEntityTooLarge"})"
            "\n");
}

TEST_P(RuntimeClient, ChunkedEventBody) {
  std::string payload(1'000'000, 'c');
  Event event = lambda_event(payload, "req-1");
  event.chunked = true;
  api.push(event);
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_TRUE(posts[0].body == payload);
}

TEST_P(RuntimeClient, EveryHeaderReachesTheHandlerAndTheTraceIdIsExported) {
  Event full = lambda_event("describe", "req-1");
  remove_header(full, "Lambda-Runtime-Deadline-Ms");
  full.headers.push_back({"Lambda-Runtime-Deadline-Ms", "4102444800000"});
  full.headers.push_back({"Lambda-Runtime-Client-Context", R"({"client":{"app_title":"shop"}})"});
  full.headers.push_back({"Lambda-Runtime-Cognito-Identity", R"({"cognitoIdentityId":"us-east-1:42"})"});
  full.headers.push_back({"Lambda-Runtime-Aws-Tenant-Id", "tenant-7"});
  api.push(full);
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].body,
            R"({"requestId":"req-1","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:test",)"
            R"("traceId":"Root=1-5f84c7a9-req-1;Parent=3b6c1d2e;Sampled=1",)"
            R"("clientContext":"{\"client\":{\"app_title\":\"shop\"}}",)"
            R"("cognitoIdentity":"{\"cognitoIdentityId\":\"us-east-1:42\"}","tenantId":"tenant-7",)"
            R"("contentType":"application/json","deadlineMs":4102444800000,"timeLeft":true,)"
            R"("envTraceId":"Root=1-5f84c7a9-req-1;Parent=3b6c1d2e;Sampled=1"})");
}

TEST_P(RuntimeClient, MissingOptionalHeadersAreEmptyAndTheTraceIdIsUnset) {
  api.push(lambda_event("describe", "req-1"));  // sets _X_AMZN_TRACE_ID in the process
  Event bare;
  bare.payload = "describe";
  bare.headers = {{"lambda-runtime-aws-request-id", "req-2"}};  // header names in any case
  api.push(bare);
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_NE(posts[0].body.find(R"("envTraceId":"Root=1-5f84c7a9-req-1;)"), std::string::npos)
      << posts[0].body;
  EXPECT_EQ(posts[1].body,
            R"({"requestId":"req-2","functionArn":"","traceId":"","clientContext":"","cognitoIdentity":"",)"
            R"("tenantId":"","contentType":"","deadlineMs":null,"timeLeft":true,"envTraceId":null})");
}

// Every invocation has its own trace id: a warm environment must not keep
// them all (glibc's setenv keeps every value it was ever given).
TEST_P(RuntimeClient, DistinctTraceIdsDoNotGrowTheHeap) {
  int next_id = 0;
  auto push = [&](int count) {
    for (int i = 0; i < count; ++i) {
      api.push(lambda_event("x", "req-" + std::to_string(next_id++) + std::string(40, 't')));
    }
    api.push(lambda_event("heap", "req-" + std::to_string(next_id++) + std::string(40, 't')));
  };
  push(2000);
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(2001);
  ASSERT_EQ(posts.size(), 2001u) << fn->stderr_text();
  long long before = std::stoll(posts.back().body);
  push(15000);
  posts = api.wait_for_posts(17002);
  ASSERT_EQ(posts.size(), 17002u) << fn->stderr_text();
  long long after = std::stoll(posts.back().body);
  EXPECT_LT(after - before, 256 * 1024) << "heap grew from " << before << " to " << after << " bytes";
}

TEST_P(RuntimeClient, NextWithoutRequestIdIsAProtocolError) {
  Event event = lambda_event("{}", "req-1");
  remove_header(event, "Lambda-Runtime-Aws-Request-Id");
  api.push(event);
  auto fn = start();
  EXPECT_EQ(fn->wait(), 1);
  EXPECT_TRUE(api.posts().empty());
  EXPECT_EQ(fn->stderr_text(),
            "cpputils: error: protocol error: the Runtime API answered GET "
            "/2018-06-01/runtime/invocation/next without a Lambda-Runtime-Aws-Request-Id header\n");
}

TEST_P(RuntimeClient, RefusedNextStopsTheProcess) {
  Event refused;
  refused.status = 403;
  refused.payload = R"({"errorMessage":"not allowed","errorType":"Forbidden"})";
  api.push(refused);
  auto fn = start();
  EXPECT_EQ(fn->wait(), 1);
  EXPECT_EQ(
      fn->stderr_text(),
      "cpputils: error: the Runtime API answered GET /2018-06-01/runtime/invocation/next with HTTP 403: "
      R"({"errorMessage":"not allowed","errorType":"Forbidden"})"
      "\n");
}

TEST_P(RuntimeClient, ReconnectsWhenTheServerClosesKeptAliveConnections) {
  api.close_after_each_reply(true);
  for (const char* id : {"req-1", "req-2", "req-3"}) api.push(lambda_event(id, id));
  auto fn = start(undecorated());
  std::vector<Post> posts = api.wait_for_posts(3);
  ASSERT_EQ(posts.size(), 3u) << fn->stderr_text();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(posts[i].body, "req-" + std::to_string(i + 1));
  EXPECT_GE(api.connections(), 6);  // one per request: 3 x (next + response)
  EXPECT_EQ(fn->wait(0ms), std::nullopt);
  EXPECT_EQ(fn->stderr_text(), "");
}

TEST_P(RuntimeClient, ReconnectsWhenTheConnectionDropsDuringNext) {
  api.push(lambda_event("one", "req-1"));
  auto fn = start(undecorated());
  ASSERT_TRUE(api.wait_for_next_requests(2)) << fn->stderr_text();  // waiting for its second event
  api.close_connections();
  api.push(lambda_event("two", "req-2"));
  std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[1].body, "two");
  EXPECT_EQ(api.connections(), 2);
}

TEST_P(RuntimeClient, ExitsWithAClearMessageWhenTheRuntimeApiIsGone) {
  api.push(lambda_event("one", "req-1"));
  auto fn = start(undecorated());
  ASSERT_TRUE(api.wait_for_next_requests(2)) << fn->stderr_text();
  api.stop();
  EXPECT_EQ(fn->wait(), 1);
  EXPECT_EQ(
      fn->stderr_text(),
      "cpputils: error: lost the connection to the Runtime API and could not reconnect: cannot connect to "
      "the Runtime API at " +
          api.address() + ": Connection refused\n");
}

TEST_P(RuntimeClient, ExitsWhenNothingListens) {
  std::string address = api.address();
  api.stop();
  auto fn = start({}, address);
  EXPECT_EQ(fn->wait(), 1);
  EXPECT_EQ(fn->stderr_text(),
            "cpputils: error: cannot connect to the Runtime API at " + address + ": Connection refused\n");
}

TEST_P(RuntimeClient, ExitsWhenTheRuntimeApiVariableIsEmpty) {
  auto fn = std::make_unique<FunctionProcess>(GetParam(), "");
  EXPECT_EQ(fn->wait(), 1);
  EXPECT_EQ(
      fn->stderr_text(),
      "cpputils: error: AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda function; run it on "
      "Lambda or with 'layered invoke'\n");
}

TEST(RuntimeClientStart, ThroughTheHostLoaderWithALibraryPath) {
  RuntimeApiServer api;
  api.push(lambda_event("via the loader", "req-1"));
  FunctionProcess fn(CPPUTILS_TEST_FUNCTION, api.address(),
                     {.env = {{"CPPUTILS_TEST_UNDECORATED", "1"}},
                      .loader = kHostLoader,
                      .library_path = CPPUTILS_LIBRARY_DIR});
  std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn.stderr_text();
  EXPECT_EQ(posts[0].body, "via the loader");
}

// VmHWM of a process, in KB (0 if it cannot be read).
long peak_rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return 0;
}

// The median peak RSS of three echo functions, each read while it waits for
// its next event after 100 invocations.
long echo_peak_rss_kb(bool decorated) {
  std::vector<long> peaks;
  for (int spawn = 0; spawn < 3; ++spawn) {
    RuntimeApiServer api;
    for (int i = 0; i < 100; ++i) api.push(lambda_event(R"({"n":1})", "req-" + std::to_string(i)));
    std::vector<Header> env;
    if (!decorated) env.push_back({"CPPUTILS_TEST_UNDECORATED", "1"});
    FunctionProcess fn(CPPUTILS_TEST_ECHO, api.address(), {.env = env});
    if (!api.wait_for_next_requests(101)) ADD_FAILURE() << fn.stderr_text();
    peaks.push_back(peak_rss_kb(fn.pid()));
  }
  std::sort(peaks.begin(), peaks.end());
  return peaks[1];
}

// Each page of a shared library that the decorator touches stays resident,
// with its neighbours (the kernel maps 64 KB around a faulting page): printf's
// floating-point formatting, stdio and libstdc++'s steady_clock::now() made a
// decorated echo peak 0.2 to 0.3 MB above a plain one. What is left is the
// page of glibc that reads the clock.
TEST(DecoratorCost, AddsLittleToTheFunctionsPeakResidentMemory) {
  long plain = echo_peak_rss_kb(false);
  long decorated = echo_peak_rss_kb(true);
  ASSERT_GT(plain, 0);
  EXPECT_LT(decorated - plain, 144) << "peak RSS: " << plain << " KB plain, " << decorated << " KB decorated";
}

INSTANTIATE_TEST_SUITE_P(Shipped, RuntimeClient, ::testing::Values(CPPUTILS_TEST_FUNCTION));
#ifdef CPPUTILS_TEST_FUNCTION_SANITIZED
INSTANTIATE_TEST_SUITE_P(Sanitized, RuntimeClient, ::testing::Values(CPPUTILS_TEST_FUNCTION_SANITIZED));
#endif

}  // namespace
}  // namespace cpputils::testing
