// `layered invoke` as a user runs it: a function recorded in a real state
// database, the real binary, its stdout, stderr and exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fixture.hpp"
#include "state/state.hpp"

using namespace layered;

namespace {

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class InvokeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dirs_.copy(CLIENT_STATIC, "code/bootstrap");
    e2e::fs::permissions(dirs_.root() / "code/bootstrap", e2e::fs::perms(0755));
    auto state = state::State::open((dirs_.root() / "state").string());
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE(state->put_stack({"Lambda-layers-example", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    for (const char* handler : {"echo", "error"}) {
      state::FunctionRecord f;
      f.name = std::string("fixture-") + handler;
      f.arn = state->function_arn(f.name);
      f.stack = "Lambda-layers-example";
      f.logical_id = handler;
      f.construct_path =
          std::string("Lambda-layers-example/") + (handler == std::string("echo") ? "Echo" : "Error");
      f.runtime = layered::model::Runtime::provided_al2023;
      f.handler = handler;
      f.code_dir = (dirs_.root() / "code").string();
      ASSERT_TRUE(state->put_function(f).ok());
    }
  }

  Ran layered(const std::string& args) {
    const std::string err = (dirs_.root() / "stderr").string();
    std::string cmd = std::string(LAYERED_BIN) + " invoke " + args + " --state " +
                      (dirs_.root() / "state").string() + " 2>" + err;
    Ran ran;
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) ran.out.append(buf, n);
    int status = ::pclose(p);
    ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err);
    std::stringstream ss;
    ss << in.rdbuf();
    ran.err = ss.str();
    return ran;
  }

  e2e::Dirs dirs_;
};

TEST_F(InvokeCli, PrintsThePayloadAndTheLogWithLambdasLines) {
  dirs_.write("event.json", R"({"name":"cli"})");
  auto r = layered("fixture-echo --event " + (dirs_.root() / "event.json").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"name\":\"cli\"}\n");
  EXPECT_NE(r.err.find("c++ client ready\nSTART RequestId: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\nEND RequestId: "), std::string::npos);
  EXPECT_NE(r.err.find("\nREPORT RequestId: "), std::string::npos);
  EXPECT_NE(r.err.find("\tInit Duration: "), std::string::npos);
}

TEST_F(InvokeCli, NoEventSendsAnEmptyObjectAndConstructPathsResolve) {
  auto r = layered("Lambda-layers-example/Echo");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{}\n");
}

TEST_F(InvokeCli, FunctionErrorExitsNonZeroWithTheErrorOnStdout) {
  auto r = layered("fixture-error");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"errorMessage\":\"it went wrong\",\"errorType\":\"Function.Oops\"}\n");
}

TEST_F(InvokeCli, JsonOutputCarriesEverything) {
  auto r = layered("fixture-echo --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["payload"], nlohmann::json::object());
  EXPECT_TRUE(j["functionError"].is_null());
  EXPECT_NE(j["logs"].get<std::string>().find("REPORT RequestId: "), std::string::npos);
  EXPECT_EQ(j["report"]["memoryMb"], 128);
  EXPECT_GT(j["report"]["maxMemoryUsedMb"].get<int>(), 0);
  EXPECT_TRUE(j["report"]["initDurationMs"].is_number());
}

TEST_F(InvokeCli, InvalidEventIsRejectedBeforeAnythingRuns) {
  dirs_.write("bad.json", "{\"a\": }");
  const std::string path = (dirs_.root() / "bad.json").string();
  auto r = layered("fixture-echo --event " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(
      r.err.rfind(
          "layered: error: " + path + ": the event is not valid JSON: parse error at line 1, column 7", 0),
      0u)
      << r.err;
  EXPECT_EQ(r.err.find("START"), std::string::npos);
}

TEST_F(InvokeCli, UnknownFunctionSaysDidYouMean) {
  auto r = layered("fixture-ech");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("function 'fixture-ech' not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'fixture-echo'?"), std::string::npos) << r.err;
}

}  // namespace
