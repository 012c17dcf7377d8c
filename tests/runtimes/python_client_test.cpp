// What Lambda's Python runtime gives a function beyond loading its handler:
// logging on the root logger, responses serialized as simplejson does them,
// the image's CA certificates for TLS, AWS_LAMBDA_EXEC_WRAPPER.
#include <sys/stat.h>

#include <regex>

#include "runtime_fixture.hpp"

namespace runtimes_e2e {
namespace {

constexpr const char* kPython = "python3.11";

class PythonClient : public RuntimeTest {};

TEST_F(PythonClient, LoggingReachesTheLogInLambdasFormatOnceALevelIsSet) {
  write("code/app.py",
        "import logging\n"
        "logger = logging.getLogger()\n"
        "logger.info('not yet: the root logger starts at WARNING')\n"
        "logger.warning('at init')\n"
        "def handler(event, context):\n"
        "    logger.setLevel(logging.INFO)\n"
        "    logger.info('handling %s', event['n'])\n"
        "    logging.getLogger('child').error('from a child')\n"
        "    return len(logger.handlers)\n");
  auto r = run(function(kPython, "app.handler"), R"({"n":7})");
  EXPECT_EQ(r.payload, "1") << r.logs;
  EXPECT_EQ(r.logs.find("not yet"), std::string::npos) << r.logs;
  const std::string time = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)";
  EXPECT_TRUE(std::regex_search(r.logs, std::regex("\\[WARNING\\]\t" + time + "\t\tat init\n"))) << r.logs;
  EXPECT_TRUE(std::regex_search(
      r.logs, std::regex("\\[INFO\\]\t" + time + "\t" + r.report.request_id + "\thandling 7\n")))
      << r.logs;
  EXPECT_TRUE(std::regex_search(
      r.logs, std::regex("\\[ERROR\\]\t" + time + "\t" + r.report.request_id + "\tfrom a child\n")))
      << r.logs;
}

TEST_F(PythonClient, RootHandlerHasLambdasClassNames) {
  // Libraries find Lambda's handler by its class name (datadog-lambda).
  write("code/app.py",
        "import logging\n"
        "def handler(event, context):\n"
        "    h = logging.getLogger().handlers[0]\n"
        "    return [type(h).__name__, [type(f).__name__ for f in h.filters]]\n");
  auto r = run(function(kPython, "app.handler"));
  EXPECT_EQ(r.payload, R"(["LambdaLoggerHandler", ["LambdaLoggerFilter"]])") << r.logs;
}

TEST_F(PythonClient, InitFailureIsPrecededByLambdasWarningAndAnInvocationErrorIsNot) {
  write("code/broken.py", "raise ValueError('bad config')\n");
  write("code/app.py", "def handler(event, context):\n    raise ValueError('bad input')\n");
  const std::string warning =
      "\t\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
      "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions "
      "using managed runtimes, runtime updates can be triggered by a function change, or can be applied "
      "automatically. To determine if the runtime has been updated, check the runtime version in the "
      "INIT_START log entry. If this error correlates with a change in the runtime version, you may be able "
      "to mitigate this error by temporarily rolling back to the previous runtime version. For more "
      "information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r\n"
      "[ERROR] ValueError: bad config\rTraceback (most recent call last):";
  auto init = run(function(kPython, "broken.handler"));
  EXPECT_EQ(init.error_type, "ValueError") << init.payload;
  // A record of the root logger during init: no request id.
  EXPECT_TRUE(std::regex_search(
      init.logs, std::regex(R"(\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t\tLAMBDA_WARNING: )")))
      << init.logs;
  EXPECT_NE(init.logs.find(warning), std::string::npos) << init.logs;
  auto invoke = run(function(kPython, "app.handler"));
  EXPECT_EQ(invoke.error_type, "ValueError") << invoke.payload;
  EXPECT_EQ(invoke.logs.find("LAMBDA_WARNING"), std::string::npos) << invoke.logs;
}

TEST_F(PythonClient, LogLevelVariableSetsTheRootLoggersLevel) {
  write("code/app.py",
        "import logging\n"
        "def handler(event, context):\n"
        "    logging.getLogger().debug('debugging')\n"
        "    return logging.getLogger().level\n");
  auto s = function(kPython, "app.handler");
  s.environment = {{"AWS_LAMBDA_LOG_LEVEL", "TRACE"}};
  auto r = run(s);
  EXPECT_EQ(r.payload, "10") << r.logs;
  EXPECT_NE(r.logs.find("[DEBUG]\t"), std::string::npos) << r.logs;
}

TEST_F(PythonClient, ResponsesAreSerializedAsSimplejsonDoes) {
  write("code/app.py",
        "import collections, decimal\n"
        "Point = collections.namedtuple('Point', 'x y')\n"
        "def handler(event, context):\n"
        "    return {'price': decimal.Decimal('19.90'), 'big': decimal.Decimal('12345678901234567890.5'),\n"
        "            'count': decimal.Decimal('3'), 'point': Point(1, [Point(2, 3)]), 'pair': (4, 5),\n"
        "            'raw': [b'bytes']}\n");
  auto r = run(function(kPython, "app.handler"));
  EXPECT_EQ(
      r.payload,
      R"({"price": 19.90, "big": 12345678901234567890.5, "count": 3, "point": {"x": 1, "y": [{"x": 2, "y": 3}]}, )"
      R"("pair": [4, 5], "raw": ["bytes"]})")
      << r.logs;
}

TEST_F(PythonClient, AnErrorWithoutMessageIsLoggedWithoutColon) {
  write("code/app.py",
        "class MyError(Exception):\n"
        "    pass\n"
        "def handler(event, context):\n"
        "    raise MyError()\n");
  auto r = run(function(kPython, "app.handler"));
  EXPECT_EQ(parse(r.payload)["errorType"], "MyError") << r.payload;
  EXPECT_EQ(parse(r.payload)["errorMessage"], "");
  EXPECT_NE(r.logs.find("[ERROR] MyError\rTraceback (most recent call last):"), std::string::npos) << r.logs;
}

TEST_F(PythonClient, DefaultTlsContextTrustsTheImagesCaBundle) {
  write(
      "code/app.py",
      "import ssl\n"
      "def handler(event, context):\n"
      "    with open('/etc/pki/tls/certs/ca-bundle.crt') as f:\n"
      "        bundled = f.read().count('BEGIN CERTIFICATE')\n"
      "    loaded = ssl.create_default_context().cert_store_stats()['x509_ca']\n"
      "    return {'cafile': ssl.get_default_verify_paths().cafile, 'loaded': loaded, 'bundled': bundled}\n");
  auto r = run(function(kPython, "app.handler"));
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_FALSE(out["cafile"].is_null()) << "OpenSSL's default CA file does not exist in the sandbox";
  EXPECT_GT(out["bundled"].get<int>(), 0);
  EXPECT_EQ(out["loaded"], out["bundled"]) << r.payload;
}

TEST_F(PythonClient, ExecWrapperStartsTheRuntime) {
  write("code/app.py",
        "import os, sys\n"
        "def handler(event, context):\n"
        "    return {'wrapped': os.environ.get('WRAPPED'), 'args': os.environ.get('WRAPPER_ARGS')}\n");
  auto s = function(kPython, "app.handler");
  add_layer(s, "wrapper");
  write("layers/wrapper/wrapper",
        "#!/bin/sh\n"
        "export WRAPPED=yes\n"
        "export WRAPPER_ARGS=\"$*\"\n"
        "exec \"$@\"\n");
  ::chmod((root_ / "layers/wrapper/wrapper").c_str(), 0755);
  s.environment = {{"AWS_LAMBDA_EXEC_WRAPPER", "/opt/wrapper"}};
  auto r = run(s);
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["wrapped"], "yes");
  EXPECT_EQ(out["args"], "/var/lang/bin/python3.11 -s /var/runtime/bootstrap.py");

  s.environment = {{"AWS_LAMBDA_EXEC_WRAPPER", "/opt/missing"}};
  auto missing = run(s);
  EXPECT_EQ(missing.error_type, "Runtime.ExitError") << missing.payload << missing.logs;
  EXPECT_NE(missing.logs.find("/opt/missing: does not exist\n"), std::string::npos) << missing.logs;
  EXPECT_NE(missing.payload.find("exit status 127"), std::string::npos) << missing.payload;
}

}  // namespace
}  // namespace runtimes_e2e
