// GreetingFunction and CatalogFunction as they ship: the packaged bootstrap
// binaries, run as child processes against a real Runtime API on loopback,
// answering the sample events in lambdamodule/events/ and rejecting the ones
// in lambdamodule/events/invalid/.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "runtime_api_harness.hpp"

namespace {

using cpputils::testing::FunctionProcess;
using cpputils::testing::lambda_event;
using cpputils::testing::LaunchOptions;
using cpputils::testing::Post;
using cpputils::testing::RuntimeApiServer;

const std::string packages = LAMBDA_PACKAGE_DIR;

std::string read_event(const std::string& relative) {
  std::ifstream in(std::string(LAMBDA_EVENTS_DIR) + "/" + relative);
  EXPECT_TRUE(in) << "missing event file lambdamodule/events/" << relative;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The function's bootstrap, started through the external layer's loader with
// the layers' lib/ directories in Lambda's merge order.
std::unique_ptr<FunctionProcess> start(const std::string& function, RuntimeApiServer& api,
                                       const std::string& task_root = "") {
  const std::string dir = packages + "/functions/" + function;
  LaunchOptions options{
      .env = {{"LAMBDA_TASK_ROOT", task_root.empty() ? dir : task_root},
              {"AWS_LAMBDA_FUNCTION_NAME", function}},
      .loader = packages + "/layers/external/lib/ld-linux-x86-64.so.2",
      .library_path = packages + "/layers/cpputils/lib:" + packages + "/layers/external/lib"};
  return std::make_unique<FunctionProcess>(dir + "/bootstrap", api.address(), std::move(options));
}

struct Case {
  std::string function;         // target / package name
  std::string construct;        // CDK construct id: the event file's name
  std::string response;         // to the sample event
  std::string invalid_message;  // errorMessage for the invalid event
};

// Names the case in test listings ("GetParam() = greeting").
void PrintTo(const Case& c, std::ostream* out) { *out << c.function; }

class ShippedFunction : public ::testing::TestWithParam<Case> {
 protected:
  RuntimeApiServer api;
};

TEST_P(ShippedFunction, AnswersItsSampleEvent) {
  const Case& c = GetParam();
  api.push(lambda_event(read_event(c.construct + ".json"), "req-1"));
  auto fn = start(c.function, api);
  const std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].kind, Post::Kind::response);
  EXPECT_EQ(posts[0].request_id, "req-1");
  EXPECT_EQ(posts[0].body, c.response);
  EXPECT_EQ(fn->stderr_text(), "");
}

TEST_P(ShippedFunction, RejectsItsInvalidEventWithAClearFunctionErrorAndKeepsServing) {
  const Case& c = GetParam();
  api.push(lambda_event(read_event("invalid/" + c.construct + ".json"), "req-bad"));
  api.push(lambda_event(read_event(c.construct + ".json"), "req-good"));
  auto fn = start(c.function, api);
  const std::vector<Post> posts = api.wait_for_posts(2);
  ASSERT_EQ(posts.size(), 2u) << fn->stderr_text();
  EXPECT_EQ(posts[0].kind, Post::Kind::error);
  EXPECT_EQ(posts[0].request_id, "req-bad");
  EXPECT_EQ(posts[0].body,
            R"({"errorMessage":")" + c.invalid_message + R"(","errorType":"InvalidInput","stackTrace":[]})");
  EXPECT_EQ(posts[0].header("Lambda-Runtime-Function-Error-Type"), "InvalidInput");
  EXPECT_EQ(posts[1].kind, Post::Kind::response);
  EXPECT_EQ(posts[1].body, c.response);
}

TEST_P(ShippedFunction, LogsOneJsonLinePerInvocation) {
  const Case& c = GetParam();
  api.push(lambda_event(read_event(c.construct + ".json"), "req-1"));
  api.push(lambda_event(read_event("invalid/" + c.construct + ".json"), "req-2"));
  auto fn = start(c.function, api);
  ASSERT_EQ(api.wait_for_posts(2).size(), 2u) << fn->stderr_text();
  ASSERT_TRUE(api.wait_for_next_requests(3));  // both log lines are written before the next GET
  std::istringstream log(fn->stdout_text());
  std::string first, second, extra;
  std::getline(log, first);
  std::getline(log, second);
  EXPECT_FALSE(std::getline(log, extra)) << fn->stdout_text();
  EXPECT_TRUE(first.starts_with(R"({"level":"INFO","function":")" + c.function + R"(","requestId":"req-1",)"))
      << first;
  EXPECT_TRUE(
      second.starts_with(R"({"level":"ERROR","function":")" + c.function + R"(","requestId":"req-2",)"))
      << second;
  EXPECT_NE(second.find(R"("errorType":"InvalidInput")"), std::string::npos) << second;
}

INSTANTIATE_TEST_SUITE_P(
    Functions, ShippedFunction,
    ::testing::Values(
        Case{"greeting", "GreetingFunction", R"({"greeting":"Bonjour, Ada !","language":"fr"})",
             "'name' must be a string"},
        Case{
            "catalog", "CatalogFunction",
            R"({"count":3,"items":[)"
            R"({"category":"books","id":"B-003","name":"A Tour of C++","priceCents":2999,"stock":0},)"
            R"({"category":"books","id":"B-007","name":"SQLite Database System: Design and Implementation",)"
            R"("priceCents":3100,"stock":4},)"
            R"({"category":"books","id":"B-002","name":"Effective Modern C++","priceCents":3999,"stock":7}]})",
            "'maxPriceCents' must be a whole number of cents, 0 or more"}),
    [](const ::testing::TestParamInfo<Case>& param) { return param.param.function; });

TEST(CatalogFunction, MissingDataIsAnInitErrorAndTheProcessExits) {
  RuntimeApiServer api;
  api.push(lambda_event("{}", "req-1"));
  auto fn = start("catalog", api, "/nonexistent");
  const std::vector<Post> posts = api.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u) << fn->stderr_text();
  EXPECT_EQ(posts[0].kind, Post::Kind::init_error);
  EXPECT_NE(posts[0].body.find("cannot read catalog data '/nonexistent/catalog.csv'"), std::string::npos)
      << posts[0].body;
  EXPECT_EQ(fn->wait(), 1);
}

}  // namespace
