// `layered invoke` on Python functions as a user runs it: functions recorded
// in a real state database, the real binary, its output and exit code.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime_fixture.hpp"
#include "state/state.hpp"

namespace runtimes_e2e {
namespace {

class PythonCli : public RuntimeTest {
 protected:
  void SetUp() override {
    write("code/app.py",
          "import sys\n"
          "def handler(event, context):\n"
          "    print('hello from', sys.version_info[:2])\n"
          "    return {'greeting': 'hello ' + event.get('name', 'world')}\n");
    auto state = layered::state::State::open((root_ / "state").string());
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE(state->put_stack({"Py-example", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    for (const char* runtime : {"python3.11", "python3.9"}) {
      layered::state::FunctionRecord f;
      f.name = std::string("hello-") + runtime;
      f.arn = state->function_arn(f.name);
      f.stack = "Py-example";
      f.logical_id = "Hello";
      f.construct_path = std::string("Py-example/Hello-") + runtime;
      f.runtime = *layered::model::parse_runtime(runtime);
      f.handler = "app.handler";
      f.code_dir = (root_ / "code").string();
      ASSERT_TRUE(state->put_function(f).ok());
    }
  }

  struct Ran {
    int exit_code = -1;
    std::string out, err;
  };
  Ran layered(const std::string& args, const std::string& env = "") {
    const std::string err = (root_ / "stderr").string();
    const std::string cmd =
        env + " " + LAYERED_BIN + " invoke " + args + " --state " + (root_ / "state").string() + " 2>" + err;
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
};

TEST_F(PythonCli, InvokesAPythonFunction) {
  write("event.json", R"({"name":"layers"})");
  auto r = layered("hello-python3.11 --event " + (root_ / "event.json").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"greeting\": \"hello layers\"}\n");
  EXPECT_NE(r.err.find("START RequestId: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hello from (3, 11)\nEND RequestId: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\tInit Duration: "), std::string::npos) << r.err;
}

TEST_F(PythonCli, PassesTheClientContextDecoded) {
  write("code/app.py",
        "def handler(event, context):\n"
        "    return {'custom': context.client_context.custom, 'env': context.client_context.env}\n");
  // {"custom":{"k":"v"},"env":{"locale":"fr"}}
  auto r =
      layered("hello-python3.11 --client-context eyJjdXN0b20iOnsiayI6InYifSwiZW52Ijp7ImxvY2FsZSI6ImZyIn19");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"custom\": {\"k\": \"v\"}, \"env\": {\"locale\": \"fr\"}}\n") << r.err;
  auto bad = layered("hello-python3.11 --client-context e30");  // {} with its padding cut off
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(
      bad.err.find("layered: error: --client-context: Client context must be a valid Base64-encoded JSON "
                   "object.\n"),
      std::string::npos)
      << bad.err;
}

TEST_F(PythonCli, RefusesAVersionThisMachineLacks) {
  // An empty PATH and no LAYERED_PYTHON3_9: nothing of version 3.9 anywhere.
  fs::create_directories(root_ / "empty");
  auto r = layered("hello-python3.9", "env -u LAYERED_PYTHON3_9 PATH=" + (root_ / "empty").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(
      r.err,
      "layered: error: runtime 'python3.9' needs Python 3.9, which is not installed on this machine\n"
      "  looked at $LAYERED_PYTHON3_9 (unset) and for python3.9, python3 on PATH (none found); install "
      "Python 3.9 so that 'python3.9' is on PATH, or set LAYERED_PYTHON3_9=/path/to/its/python3.9; layered "
      "never runs a python3.9 function on another version\n");
}

}  // namespace
}  // namespace runtimes_e2e
