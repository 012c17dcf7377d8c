// The lifecycle with a real Runtime API client (busybox sh + wget) over real
// loopback HTTP, started by the direct launcher so these stay quick; the same
// cases through bubblewrap are in tests/invoke.
#include "invoke/invoke.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "image/image.hpp"
#include "invoke/lifecycle.hpp"
#include "sandbox/sandbox.hpp"

namespace fs = std::filesystem;
using namespace layered;

namespace {

class InvokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("invoke-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "code");
    fs::copy_file(fs::path(LAYERED_TEST_FIXTURES) / "sh-runtime/bootstrap", root_ / "code/bootstrap");
    launcher_ = sandbox::direct_launcher();
    options_.cache_dir = (root_ / "cache").string();
    options_.launcher = launcher_.get();
    options_.init_limit = std::chrono::milliseconds(1000);
  }
  void TearDown() override { fs::remove_all(root_); }

  model::Function spec(const std::string& handler) {
    model::Function s;
    s.name = "fixture";
    s.arn = "arn:aws:lambda:us-east-1:123456789012:function:fixture";
    s.handler = handler;
    s.code_dir = (root_ / "code").string();
    s.environment = {{"BUSYBOX", image::host_busybox()}, {"TMPDIR", root_.string()}};
    s.timeout_s = 5;
    return s;
  }

  std::unique_ptr<invoke::Environment> env(const std::string& handler) {
    auto e = invoke::Environment::create(spec(handler), options_);
    EXPECT_TRUE(e.ok());
    return std::move(*e);
  }

  fs::path root_;
  std::unique_ptr<sandbox::Launcher> launcher_;
  invoke::Options options_;
};

TEST_F(InvokeTest, ColdThenWarmInvocations) {
  auto e = env("echo");
  auto first = e->invoke(R"({"n":1})");
  ASSERT_TRUE(first.ok()) << format_error(first.error());
  EXPECT_EQ(first->payload, R"({"n":1})");
  EXPECT_EQ(first->function_error, "");
  ASSERT_TRUE(first->report.init_duration_ms.has_value());
  EXPECT_TRUE(e->warm());
  const std::string& id = first->report.request_id;
  EXPECT_EQ(first->logs.rfind("init done\nSTART RequestId: " + id + " Version: $LATEST\nhandling " + id +
                                  "\nEND RequestId: " + id + "\nREPORT RequestId: " + id + "\tDuration: ",
                              0),
            0u)
      << first->logs;
  EXPECT_NE(first->logs.find("\tInit Duration: "), std::string::npos);

  auto second = e->invoke(R"({"n":2})");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->payload, R"({"n":2})");
  EXPECT_FALSE(second->report.init_duration_ms.has_value());
  EXPECT_EQ(second->logs.find("Init Duration"), std::string::npos);
  EXPECT_EQ(second->logs.find("init done"), std::string::npos);
}

// A prepared environment holds its runtime until the first invoke: the
// bootstrap has not run (its scratch directory is not there), and that
// invoke is still the cold one, with Init Duration.
TEST_F(InvokeTest, PreparedEnvironmentStartsItsRuntimeOnlyWhenInvoked) {
  auto e = env("echo");
  auto prepared = e->prepare();
  ASSERT_TRUE(prepared.ok()) << format_error(prepared.error());
  EXPECT_TRUE(e->prepared());
  EXPECT_FALSE(e->warm());
  ::usleep(300 * 1000);
  auto started = [&] {
    for (const auto& entry : fs::directory_iterator(root_))
      if (entry.path().filename().string().rfind("sh-runtime.", 0) == 0) return true;
    return false;
  };
  EXPECT_FALSE(started());
  auto r = e->invoke(R"({"n":1})");
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(r->payload, R"({"n":1})");
  EXPECT_TRUE(r->report.init_duration_ms.has_value());
  EXPECT_NE(r->logs.find("init done\nSTART RequestId: "), std::string::npos) << r->logs;
  EXPECT_TRUE(started());
  EXPECT_FALSE(e->prepared());
  EXPECT_TRUE(e->warm());
  auto again = e->prepare();  // warm: nothing to do
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0.0);
}

// With no bootstrap, preparing succeeds and the invoke reports Lambda's
// Runtime.InvalidEntrypoint, exactly as without preparing.
TEST_F(InvokeTest, PreparingWithoutABootstrapLeavesTheErrorToTheInvoke) {
  fs::remove(root_ / "code/bootstrap");
  auto e = env("echo");
  ASSERT_TRUE(e->prepare().ok());
  EXPECT_FALSE(e->prepared());
  auto r = e->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_type, "Runtime.InvalidEntrypoint");
}

TEST_F(InvokeTest, ReportLineIsLambdas) {
  invoke::Report r;
  r.request_id = "id-1";
  r.duration_ms = 12.956;
  r.billed_ms = 13;
  r.memory_mb = 128;
  r.max_memory_used_mb = 48;
  r.init_duration_ms = 117.861;
  EXPECT_EQ(r.line(),
            "REPORT RequestId: id-1\tDuration: 12.96 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: 48 MB\tInit Duration: 117.86 ms\t");
  r.init_duration_ms.reset();
  r.status = "error";
  r.error_type = "Runtime.OutOfMemory";
  EXPECT_EQ(r.line(),
            "REPORT RequestId: id-1\tDuration: 12.96 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: 48 MB\tStatus: error\tError Type: Runtime.OutOfMemory");
}

// Lambda's logs name a runtime's own error type only in its two families.
TEST(ErrorTypes, ATypeOutsideRuntimeAndFunctionIsLoggedAsRuntimeUnknown) {
  EXPECT_EQ(invoke::logged_error_type("Runtime.ConfigError"), "Runtime.ConfigError");
  EXPECT_EQ(invoke::logged_error_type("Function.BadInput"), "Function.BadInput");
  for (const char* type : {"MyInit.Error", "Runtime.", "Runtime.x", "Runtime.Bad-Type", "Function.lower", ""})
    EXPECT_EQ(invoke::logged_error_type(type), "Runtime.Unknown") << type;
}

TEST_F(InvokeTest, FunctionErrorKeepsTheEnvironment) {
  auto e = env("error");
  auto r = e->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"errorMessage":"bad input","errorType":"Function.BadInput","stackTrace":[]})");
  EXPECT_EQ(r->function_error, "Unhandled");
  EXPECT_EQ(r->error_type, "Function.BadInput");
  EXPECT_EQ(r->report.status, "");
  EXPECT_TRUE(e->warm());
}

TEST_F(InvokeTest, InitErrorIsRetriedInTheInvokeAndReturned) {
  auto r = env("init-error")->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"errorMessage":"missing configuration","errorType":"Runtime.ConfigError"})");
  EXPECT_EQ(r->function_error, "Unhandled");
  EXPECT_TRUE(
      std::regex_search(r->logs, std::regex("cannot read configuration\nINIT_REPORT Init Duration: [0-9.]+ "
                                            "ms\tPhase: init\tStatus: error\tError Type: "
                                            "Runtime.ConfigError\nSTART RequestId: ")))
      << r->logs;
  EXPECT_TRUE(
      std::regex_search(r->logs, std::regex("cannot read configuration\nINIT_REPORT Init Duration: [0-9.]+ "
                                            "ms\tPhase: invoke\tStatus: error\tError Type: "
                                            "Runtime.ConfigError\nEND RequestId: ")))
      << r->logs;
  EXPECT_NE(r->logs.find("\tStatus: error\tError Type: Runtime.ConfigError\n"), std::string::npos);
}

TEST_F(InvokeTest, ExitDuringInitIsRuntimeExitError) {
  auto r = env("init-exit")->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload,
            R"({"errorMessage":"RequestId: )" + r->report.request_id +
                R"( Error: Runtime exited with error: exit status 2","errorType":"Runtime.ExitError"})");
  EXPECT_EQ(r->report.error_type, "Runtime.ExitError");
}

TEST_F(InvokeTest, MissingBootstrapIsInvalidEntrypoint) {
  fs::remove(root_ / "code/bootstrap");
  auto r = env("echo")->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_type, "Runtime.InvalidEntrypoint");
  EXPECT_NE(r->payload.find("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"),
            std::string::npos);
  EXPECT_NE(r->logs.find("\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint\n"),
            std::string::npos);
}

TEST_F(InvokeTest, CrashDuringInvokeResetsTheEnvironment) {
  auto e = env("exit");
  auto r = e->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload,
            R"({"errorMessage":"RequestId: )" + r->report.request_id +
                R"( Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"})");
  EXPECT_EQ(r->function_error, "Unhandled");
  EXPECT_NE(r->logs.find("crashing\nEND RequestId: "), std::string::npos) << r->logs;
  EXPECT_NE(r->logs.find("\tStatus: error\tError Type: Runtime.ExitError\n"), std::string::npos);
  EXPECT_FALSE(e->warm());
  // The next invoke initializes again, inside the invoke: no Init Duration.
  auto again = e->invoke("{}");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->error_type, "Runtime.ExitError");
  EXPECT_FALSE(again->report.init_duration_ms.has_value());
  EXPECT_NE(
      again->logs.find("START RequestId: " + again->report.request_id + " Version: $LATEST\ninit done\n"),
      std::string::npos)
      << again->logs;
}

// A runtime is done with an event when it asks for the next one, not when
// it answers: one that answers once and exits (as some hand-written
// bootstraps do) must not fail the next invoke, which starts a new runtime.
TEST_F(InvokeTest, ARuntimeThatExitsAfterAnsweringIsReplacedForTheNextInvoke) {
  auto e = env("once");
  for (int n = 1; n <= 3; ++n) {
    const std::string event = R"({"n":)" + std::to_string(n) + "}";
    auto r = e->invoke(event);
    ASSERT_TRUE(r.ok()) << format_error(r.error());
    EXPECT_EQ(r->payload, event) << r->logs;
    EXPECT_EQ(r->function_error, "") << r->logs;
  }
}

// Work after the answer (until GET /next) belongs to the invocation that
// was answered: the next event waits for it instead of being lost to it.
TEST_F(InvokeTest, TheNextEventWaitsForWorkAfterTheAnswer) {
  auto e = env("linger");
  auto first = e->invoke(R"({"n":1})");
  ASSERT_TRUE(first.ok());
  auto second = e->invoke(R"({"n":2})");
  ASSERT_TRUE(second.ok()) << format_error(second.error());
  EXPECT_EQ(second->payload, R"({"n":2})");
  EXPECT_FALSE(second->report.init_duration_ms.has_value()) << "the same runtime, warm";
  EXPECT_NE(second->logs.find("lingered"), std::string::npos) << second->logs;
}

// What a function leaves running after its answer (a busy loop here) stops
// while the environment is frozen, and goes on once it is invoked again.
TEST_F(InvokeTest, AFrozenEnvironmentRunsNothingUntilItsNextInvoke) {
  auto e = env("spin");
  ASSERT_TRUE(e->invoke("{}").ok());
  fs::path count;
  for (int i = 0; i < 200 && count.empty(); ++i) {
    for (const auto& entry : fs::directory_iterator(root_))
      if (fs::exists(entry.path() / "count")) count = entry.path() / "count";
    ::usleep(5000);
  }
  ASSERT_FALSE(count.empty()) << "the loop never started";
  auto read_count = [&] { return static_cast<long>(fs::file_size(count)); };
  // Not before the runtime is back at GET /next.
  for (int i = 0; i < 400 && !e->freeze(); ++i) ::usleep(5000);
  ::usleep(100000);  // a write in flight lands
  const long frozen_at = read_count();
  ::usleep(300000);
  EXPECT_EQ(read_count(), frozen_at) << "the loop ran while frozen";
  auto again = e->invoke(R"({"n":2})");
  ASSERT_TRUE(again.ok()) << format_error(again.error());
  EXPECT_EQ(again->payload, R"({"n":2})");
  EXPECT_FALSE(again->report.init_duration_ms.has_value()) << "the same environment, thawed";
  ::usleep(100000);
  EXPECT_GT(read_count(), frozen_at) << "the loop did not go on";
}

TEST_F(InvokeTest, TimeoutKillsWithLambdasMessage) {
  auto s = spec("sleep");
  s.timeout_s = 1;
  auto e = invoke::Environment::create(s, options_);
  ASSERT_TRUE(e.ok());
  auto r = (*e)->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"errorMessage":"RequestId: )" + r->report.request_id +
                            R"( Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"})");
  EXPECT_EQ(r->report.status, "timeout");
  EXPECT_TRUE(std::regex_search(r->logs, std::regex("\tInit Duration: [0-9.]+ ms\tStatus: timeout\n$")))
      << r->logs;
  EXPECT_FALSE((*e)->warm());
}

TEST_F(InvokeTest, InitLongerThanTheLimitIsRetriedWithinTheInvoke) {
  auto s = spec("slow-init");
  s.environment.emplace_back("INIT_SLEEP", "2");
  s.timeout_s = 10;
  auto e = invoke::Environment::create(s, options_);  // init limit: 1 s
  ASSERT_TRUE(e.ok());
  auto r = (*e)->invoke(R"({"slow":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"slow":true})");
  EXPECT_TRUE(
      std::regex_search(r->logs, std::regex("^INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: "
                                            "timeout\nSTART RequestId: ")))
      << r->logs;
  EXPECT_FALSE(r->report.init_duration_ms.has_value());
}

TEST_F(InvokeTest, OversizeResponseIsFunctionResponseSizeTooLarge) {
  auto r = env("big")->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(
      r->payload,
      R"({"errorMessage":"Response payload size (7340032 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"})");
  EXPECT_EQ(r->function_error, "Unhandled");
}

TEST_F(InvokeTest, OutOfMemoryIsReportedWithTheResidentSetWatch) {
  options_.resident_set_watch = true;
  auto s = spec("oom");
  s.memory_mb = 64;
  auto e = invoke::Environment::create(s, options_);
  ASSERT_TRUE(e.ok());
  auto r = (*e)->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_type, "Runtime.OutOfMemory");
  EXPECT_EQ(r->payload,
            R"({"errorMessage":"RequestId: )" + r->report.request_id +
                R"( Error: Runtime exited with error: signal: killed","errorType":"Runtime.OutOfMemory"})");
  EXPECT_NE(r->logs.find("\tStatus: error\tError Type: Runtime.OutOfMemory\n"), std::string::npos);
  EXPECT_GE(r->report.max_memory_used_mb, 64);
}

TEST(ValidateEvent, InvalidJsonIsRejectedWithWhere) {
  auto status = invoke::validate_event("{\"a\":", "events/bad.json");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().where, "events/bad.json");
  EXPECT_EQ(status.error().message.rfind("the event is not valid JSON: parse error at line 1, column 6", 0),
            0u)
      << status.error().message;
}

// Valid JSON, but a number no double holds: one message, not an internal error.
TEST(ValidateEvent, ANumberBeyondADoubleIsOneMessage) {
  auto status = invoke::validate_event(R"({"n":1e400})", "events/big.json");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "the event holds JSON layered cannot read: number overflow parsing '1e400'");
  EXPECT_EQ(status.error().where, "events/big.json");
}

TEST(ValidateEvent, SixMegabyteRequestLimit) {
  std::string big = "\"" + std::string(6291456, 'a') + "\"";
  auto status = invoke::validate_event(big, "-");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "the event is 6291458 bytes: Lambda's request must be smaller than 6291456 bytes for the "
            "InvokeFunction operation");
  EXPECT_TRUE(invoke::validate_event("{}", "-").ok());
}

TEST(ToJson, CarriesPayloadErrorLogsAndReport) {
  invoke::InvokeResult r;
  r.payload = R"({"ok":1})";
  r.logs = "START\n";
  r.report.request_id = "x";
  r.report.duration_ms = 1.234;
  r.report.billed_ms = 2;
  r.report.memory_mb = 128;
  r.report.max_memory_used_mb = 3;
  EXPECT_EQ(
      invoke::to_json(r),
      R"({"errorType":null,"functionError":null,"logs":"START\n","payload":{"ok":1},"report":{"billedMs":2,"durationMs":1.23,"initDurationMs":null,"maxMemoryUsedMb":3,"memoryMb":128,"requestId":"x"}})");
}

}  // namespace
