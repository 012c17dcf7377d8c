// Node.js functions through the real sandbox with our runtime interface
// client and this machine's node (its major version names the runtime).
#include <algorithm>
#include <regex>

#include "runtime_fixture.hpp"

namespace runtimes_e2e {
namespace {

class Node : public NodeTest {};

TEST_F(Node, CommonJsAsyncHandlerWithContextAndInitOnce) {
  write("code/index.js",
        "let inits = 0; let calls = 0;\n"
        "inits += 1;\n"
        "console.log('module init');\n"
        "exports.handler = async (event, context) => {\n"
        "  calls += 1;\n"
        "  console.log('handling', event.n);\n"
        "  return { inits, calls, env: process.env.AWS_EXECUTION_ENV, name: context.functionName,\n"
        "    version: context.functionVersion, arn: context.invokedFunctionArn, memory: "
        "context.memoryLimitInMB,\n"
        "    request: context.awsRequestId, group: context.logGroupName, stream: context.logStreamName,\n"
        "    identity: context.identity ?? null, client: context.clientContext ?? null,\n"
        "    waits: context.callbackWaitsForEmptyEventLoop, left: context.getRemainingTimeInMillis() };\n"
        "};\n");
  auto env = environment(function(runtime_, "index.handler"));
  ASSERT_TRUE(env);
  auto first = env->invoke(R"({"n":1})");
  ASSERT_TRUE(first.ok()) << layered::format_error(first.error());
  json one = parse(first->payload);
  ASSERT_TRUE(one.is_object()) << first->payload << first->logs;
  EXPECT_EQ(one["inits"], 1);
  EXPECT_EQ(one["calls"], 1);
  EXPECT_EQ(one["env"], "AWS_Lambda_" + runtime_);
  EXPECT_EQ(one["name"], "rt-e2e");
  EXPECT_EQ(one["version"], "$LATEST");
  EXPECT_EQ(one["arn"], "arn:aws:lambda:us-east-1:123456789012:function:rt-e2e");
  EXPECT_EQ(one["memory"], "128");
  EXPECT_EQ(one["request"], first->report.request_id);
  EXPECT_EQ(one["group"], "/aws/lambda/rt-e2e");
  EXPECT_TRUE(std::regex_match(one["stream"].get<std::string>(),
                               std::regex(R"(\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32})")));
  EXPECT_TRUE(one["identity"].is_null());
  EXPECT_EQ(one["waits"], true);
  EXPECT_GT(one["left"].get<int>(), 15000);
  EXPECT_TRUE(std::regex_search(
      first->logs,
      std::regex("\tundefined\tINFO\tmodule init\nSTART RequestId: [0-9a-f-]+ Version: \\$LATEST\n"
                 "[0-9T:.Z-]+\t" +
                 first->report.request_id + "\tINFO\thandling 1\nEND RequestId")))
      << first->logs;
  auto second = env->invoke(R"({"n":2})");
  ASSERT_TRUE(second.ok());
  json two = parse(second->payload);
  EXPECT_EQ(two["inits"], 1) << "module-level code ran again in a warm environment";
  EXPECT_EQ(two["calls"], 2);
}

TEST_F(Node, EsModulesByExtensionAndByPackageType) {
  write("code/esm.mjs", "export const handler = async (event) => ({ kind: 'mjs', got: event.v });\n");
  write("code/lib/package.json", R"({"type": "module"})");
  write("code/lib/app.js",
        "import { sep } from 'node:path';\n"
        "export const handler = async () => ({ kind: 'type-module', sep, cjs: typeof require });\n");
  auto mjs = run(function(runtime_, "esm.handler"), R"({"v":7})");
  EXPECT_EQ(parse(mjs.payload), json::parse(R"({"kind":"mjs","got":7})")) << mjs.payload << mjs.logs;
  auto typed = run(function(runtime_, "lib/app.handler"));
  EXPECT_EQ(parse(typed.payload), json::parse(R"({"kind":"type-module","sep":"/","cjs":"undefined"})"))
      << typed.payload << typed.logs;
}

TEST_F(Node, CallbackHandlerWaitsForTheEventLoopUnlessToldNotTo) {
  write("code/cb.js",
        "exports.waits = (event, context, callback) => {\n"
        "  setTimeout(() => console.log('timer fired'), 400);\n"
        "  callback(null, { answer: 42 });\n"
        "};\n"
        "exports.returnsAtOnce = (event, context, callback) => {\n"
        "  context.callbackWaitsForEmptyEventLoop = false;\n"
        "  setTimeout(() => console.log('late timer'), 1500);\n"
        "  callback(null, 'now');\n"
        "};\n"
        "exports.fails = (event, context, callback) => callback(new TypeError('wrong type'));\n");
  auto waits = run(function(runtime_, "cb.waits"));
  EXPECT_EQ(waits.payload, R"({"answer":42})") << waits.logs;
  EXPECT_GE(waits.report.duration_ms, 350.0);
  EXPECT_LT(waits.logs.find("timer fired"), waits.logs.find("END RequestId")) << waits.logs;

  auto now = run(function(runtime_, "cb.returnsAtOnce"));
  EXPECT_EQ(now.payload, "\"now\"") << now.logs;
  EXPECT_LT(now.report.duration_ms, 1000.0);
  EXPECT_EQ(now.logs.find("late timer"), std::string::npos) << now.logs;

  auto fails = run(function(runtime_, "cb.fails"));
  json e = parse(fails.payload);
  EXPECT_EQ(fails.function_error, "Unhandled");
  EXPECT_EQ(e["errorType"], "TypeError") << fails.payload;
  EXPECT_EQ(e["errorMessage"], "wrong type");
  EXPECT_NE(fails.logs.find("\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\""), std::string::npos)
      << fails.logs;
}

TEST_F(Node, LayerModulesAreFoundAndTheFunctionsOwnWin) {
  write("code/index.js",
        "const shared = require('shared'); const fromLayer = require('only-layer');\n"
        "const versioned = require('versioned');\n"
        "exports.handler = async () => ({ shared: shared.who, layer: fromLayer.who, versioned: versioned.who "
        "});\n");
  write("code/node_modules/shared/index.js", "exports.who = 'function';\n");
  auto s = function(runtime_, "index.handler");
  add_layer(s, "mods");
  const std::string major = runtime_.substr(6, runtime_.size() - 8);
  write("layers/mods/nodejs/node_modules/shared/index.js", "exports.who = 'layer';\n");
  write("layers/mods/nodejs/node_modules/only-layer/index.js", "exports.who = 'nodejs/node_modules';\n");
  write("layers/mods/nodejs/node" + major + "/node_modules/versioned/index.js",
        "exports.who = 'nodejs/node" + major + "/node_modules';\n");
  auto r = run(s);
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["shared"], "function");
  EXPECT_EQ(out["layer"], "nodejs/node_modules");
  EXPECT_EQ(out["versioned"], "nodejs/node" + major + "/node_modules");
}

TEST_F(Node, HandlerErrorsAreReportedAsLambdaReportsThem) {
  write("code/index.js",
        "function check() { throw new Error('boom'); }\n"
        "exports.handler = async () => check();\n"
        "exports.value = 3;\n");
  write("code/broken.js", "exports.handler = async () => { return 1 +; };\n");
  write("code/needs.js", "require('does-not-exist');\nexports.handler = async () => 1;\n");

  auto missing = run(function(runtime_, "nope.handler"));
  json m = parse(missing.payload);
  EXPECT_EQ(missing.error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(m["errorType"], "Runtime.ImportModuleError") << missing.payload;
  EXPECT_EQ(m["errorMessage"], "Error: Cannot find module 'nope'\nRequire stack:\n- /var/runtime/index.mjs");

  auto dependency = run(function(runtime_, "needs.handler"));
  EXPECT_EQ(parse(dependency.payload)["errorMessage"],
            "Error: Cannot find module 'does-not-exist'\nRequire stack:\n- /var/task/needs.js\n- "
            "/var/runtime/index.mjs")
      << dependency.payload;

  auto absent = run(function(runtime_, "index.absent"));
  EXPECT_EQ(parse(absent.payload)["errorType"], "Runtime.HandlerNotFound");
  EXPECT_EQ(parse(absent.payload)["errorMessage"], "index.absent is undefined or not exported");
  auto value = run(function(runtime_, "index.value"));
  EXPECT_EQ(parse(value.payload)["errorMessage"], "index.value is not a function");

  auto syntax = run(function(runtime_, "broken.handler"));
  json s = parse(syntax.payload);
  EXPECT_EQ(s["errorType"], "Runtime.UserCodeSyntaxError") << syntax.payload;
  EXPECT_EQ(s["errorMessage"].get<std::string>().rfind("SyntaxError: ", 0), 0u);

  auto thrown = run(function(runtime_, "index.handler"));
  json t = parse(thrown.payload);
  EXPECT_EQ(t["errorType"], "Error") << thrown.payload;
  EXPECT_EQ(t["errorMessage"], "boom");
  ASSERT_GE(t["trace"].size(), 2u);
  EXPECT_EQ(t["trace"][0], "Error: boom");
  EXPECT_EQ(t["trace"][1].get<std::string>().rfind("    at check (/var/task/index.js:1:", 0), 0u)
      << t["trace"];
}

TEST_F(Node, UncaughtErrorsFailTheInvocationAndInitErrorsTheInit) {
  write("code/bad.js",
        "exports.rejects = async () => { Promise.reject(new Error('nobody waits')); "
        "await new Promise((r) => setTimeout(r, 200)); return 'late'; };\n"
        "exports.throwsLater = (event, context, callback) => { setTimeout(() => { throw new "
        "RangeError('later'); }, 10); };\n");
  write("code/init.js", "throw new TypeError('no config');\nexports.handler = async () => 1;\n");
  auto rejects = run(function(runtime_, "bad.rejects"));
  json r = parse(rejects.payload);
  EXPECT_EQ(r["errorType"], "Runtime.UnhandledPromiseRejection") << rejects.payload << rejects.logs;
  EXPECT_EQ(r["errorMessage"], "Error: nobody waits");
  auto later = run(function(runtime_, "bad.throwsLater"));
  EXPECT_EQ(parse(later.payload)["errorType"], "RangeError") << later.payload << later.logs;
  EXPECT_EQ(parse(later.payload)["errorMessage"], "later");
  auto init = run(function(runtime_, "init.handler"));
  EXPECT_EQ(init.error_type, "TypeError") << init.payload << init.logs;
  EXPECT_EQ(parse(init.payload)["errorMessage"], "no config");
  EXPECT_NE(init.logs.find("\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"TypeError\""),
            std::string::npos)
      << init.logs;
  EXPECT_NE(init.logs.find("INIT_REPORT Init Duration"), std::string::npos) << init.logs;
}

TEST_F(Node, RequireOfAnEsModuleIsOffAsOnLambdaUnlessNodeOptionsTurnItOn) {
  if (runtime_ != "nodejs20.x" && runtime_ != "nodejs22.x") GTEST_SKIP() << "Lambda disables it on 20 and 22";
  write("code/lib.mjs", "export const answer = 42;\n");
  write("code/index.js", "exports.handler = async () => require('./lib.mjs').answer;\n");
  auto off = run(function(runtime_, "index.handler"));
  EXPECT_EQ(off.function_error, "Unhandled") << off.payload;
  EXPECT_EQ(parse(off.payload)["errorType"], "Error") << off.payload;
  EXPECT_NE(off.payload.find("require() of ES Module"), std::string::npos) << off.payload;
  auto s = function(runtime_, "index.handler");
  s.environment = {{"NODE_OPTIONS", "--experimental-require-module"}};
  auto on = run(s);
  EXPECT_EQ(on.payload, "42") << on.payload << on.logs;
}

TEST_F(Node, StartsWithLambdasFlagsAndAHeapSizedByTheFunctionsMemory) {
  write("code/index.js",
        "const v8 = require('v8'); const http = require('http');\n"
        "exports.handler = async () => ({ gc: typeof gc, headers: http.maxHeaderSize,\n"
        "  heapMb: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576),\n"
        "  noDeprecation: process.noDeprecation === true, argv: process.execArgv });\n");
  auto s = function(runtime_, "index.handler");
  s.memory_mb = 512;
  auto r = run(s);
  json out = parse(r.payload);
  ASSERT_TRUE(out.is_object()) << r.payload << r.logs;
  EXPECT_EQ(out["gc"], "function");
  EXPECT_EQ(out["headers"], 81920);
  // 461 MB of old space and the young generation: not this machine's default.
  EXPECT_GE(out["heapMb"].get<int>(), 461) << out["argv"];
  EXPECT_LT(out["heapMb"].get<int>(), 600) << out["argv"];
  const json argv = out["argv"];
  for (const char* flag : {"--max-semi-space-size=25", "--max-old-space-size=461"})
    EXPECT_NE(std::find(argv.begin(), argv.end(), flag), argv.end()) << flag << argv;

  // NODE_OPTIONS still reaches node; the same heap flag on the command line
  // wins, as it does with Lambda's bootstrap.
  s.environment = {{"NODE_OPTIONS", "--no-deprecation --max-old-space-size=2000"}};
  auto with_options = run(s);
  json opt = parse(with_options.payload);
  ASSERT_TRUE(opt.is_object()) << with_options.payload << with_options.logs;
  EXPECT_EQ(opt["noDeprecation"], true);
  EXPECT_LT(opt["heapMb"].get<int>(), 600);
}

TEST_F(Node, MissingMajorVersionIsRefusedNeverSubstituted) {
  const std::string other = runtime_ == "nodejs18.x" ? "nodejs24.x" : "nodejs18.x";
  const std::string variable = other == "nodejs18.x" ? "LAYERED_NODEJS18_X" : "LAYERED_NODEJS24_X";
  ::unsetenv(variable.c_str());
  write("code/index.js", "exports.handler = async () => 1;\n");
  auto env = layered::invoke::Environment::create(function(other, "index.handler"), options());
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().message, "runtime '" + other + "' needs Node.js " + other.substr(6, 2) +
                                     ", which is not installed on this machine");
  EXPECT_NE(env.error().hint.find("set " + variable + "=/path/to/its/node"), std::string::npos)
      << env.error().hint;
}

}  // namespace
}  // namespace runtimes_e2e
