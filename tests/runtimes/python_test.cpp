// Python functions through the real sandbox with our runtime interface
// client and this machine's Python 3.11 (Debian 12's python3).
#include <cstdio>
#include <regex>

#include "runtime_fixture.hpp"

namespace runtimes_e2e {
namespace {

constexpr const char* kPython = "python3.11";

class Python : public RuntimeTest {};

TEST_F(Python, InitRunsOncePerEnvironmentAndPrintsLandBetweenStartAndEnd) {
  write("code/app.py",
        "import os\n"
        "INITS = [0]\n"
        "CALLS = [0]\n"
        "INITS[0] += 1\n"
        "print('module init')\n"
        "def handler(event, context):\n"
        "    CALLS[0] += 1\n"
        "    print('handling', event['n'])\n"
        "    return {'inits': INITS[0], 'calls': CALLS[0], 'env': os.environ['AWS_EXECUTION_ENV'],\n"
        "            'name': context.function_name, 'version': context.function_version,\n"
        "            'arn': context.invoked_function_arn, 'memory': context.memory_limit_in_mb,\n"
        "            'request': context.aws_request_id, 'group': context.log_group_name,\n"
        "            'stream': context.log_stream_name, 'identity': context.identity.cognito_identity_id,\n"
        "            'client': context.client_context, 'left': context.get_remaining_time_in_millis()}\n");
  auto env = environment(function(kPython, "app.handler"));
  ASSERT_TRUE(env);
  auto first = env->invoke(R"({"n":1})");
  ASSERT_TRUE(first.ok()) << layered::format_error(first.error());
  json one = parse(first->payload);
  ASSERT_TRUE(one.is_object()) << first->payload << first->logs;
  EXPECT_EQ(one["inits"], 1);
  EXPECT_EQ(one["calls"], 1);
  EXPECT_EQ(one["env"], "AWS_Lambda_python3.11");
  EXPECT_EQ(one["name"], "rt-e2e");
  EXPECT_EQ(one["version"], "$LATEST");
  EXPECT_EQ(one["arn"], "arn:aws:lambda:us-east-1:123456789012:function:rt-e2e");
  EXPECT_EQ(one["memory"], "128");
  EXPECT_EQ(one["request"], first->report.request_id);
  EXPECT_EQ(one["group"], "/aws/lambda/rt-e2e");
  EXPECT_TRUE(std::regex_match(one["stream"].get<std::string>(),
                               std::regex(R"(\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32})")));
  EXPECT_TRUE(one["identity"].is_null());
  EXPECT_TRUE(one["client"].is_null());
  EXPECT_GT(one["left"].get<int>(), 15000);
  EXPECT_LE(one["left"].get<int>(), 20000);
  EXPECT_TRUE(first->report.init_duration_ms.has_value());
  EXPECT_TRUE(std::regex_search(first->logs, std::regex("module init\nSTART RequestId: [0-9a-f-]+ Version: "
                                                        "\\$LATEST\nhandling 1\nEND RequestId")))
      << first->logs;

  auto second = env->invoke(R"({"n":2})");
  ASSERT_TRUE(second.ok());
  json two = parse(second->payload);
  EXPECT_EQ(two["inits"], 1) << "module-level code ran again in a warm environment";
  EXPECT_EQ(two["calls"], 2);
  EXPECT_FALSE(second->report.init_duration_ms.has_value());
  EXPECT_NE(second->logs.find("handling 2\nEND RequestId"), std::string::npos) << second->logs;
}

TEST_F(Python, FunctionModuleWinsOverTheLayersAndSearchOrderIsLambdas) {
  write("code/app.py",
        "import sys, shared, only_layer, only_site\n"
        "def handler(event, context):\n"
        "    return {'shared': shared.WHO, 'layer': only_layer.WHO, 'site': only_site.WHO,\n"
        "            'pth': 'from_pth' in sys.modules, 'path': sys.path[:5]}\n");
  write("code/shared.py", "WHO = 'function'\n");
  auto s = function(kPython, "app.handler");
  add_layer(s, "lib");
  write("layers/lib/python/shared.py", "WHO = 'layer'\n");
  write("layers/lib/python/only_layer.py", "WHO = 'layer python/'\n");
  write("layers/lib/python/lib/python3.11/site-packages/only_site.py", "WHO = 'layer site-packages'\n");
  write("layers/lib/python/lib/python3.11/site-packages/extra.pth", "import from_pth\n");
  write("layers/lib/python/lib/python3.11/site-packages/from_pth.py", "\n");
  auto r = run(s);
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["shared"], "function");
  EXPECT_EQ(out["layer"], "layer python/");
  EXPECT_EQ(out["site"], "layer site-packages");
  EXPECT_EQ(out["pth"], true) << "the layer's site-packages is a site directory (.pth files run)";
  // python3.11 and later: the runtime's site-packages before /var/runtime.
  EXPECT_EQ(out["path"],
            json::parse(R"(["/var/task", "/opt/python/lib/python3.11/site-packages", "/opt/python",
                                         "/var/lang/lib/python3.11/site-packages", "/var/runtime"])"));
}

TEST_F(Python, FunctionAndLayerFoldersAreSiteDirectoriesAndPythonpathIsSetForChildren) {
  // Lambda's bootstrap.py: site.addsitedir for /var/task, the layers'
  // site-packages and /opt/python, so their .pth files take effect.
  write("code/app.py",
        "import os, sys\n"
        "def handler(event, context):\n"
        "    return {'task': 'task_pth' in sys.modules, 'opt': 'opt_pth' in sys.modules,\n"
        "            'extra': '/var/task/vendor' in sys.path, 'pythonpath': os.environ.get('PYTHONPATH')}\n");
  write("code/task.pth", "import task_pth\n/var/task/vendor\n");
  write("code/task_pth.py", "\n");
  write("code/vendor/v.py", "\n");
  auto s = function(kPython, "app.handler");
  add_layer(s, "lib");
  write("layers/lib/python/opt.pth", "import opt_pth\n");
  write("layers/lib/python/opt_pth.py", "\n");
  auto r = run(s);
  EXPECT_EQ(parse(r.payload),
            json::parse(R"({"task": true, "opt": true, "extra": true, "pythonpath": "/var/runtime"})"))
      << r.payload << r.logs;
}

TEST_F(Python, PythonpathOfTheFunctionKeepsTheLayersOffTheSearchPath) {
  // Lambda's bootstrap.py adds /opt/python... only when PYTHONPATH is unset
  // (is_pythonpath_set); the function's own directories come after
  // /var/runtime, where Python puts PYTHONPATH.
  write("code/app.py",
        "import os, sys\n"
        "def handler(event, context):\n"
        "    try:\n"
        "        import only_layer\n"
        "        found = True\n"
        "    except ImportError:\n"
        "        found = False\n"
        "    return {'found': found, 'path': sys.path[:3], 'pythonpath': os.environ['PYTHONPATH']}\n");
  auto s = function(kPython, "app.handler");
  add_layer(s, "lib");
  write("layers/lib/python/only_layer.py", "\n");
  s.environment = {{"PYTHONPATH", "/var/task/src"}};
  auto r = run(s);
  EXPECT_EQ(parse(r.payload), json::parse(R"({"found": false, "pythonpath": "/var/task/src",
                                              "path": ["/var/task", "/var/runtime", "/var/task/src"]})"))
      << r.payload << r.logs;
}

TEST_F(Python, LayerWithoutPythonDirectoryIsImportModuleError) {
  write("code/app.py", "import mylib\ndef handler(event, context):\n    return mylib.VALUE\n");
  auto s = function(kPython, "app.handler");
  add_layer(s, "flat");
  write("layers/flat/mylib/__init__.py", "VALUE = 1\n");  // at /opt/mylib: nobody searches there
  auto r = run(s);
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(r.error_type, "Runtime.ImportModuleError");
  json error = parse(r.payload);
  EXPECT_EQ(error["errorType"], "Runtime.ImportModuleError") << r.payload;
  EXPECT_EQ(error["errorMessage"], "Unable to import module 'app': No module named 'mylib'");
  EXPECT_EQ(error["stackTrace"], json::array());
  EXPECT_NE(r.logs.find("[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named "
                        "'mylib'\rTraceback (most recent call last):"),
            std::string::npos)
      << r.logs;
}

TEST_F(Python, HandlerErrorsAreReportedAsLambdaReportsThem) {
  write("code/app.py",
        "class Invalid(Exception):\n"
        "    pass\n"
        "def check(event):\n"
        "    raise Invalid('bad input: ' + event['x'])\n"
        "def handler(event, context):\n"
        "    check(event)\n");
  write("code/broken.py", "def handler(event, context:\n    return 1\n");
  write("code/pkg/sub/deep.py", "def handler(event, context):\n    return 'deep'\n");

  auto missing = run(function(kPython, "nope.handler"));
  EXPECT_EQ(parse(missing.payload)["errorType"], "Runtime.ImportModuleError");
  EXPECT_EQ(parse(missing.payload)["errorMessage"], "Unable to import module 'nope': No module named 'nope'");

  auto not_found = run(function(kPython, "app.absent"));
  EXPECT_EQ(parse(not_found.payload)["errorType"], "Runtime.HandlerNotFound");
  EXPECT_EQ(parse(not_found.payload)["errorMessage"], "Handler 'absent' missing on module 'app'");

  auto syntax = run(function(kPython, "broken.handler"));
  json s = parse(syntax.payload);
  EXPECT_EQ(s["errorType"], "Runtime.UserCodeSyntaxError") << syntax.payload;
  EXPECT_EQ(s["errorMessage"].get<std::string>().rfind("Syntax error in module 'broken': ", 0), 0u);
  ASSERT_EQ(s["stackTrace"].size(), 1u);
  EXPECT_EQ(s["stackTrace"][0].get<std::string>().rfind("  File \"/var/task/broken.py\" Line 1\n", 0), 0u);

  auto raised = run(function(kPython, "app.handler"), R"({"x":"y"})");
  json e = parse(raised.payload);
  EXPECT_EQ(raised.function_error, "Unhandled");
  EXPECT_EQ(e["errorType"], "Invalid") << raised.payload;
  EXPECT_EQ(e["errorMessage"], "bad input: y");
  EXPECT_EQ(e["requestId"], raised.report.request_id);
  ASSERT_EQ(e["stackTrace"].size(), 2u) << raised.payload;  // handler, check: none of the runtime's frames
  EXPECT_EQ(e["stackTrace"][0], "  File \"/var/task/app.py\", line 6, in handler\n    check(event)\n");
  EXPECT_EQ(e["stackTrace"][1],
            "  File \"/var/task/app.py\", line 4, in check\n    raise Invalid('bad input: ' + event['x'])\n");
  EXPECT_NE(raised.logs.find("[ERROR] Invalid: bad input: y\r"), std::string::npos) << raised.logs;

  auto deep = run(function(kPython, "pkg/sub/deep.handler"));
  EXPECT_EQ(deep.payload, "\"deep\"");
}

TEST_F(Python, ExceptionAtModuleLevelIsAnInitError) {
  write("code/app.py", "raise KeyError('CONFIG')\ndef handler(event, context):\n    return 1\n");
  auto r = run(function(kPython, "app.handler"));
  json e = parse(r.payload);
  EXPECT_EQ(r.error_type, "KeyError");
  EXPECT_EQ(e["errorType"], "KeyError") << r.payload;
  EXPECT_EQ(e["errorMessage"], "'CONFIG'");
  EXPECT_NE(r.logs.find("INIT_REPORT Init Duration"), std::string::npos) << r.logs;
}

TEST_F(Python, NothingOfThisMachinesPythonPackagesIsVisible) {
  // Each of these is installed on this machine (Debian's dist-packages,
  // pyenv's site-packages or pip itself) where it exists at all.
  write("code/app.py",
        "import importlib.util, os, sys\n"
        "def handler(event, context):\n"
        "    names = ['yaml', 'flask', 'jinja2', 'apt', 'pip', 'setuptools', 'IPython', 'requests']\n"
        "    return {'found': [n for n in names if importlib.util.find_spec(n)],\n"
        "            'path': sys.path, 'prefix': sys.prefix,\n"
        "            'dist': os.path.exists('/usr/lib/python3/dist-packages'),\n"
        "            'site': os.listdir('/var/lang/lib/python3.11/site-packages')\n"
        "                    if os.path.isdir('/var/lang/lib/python3.11/site-packages') else []}\n");
  auto r = run(function(kPython, "app.handler"));
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["found"], json::array());
  EXPECT_EQ(out["dist"], false);
  EXPECT_EQ(out["site"], json::array());
  EXPECT_EQ(out["prefix"], "/var/lang");
  for (const auto& p : out["path"]) {
    const std::string dir = p.get<std::string>();
    EXPECT_TRUE(dir.rfind("/var/", 0) == 0 || dir.rfind("/opt/", 0) == 0) << dir;
  }
}

TEST_F(Python, DebiansPythonBoundInPlaceSeesNoDistPackages) {
  // Debian's interpreter, whose standard library is bound where it is; its
  // site.py would add /usr/lib/python3/dist-packages (flask, yaml, apt here).
  if (::access("/usr/bin/python3.11", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3.11";
  ScopedEnv chosen("LAYERED_PYTHON3_11", "/usr/bin/python3.11");
  write("code/app.py",
        "import importlib.util, sys\n"
        "def handler(event, context):\n"
        "    names = ['yaml', 'flask', 'jinja2', 'apt', 'pip', 'setuptools', 'requests']\n"
        "    return {'found': [n for n in names if importlib.util.find_spec(n)], 'path': sys.path,\n"
        "            'ssl': __import__('ssl').OPENSSL_VERSION.startswith('OpenSSL')}\n");
  auto r = run(function(kPython, "app.handler"));
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["found"], json::array());
  EXPECT_EQ(out["ssl"], true) << "extension modules load their libraries from /var/lang/lib";
  for (const auto& p : out["path"]) {
    const std::string dir = p.get<std::string>();
    EXPECT_TRUE(dir.rfind("/var/", 0) == 0 || dir.rfind("/opt/", 0) == 0) << dir;
  }
}

TEST_F(Python, MissingVersionIsRefusedNeverSubstituted) {
  // python3 and even a "python3.9" on PATH that are really 3.11 (the real
  // file: pyenv's shims need pyenv on PATH).
  std::string real;
  if (FILE* out = ::popen("python3.11 -c 'import os,sys; print(os.path.realpath(sys.executable))'", "r")) {
    char buf[4096] = {};
    if (std::fgets(buf, sizeof buf, out)) real = buf;
    ::pclose(out);
  }
  while (!real.empty() && real.back() == '\n') real.pop_back();
  ASSERT_FALSE(real.empty());
  fs::create_directories(root_ / "bin");
  fs::create_symlink(real, root_ / "bin" / "python3.9");
  fs::create_symlink(real, root_ / "bin" / "python3");
  ScopedEnv path("PATH", (root_ / "bin").string());
  ::unsetenv("LAYERED_PYTHON3_9");
  write("code/app.py", "def handler(event, context):\n    return 1\n");
  auto env = layered::invoke::Environment::create(function("python3.9", "app.handler"), options());
  ASSERT_FALSE(env.ok());
  const std::string bin = (root_ / "bin").string();
  EXPECT_EQ(env.error().message,
            "runtime 'python3.9' needs Python 3.9, which is not installed on this machine");
  EXPECT_EQ(env.error().hint,
            "looked at $LAYERED_PYTHON3_9 (unset) and for python3.9, python3 on PATH (" + bin +
                "/python3.9 is 3.11, " + bin +
                "/python3 is 3.11); install Python 3.9 so that 'python3.9' is on PATH, or "
                "set LAYERED_PYTHON3_9=/path/to/its/python3.9; layered never runs a python3.9 "
                "function on another version");

  // Named explicitly, a wrong version is refused as well.
  ScopedEnv chosen("LAYERED_PYTHON3_9", real);
  auto named = layered::invoke::Environment::create(function("python3.9", "app.handler"), options());
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().message,
            "runtime 'python3.9' needs Python 3.9, but LAYERED_PYTHON3_9=" + real + " is Python 3.11");
}

TEST_F(Python, ExplicitInterpreterOfAnotherVersionRunsWithItsOwnSearchOrder) {
  // pyenv's 3.12 where this machine has one (python3.11 and later put the
  // runtime's site-packages before /var/runtime).
  std::string python312;
  for (const char* candidate : {"/root/.pyenv/versions/3.12.1/bin/python3.12", "/usr/bin/python3.12"})
    if (::access(candidate, X_OK) == 0) python312 = candidate;
  if (python312.empty()) GTEST_SKIP() << "no Python 3.12 on this machine";
  ScopedEnv chosen("LAYERED_PYTHON3_12", python312);
  write("code/app.py",
        "import sys\n"
        "def handler(event, context):\n"
        "    return {'version': '%d.%d' % sys.version_info[:2], 'path': sys.path[:5]}\n");
  auto r = run(function("python3.12", "app.handler"));
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["version"], "3.12");
  EXPECT_EQ(out["path"],
            json::parse(R"(["/var/task", "/opt/python/lib/python3.12/site-packages", "/opt/python",
                                         "/var/lang/lib/python3.12/site-packages", "/var/runtime"])"));
}

TEST_F(Python, Python310KeepsTheOlderOrderAndAppendsLayerFoldersThatDoNotExist) {
  // The sys.path printed by python3.10 functions without layers on Lambda:
  // site.addsitedir appends the /opt folders it does not find.
  const char* python310 = "/root/.pyenv/versions/3.10.13/bin/python3.10";
  if (::access(python310, X_OK) != 0) GTEST_SKIP() << "no Python 3.10 on this machine";
  ScopedEnv chosen("LAYERED_PYTHON3_10", python310);
  write("code/app.py", "import sys\ndef handler(event, context):\n    return sys.path\n");
  auto r = run(function("python3.10", "app.handler"));
  EXPECT_EQ(parse(r.payload), json::parse(R"(["/var/task", "/opt/python/lib/python3.10/site-packages",
      "/opt/python", "/var/runtime", "/var/lang/lib/python310.zip", "/var/lang/lib/python3.10",
      "/var/lang/lib/python3.10/lib-dynload", "/var/lang/lib/python3.10/site-packages",
      "/opt/python/lib/python3.10/site-packages", "/opt/python"])"))
      << r.payload << r.logs;
}

}  // namespace
}  // namespace runtimes_e2e

namespace runtimes_e2e {
namespace {

// A Python function deployed for arm64 (Graviton, as many CDK apps choose)
// runs on this machine's interpreter: pure Python behaves the same. A C++
// function for another architecture is still refused (the sandbox's test).
TEST_F(Python, AnArm64FunctionRunsOnThisMachinesInterpreter) {
  write("code/app.py", "def handler(event, context):\n    return {'n': event['n'] + 1}\n");
  auto spec = function(kPython, "app.handler");
  spec.architecture = layered::model::Architecture::arm64;
  auto r = run(spec, R"({"n":41})");
  EXPECT_EQ(r.payload, R"({"n": 42})") << r.logs;
  EXPECT_TRUE(r.function_error.empty()) << r.function_error;
}

}  // namespace
}  // namespace runtimes_e2e
