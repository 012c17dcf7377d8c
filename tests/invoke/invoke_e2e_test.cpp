// Invocation end to end: bubblewrap, the emulated base image, merged layers,
// the Runtime API on loopback, and Runtime API clients that are not ours to
// change (busybox sh + wget; a hand-written C++ client).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "doctor/doctor.hpp"
#include "fixture.hpp"
#include "image/image.hpp"
#include "invoke/invoke.hpp"

using namespace layered;
using nlohmann::json;

namespace {

class InvokeE2E : public ::testing::Test {
 protected:
  model::Function function(const std::string& handler) {
    model::Function s;
    s.name = "e2e";
    s.arn = "arn:aws:lambda:us-east-1:123456789012:function:e2e";
    s.handler = handler;
    s.code_dir = dirs_.dir("code").string();
    s.timeout_s = 10;
    return s;
  }
  // The C++ client as the function's own bootstrap (/var/task/bootstrap).
  model::Function cxx(const std::string& handler, const char* binary = CLIENT_STATIC) {
    dirs_.copy(binary, "code/bootstrap");
    e2e::fs::permissions(dirs_.root() / "code/bootstrap", e2e::fs::perms(0755));
    return function(handler);
  }
  // The busybox sh client in a layer (/opt/bootstrap), bringing its busybox
  // for wget (the image has none); the function's code is empty.
  model::Function shell(const std::string& handler) {
    dirs_.copy(std::string(FIXTURES) + "/sh-runtime/bootstrap", "sh-layer/bootstrap");
    dirs_.copy(image::host_busybox(), "sh-layer/bin/busybox");
    e2e::fs::permissions(dirs_.root() / "sh-layer/bin/busybox", e2e::fs::perms(0755));
    auto s = function(handler);
    s.layers.push_back(
        {"arn:aws:lambda:us-east-1:123456789012:layer:sh:1", (dirs_.root() / "sh-layer").string()});
    return s;
  }
  invoke::Options options() {
    invoke::Options o;
    o.cache_dir = (dirs_.root() / "cache").string();
    return o;
  }
  invoke::InvokeResult run(const model::Function& s, const std::string& event = "{}") {
    auto r = invoke::invoke_once(s, event, options());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.error()));
    return r.ok() ? *r : invoke::InvokeResult{};
  }
  std::string handler_file(const std::string& path) { return "file:" + path; }
  // Compiles C `source` with this machine's compiler into `out` (relative).
  void cc(const std::string& out, const std::string& source, const std::string& flags = "") {
    dirs_.write(out + ".c", source);
    e2e::fs::create_directories((dirs_.root() / out).parent_path());
    std::string cmd = "cc -o '" + (dirs_.root() / out).string() + "' '" +
                      (dirs_.root() / (out + ".c")).string() + "' " + flags;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // A function whose bootstrap runs /var/task/probe (built from `source`)
  // and, if it succeeds, becomes the shell client: the probe's loading is
  // what the test looks at.
  model::Function probed(const std::string& source, const std::string& flags) {
    cc("code/probe", source, flags);
    dirs_.write("code/bootstrap", "#!/bin/sh\n/var/task/probe || exit $?\nexec /opt/bootstrap\n");
    e2e::fs::permissions(dirs_.root() / "code/bootstrap", e2e::fs::perms(0755));
    auto s = shell("echo");
    s.code_dir = (dirs_.root() / "code").string();
    return s;
  }

  e2e::Dirs dirs_;
};

TEST_F(InvokeE2E, ShellBootstrapInALayerServesColdAndWarm) {
  auto env = invoke::Environment::create(shell("echo"), options());
  ASSERT_TRUE(env.ok());
  auto first = (*env)->invoke(R"({"hello":"layer"})");
  ASSERT_TRUE(first.ok()) << format_error(first.error());
  EXPECT_EQ(first->payload, R"({"hello":"layer"})") << first->logs;
  EXPECT_TRUE(first->report.init_duration_ms.has_value());
  auto second = (*env)->invoke(R"({"again":true})");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->payload, R"({"again":true})");
  EXPECT_FALSE(second->report.init_duration_ms.has_value());
  EXPECT_TRUE(std::regex_search(second->logs,
                                std::regex("^START RequestId: [0-9a-f-]{36} Version: \\$LATEST\n"
                                           "handling [0-9a-f-]{36}\nEND RequestId: [0-9a-f-]{36}\n"
                                           "REPORT RequestId: [0-9a-f-]{36}\tDuration: [0-9]+\\.[0-9]{2} "
                                           "ms\tBilled Duration: [0-9]+ ms\tMemory Size: 128 MB\tMax "
                                           "Memory Used: [1-9][0-9]* MB\t\n$")))
      << second->logs;
}

// A prepared sandbox is laid out but its runtime waits: an init that sleeps
// a second still takes that second after the release, however long the
// environment was held before.
TEST_F(InvokeE2E, PreparedSandboxHoldsItsRuntimeUntilTheFirstInvoke) {
  auto s = shell("slow-init");
  s.environment = {{"INIT_SLEEP", "1"}};
  auto env = invoke::Environment::create(s, options());
  ASSERT_TRUE(env.ok()) << format_error(env.error());
  auto prepared = (*env)->prepare();
  ASSERT_TRUE(prepared.ok()) << format_error(prepared.error());
  EXPECT_TRUE((*env)->prepared());
  ::sleep(2);
  auto r = (*env)->invoke(R"({"held":true})");
  ASSERT_TRUE(r.ok()) << format_error(r.error());
  EXPECT_EQ(r->payload, R"({"held":true})");
  ASSERT_TRUE(r->report.init_duration_ms.has_value());
  EXPECT_GE(*r->report.init_duration_ms, 1000.0) << r->logs;
  auto warm = (*env)->invoke("{}");
  ASSERT_TRUE(warm.ok());
  EXPECT_FALSE(warm->report.init_duration_ms.has_value());
}

TEST_F(InvokeE2E, TutorialCurlBootstrapRunsUnchanged) {
  // Lambda's custom-runtime tutorial: a bash-style bootstrap using the
  // image's curl, the handler in function.sh beside it.
  dirs_.copy(std::string(FIXTURES) + "/curl-tutorial/bootstrap", "code/bootstrap");
  dirs_.copy(std::string(FIXTURES) + "/curl-tutorial/function.sh", "code/function.sh");
  e2e::fs::permissions(dirs_.root() / "code/bootstrap", e2e::fs::perms(0755));
  auto r = run(function("function.handler"), R"({"key":"value"})");
  EXPECT_EQ(r.function_error, "") << r.logs;
  EXPECT_EQ(r.payload, R"(Echoing request: '{"key":"value"}')") << r.logs;
  EXPECT_NE(r.logs.find(R"({"key":"value"})"), std::string::npos) << r.logs;
}

TEST_F(InvokeE2E, NextCarriesLambdasHeadersToAShellClient) {
  auto r = run(shell("headers"));
  EXPECT_TRUE(
      std::regex_search(r.payload, std::regex("Lambda-Runtime-Aws-Request-Id: " + r.report.request_id)))
      << r.payload;
  EXPECT_TRUE(std::regex_search(r.payload, std::regex("Lambda-Runtime-Deadline-Ms: [0-9]{13}")));
  EXPECT_NE(r.payload.find(
                "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:e2e"),
            std::string::npos);
  EXPECT_TRUE(
      std::regex_search(r.payload, std::regex("Lambda-Runtime-Trace-Id: Root=1-[0-9a-f]{8}-[0-9a-f]{24};"
                                              "Parent=[0-9a-f]{16};Sampled=0")));
}

TEST_F(InvokeE2E, OnlyLambdasVariablesAndNoHostCredentials) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEYMUSTNOTLEAK", 1);
  ::setenv("AWS_PROFILE", "host-profile", 1);
  auto s = cxx("env");
  s.environment = {{"STAGE", "test"}};
  auto r = run(s);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_PROFILE");
  json env = json::parse(r.payload, nullptr, false);
  ASSERT_TRUE(env.is_object()) << r.payload;
  EXPECT_EQ(env["AWS_ACCESS_KEY_ID"], "LAYEREDLOCALFAKEKEY");
  EXPECT_FALSE(env.contains("AWS_PROFILE"));
  EXPECT_FALSE(env.contains("HOME"));
  EXPECT_EQ(env["_HANDLER"], "env");
  EXPECT_EQ(env["STAGE"], "test");
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"], "/var/task");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "e2e");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
  EXPECT_EQ(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
  EXPECT_EQ(env["AWS_XRAY_CONTEXT_MISSING"], "LOG_ERROR");
  EXPECT_EQ(env["AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129:2000");
  EXPECT_EQ(env["_AWS_XRAY_DAEMON_ADDRESS"], "169.254.79.129");
  EXPECT_EQ(env["_AWS_XRAY_DAEMON_PORT"], "2000");
  EXPECT_TRUE(std::regex_match(env["AWS_LAMBDA_RUNTIME_API"].get<std::string>(),
                               std::regex("127\\.0\\.0\\.1:[0-9]+")));
  EXPECT_EQ(env["LD_LIBRARY_PATH"],
            "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib");
  EXPECT_EQ(r.payload.find("AKIAHOSTKEYMUSTNOTLEAK"), std::string::npos);
}

TEST_F(InvokeE2E, HostFilesAreInvisible) {
  // A home directory with AWS credentials, as a developer's machine has.
  dirs_.write("home/.aws/credentials", "[default]\naws_access_key_id = AKIAHOSTKEY\n");
  const std::string home_credentials = (dirs_.root() / "home/.aws/credentials").string();
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home ? old_home : "";
  ::setenv("HOME", (dirs_.root() / "home").string().c_str(), 1);
  auto in_home = run(cxx(handler_file(home_credentials)));
  auto home_var = run(cxx("env"));
  ::setenv("HOME", saved_home.c_str(), 1);
  EXPECT_EQ(in_home.payload, "\"missing: " + home_credentials + "\"");
  EXPECT_EQ(home_var.payload.find("\"HOME\""), std::string::npos);
  for (const char* path :
       {"/root/.aws/credentials", "/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/bin/python3", "/home"}) {
    auto r = run(cxx(handler_file(path)));
    EXPECT_EQ(r.payload, "\"missing: " + std::string(path) + "\"");
  }
  auto os = run(cxx(handler_file("/etc/os-release")));
  EXPECT_NE(os.payload.find("Amazon Linux 2023"), std::string::npos) << os.payload;
}

TEST_F(InvokeE2E, LaterLayerOverwritesAnEarlierLayersFile) {
  dirs_.write("one/data/who.txt", "layer one");
  dirs_.write("one/data/only-one.txt", "kept");
  dirs_.write("two/data/who.txt", "layer two");
  auto s = cxx(handler_file("/opt/data/who.txt"));
  s.layers = {{"arn:one", (dirs_.root() / "one").string()}, {"arn:two", (dirs_.root() / "two").string()}};
  EXPECT_EQ(run(s).payload, "\"layer two\"");
  std::swap(s.layers[0], s.layers[1]);
  EXPECT_EQ(run(s).payload, "\"layer one\"");
  s.handler = handler_file("/opt/data/only-one.txt");
  EXPECT_EQ(run(s).payload, "\"kept\"");
}

TEST_F(InvokeE2E, CxxClientUsesTheImagesLibstdcxx) {
  auto r = run(cxx("echo", CLIENT_DYNAMIC), R"({"linked":"from the image"})");
  EXPECT_EQ(r.payload, R"({"linked":"from the image"})") << r.logs;
}

TEST_F(InvokeE2E, MissingLibraryFailsAsOnLambdaAndALayerFixesIt) {
  cc("build/libmissing.so", "int missing_value(void) { return 0; }\n",
     "-shared -fPIC -Wl,-soname,libmissing.so");
  auto s = probed("int missing_value(void);\nint main(void) { return missing_value(); }\n",
                  "-L" + (dirs_.root() / "build").string() + " -lmissing");
  auto r = run(s);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_NE(r.logs.find("/var/task/probe: error while loading shared libraries: libmissing.so: cannot open "
                        "shared object file: No such file or directory"),
            std::string::npos)
      << r.logs;
  EXPECT_NE(r.payload.find("Runtime exited with error: exit status 127"), std::string::npos) << r.payload;

  // The same program with the library in a layer's lib/ (/opt/lib).
  dirs_.copy(dirs_.root() / "build/libmissing.so", "libs/lib/libmissing.so");
  s.layers.push_back({"arn:libs", (dirs_.root() / "libs").string()});
  auto fixed = run(s, R"({"linked":"from /opt/lib"})");
  EXPECT_EQ(fixed.payload, R"({"linked":"from /opt/lib"})") << fixed.logs;
}

TEST_F(InvokeE2E, RustStyleProgramFindsTheImagesLibgcc) {
  // What a Rust binary for x86_64-unknown-linux-gnu needs besides glibc:
  // libgcc_s.so.1 for unwinding, which provided.al2023 has.
  auto s = probed(
      "#include <stdio.h>\n#include <unwind.h>\n"
      "static _Unwind_Reason_Code step(struct _Unwind_Context* c, void* n) {\n"
      "  int before = 0; ++*(int*)n; return _Unwind_GetIPInfo(c, &before) ? _URC_NO_REASON : "
      "_URC_END_OF_STACK;\n"
      "}\n"
      "int main(void) { int frames = 0; _Unwind_Backtrace(step, &frames); printf(\"unwound %s\\n\", "
      "frames > 0 ? \"frames\" : \"nothing\"); return frames > 0 ? 0 : 1; }\n",
      "-Wl,--no-as-needed -lgcc_s");
  auto r = run(s, R"({"unwinds":true})");
  EXPECT_EQ(r.payload, R"({"unwinds":true})") << r.logs;
  EXPECT_NE(r.logs.find("unwound frames\n"), std::string::npos) << r.logs;
}

TEST_F(InvokeE2E, TooNewGlibcFailsAsLambdasLoaderWould) {
  // arc4random is new in glibc 2.36: this machine runs it, Lambda's 2.34 loader refuses it.
  cc("code/bootstrap",
     "#include <stdio.h>\n#include <stdlib.h>\n"
     "int main(void) { printf(\"started %u\\n\", arc4random() & 1); return 0; }\n");
  auto r = run(function("echo"));
  const std::string refusal =
      "/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.36' not found (required by "
      "/var/task/bootstrap)\n";
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(r.payload,
            R"({"errorMessage":"RequestId: )" + r.report.request_id +
                R"( Error: Runtime exited with error: exit status 1","errorType":"Runtime.ExitError"})");
  EXPECT_EQ(r.logs.find("started"), std::string::npos) << r.logs;
  // Refused at Init, then again when Lambda retries Init inside the invoke.
  EXPECT_EQ(r.logs.rfind(refusal + "INIT_REPORT Init Duration: ", 0), 0u) << r.logs;
  EXPECT_NE(r.logs.find("\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\nSTART RequestId: " +
                        r.report.request_id + " Version: $LATEST\n" + refusal + "INIT_REPORT"),
            std::string::npos)
      << r.logs;
  EXPECT_NE(r.logs.find("\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n"),
            std::string::npos);
}

TEST_F(InvokeE2E, TooNewGlibcInALayersLibraryFailsToo) {
  cc("lib-layer/lib/libdraw.so", "#include <stdlib.h>\nunsigned draw(void) { return arc4random(); }\n",
     "-shared -fPIC -Wl,-soname,libdraw.so");
  cc("code/bootstrap", "unsigned draw(void);\nint main(void) { return (int)(draw() & 1); }\n",
     "-L" + (dirs_.root() / "lib-layer/lib").string() + " -ldraw");
  auto s = function("echo");
  s.layers.push_back({"arn:draw", (dirs_.root() / "lib-layer").string()});
  auto r = run(s);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_NE(r.logs.find("/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.36' not found (required by "
                        "/opt/lib/libdraw.so)\n"),
            std::string::npos)
      << r.logs;
}

TEST_F(InvokeE2E, FunctionErrorFromACxxClient) {
  auto r = run(cxx("error"));
  EXPECT_EQ(r.payload, R"({"errorMessage":"it went wrong","errorType":"Function.Oops"})");
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(r.error_type, "Function.Oops");
}

TEST_F(InvokeE2E, CrashDuringInvokeIsRuntimeExitError) {
  auto r = run(cxx("exit"));
  EXPECT_EQ(r.payload,
            R"({"errorMessage":"RequestId: )" + r.report.request_id +
                R"( Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"})");
  EXPECT_NE(r.logs.find("exiting on purpose\nEND RequestId: "), std::string::npos) << r.logs;
  auto segv = run(cxx("segv"));
  EXPECT_NE(segv.payload.find("Runtime exited with error: signal: segmentation fault"), std::string::npos)
      << segv.payload;
}

TEST_F(InvokeE2E, TimeoutKillsTheEnvironment) {
  auto s = cxx("sleep");
  s.timeout_s = 1;
  auto env = invoke::Environment::create(s, options());
  ASSERT_TRUE(env.ok());
  auto r = (*env)->invoke("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"errorMessage":"RequestId: )" + r->report.request_id +
                            R"( Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"})");
  EXPECT_NE(r->logs.find("\tStatus: timeout\n"), std::string::npos);
  EXPECT_FALSE((*env)->warm());
}

TEST_F(InvokeE2E, MemoryLimitIsEnforcedAndMeasured) {
  auto s = cxx("oom");
  s.memory_mb = 128;
  auto r = run(s);
  EXPECT_EQ(r.error_type, "Runtime.OutOfMemory") << r.payload << r.logs;
  EXPECT_EQ(r.report.status, "error");
  EXPECT_NE(r.logs.find("\tStatus: error\tError Type: Runtime.OutOfMemory\n"), std::string::npos);
  EXPECT_GE(r.report.max_memory_used_mb, 100);
  // A small function's measured peak is far below its memory size.
  auto small = run(cxx("echo"));
  EXPECT_LT(small.report.max_memory_used_mb, 64);
  EXPECT_GT(small.report.max_memory_used_mb, 0);
}

TEST_F(InvokeE2E, InitErrorThroughTheSandbox) {
  auto r = run(shell("init-error"));
  EXPECT_EQ(r.error_type, "Runtime.ConfigError");
  EXPECT_EQ(r.payload, R"({"errorMessage":"missing configuration","errorType":"Runtime.ConfigError"})");
  EXPECT_NE(r.logs.find("\tPhase: init\tStatus: error\tError Type: Runtime.ConfigError\n"),
            std::string::npos);
  EXPECT_NE(r.logs.find("\tPhase: invoke\tStatus: error\tError Type: Runtime.ConfigError\n"),
            std::string::npos);
}

TEST_F(InvokeE2E, InitLongerThanTheLimitIsRetriedAgainstTheTimeout) {
  auto s = shell("slow-init");
  s.environment = {{"INIT_SLEEP", "2"}};
  auto o = options();
  o.init_limit = std::chrono::milliseconds(1000);
  auto r = invoke::invoke_once(s, R"({"late":1})", o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, R"({"late":1})") << r->logs;
  EXPECT_NE(r->logs.find("\tPhase: init\tStatus: timeout\nSTART RequestId: "), std::string::npos) << r->logs;
}

TEST_F(InvokeE2E, PayloadLimitsBothWays) {
  auto big = run(shell("big"));
  EXPECT_EQ(big.error_type, "Function.ResponseSizeTooLarge");
  // A 5 MB event goes through and back.
  std::string event = "\"" + std::string(5 * 1024 * 1024, 'e') + "\"";
  auto echo = run(cxx("echo"), event);
  EXPECT_EQ(echo.payload.size(), event.size());
  EXPECT_EQ(echo.payload, event);
}

TEST_F(InvokeE2E, InvalidJsonEventStartsNothing) {
  dirs_.write("layer/data/x", "x");
  auto s = cxx("echo");
  s.layers = {{"arn:layer", (dirs_.root() / "layer").string()}};
  auto r = invoke::invoke_once(s, "{\"unterminated\": ", options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("the event is not valid JSON: ", 0), 0u) << r.error().message;
  EXPECT_FALSE(e2e::fs::exists(dirs_.root() / "cache"));  // no layers merged, no sandbox
}

// One overlay rule (model::overlay): where a later layer has a file and an
// earlier one a directory (or the other way round), the sandbox's /opt and
// doctor's view agree: the earlier kind stays and doctor names what is lost.
TEST_F(InvokeE2E, FileAndDirectoryAtOnePathAgreeInSandboxAndDoctor) {
  dirs_.write("a/share/data/a.txt", "from a");
  dirs_.write("a/etc/conf", "a file");
  dirs_.write("b/share/data", "from b");
  dirs_.write("b/etc/conf/x", "under it");
  auto reading = [&](const std::string& file) {
    auto s = shell("cat");
    s.layers.push_back(
        {"arn:aws:lambda:us-east-1:123456789012:layer:a:1", (dirs_.root() / "a").string(), "a:1"});
    s.layers.push_back(
        {"arn:aws:lambda:us-east-1:123456789012:layer:b:1", (dirs_.root() / "b").string(), "b:1"});
    s.environment = {{"FILE", file}};
    return s;
  };
  EXPECT_EQ(run(reading("/opt/share/data/a.txt")).payload, "\"from a\"");
  EXPECT_EQ(run(reading("/opt/etc/conf")).payload, "\"a file\"");

  auto report = doctor::check(reading(""));
  ASSERT_TRUE(report.ok()) << format_error(report.error());
  std::vector<std::string> lost;
  for (const auto& f : report->functions.at(0).findings)
    if (f.code == "conflict.kind") lost.push_back(f.file + " (" + f.source + ")");
  EXPECT_EQ(lost, (std::vector<std::string>{"/opt/etc/conf (layer 'b:1')", "/opt/share/data (layer 'b:1')"}));
}

// A custom runtime whose bootstrap comes from a layer: doctor accepts
// /opt/bootstrap and invoke runs it.
TEST_F(InvokeE2E, BootstrapFromALayerIsAcceptedByDoctorAndRun) {
  auto s = shell("echo");
  auto report = doctor::check(s);
  ASSERT_TRUE(report.ok()) << format_error(report.error());
  for (const auto& f : report->functions.at(0).findings)
    EXPECT_NE(f.code.rfind("bootstrap.", 0), 0u) << f.message;
  EXPECT_EQ(run(s, "{\"hello\":1}").payload, "{\"hello\":1}");
}

// A deprecated runtime never starts: the model's one message.
TEST_F(InvokeE2E, ProvidedRuntimeIsRefusedWithTheOneMessage) {
  auto s = cxx("echo");
  s.runtime = model::Runtime::provided;
  auto r = invoke::invoke_once(s, "{}", options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, model::unsupported_runtime("e2e", model::Runtime::provided).message);
  EXPECT_EQ(
      r.error().message,
      "function 'e2e': the runtime 'provided' is no longer supported for creating or updating AWS Lambda "
      "functions");
}

}  // namespace
