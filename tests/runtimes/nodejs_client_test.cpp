// What Lambda's Node.js runtime gives a function beyond loading its handler:
// ES modules that import packages from layers, results JSON cannot encode,
// response streaming (globalThis.awslambda), the callback handlers Node.js
// 24 refuses.
#include <chrono>
#include <cstdlib>

#include "runtime_fixture.hpp"

namespace runtimes_e2e {
namespace {

class NodeClient : public NodeTest {
 protected:
  int major() const { return std::atoi(runtime_.substr(6).c_str()); }
};

TEST_F(NodeClient, EsModulesImportPackagesFromLayers) {
  auto s = function(runtime_, "app.handler");
  add_layer(s, "mods");
  // "exports" with conditions, a subpath, a scoped package, and a package
  // the function's own node_modules also has (the function's wins).
  write("layers/mods/nodejs/node_modules/nmod/package.json",
        R"({"name":"nmod","exports":{".":{"import":"./esm.mjs","require":"./cjs.js"},"./sub":"./sub.js"}})");
  write("layers/mods/nodejs/node_modules/nmod/esm.mjs", "export default { where: 'layer esm' };\n");
  write("layers/mods/nodejs/node_modules/nmod/cjs.js", "module.exports = { where: 'layer cjs' };\n");
  write("layers/mods/nodejs/node_modules/nmod/sub.js", "module.exports = { where: 'layer sub' };\n");
  write("layers/mods/nodejs/node_modules/@scope/pkg/index.js",
        "module.exports = { where: 'layer scoped' };\n");
  write("layers/mods/nodejs/node_modules/shared/index.js", "module.exports = { where: 'layer' };\n");
  write("layers/mods/nodejs/node_modules/plain/index.js", "module.exports = {};\n");
  write("code/node_modules/shared/index.js", "module.exports = { where: 'function' };\n");
  const std::string body =
      "import nmod from 'nmod'; import sub from 'nmod/sub'; import scoped from '@scope/pkg';\n"
      "import shared from 'shared';\n"
      "export const handler = async () => [nmod.where, sub.where, scoped.where, shared.where];\n"
      "export const missing = async () => (await import('nosuch')).default;\n"
      "export const missingFile = async () => (await import('plain/nosuch.js')).default;\n"
      "export const notExported = async () => (await import('nmod/hidden')).default;\n";
  write("code/app.mjs", body);
  write("code/typed/package.json", R"({"type": "module"})");
  write("code/typed/app.js", body);
  const json expected = json::parse(R"(["layer esm", "layer sub", "layer scoped", "function"])");

  auto mjs = run(s);
  EXPECT_EQ(parse(mjs.payload), expected) << mjs.payload << mjs.logs;
  s.handler = "typed/app.handler";
  auto typed = run(s);
  EXPECT_EQ(parse(typed.payload), expected) << typed.payload << typed.logs;
  s.handler = "app.missing";
  auto missing = run(s);
  EXPECT_EQ(field(missing.payload, "errorMessage"),
            "Cannot find package 'nosuch' imported from /var/task/app.mjs")
      << missing.payload;
  // In a layer's package, node's own errors about that package, naming the
  // module that imports it.
  s.handler = "app.missingFile";
  auto file = run(s);
  EXPECT_EQ(field(file.payload, "errorMessage"),
            "Cannot find module '/opt/nodejs/node_modules/plain/nosuch.js' imported from /var/task/app.mjs")
      << file.payload;
  s.handler = "app.notExported";
  auto hidden = run(s);
  EXPECT_EQ(field(hidden.payload, "errorMessage"),
            "Package subpath './hidden' is not defined by \"exports\" in "
            "/opt/nodejs/node_modules/nmod/package.json imported from /var/task/app.mjs")
      << hidden.payload;
  EXPECT_EQ(hidden.logs.find("layered-node-path"), std::string::npos) << hidden.logs;
}

TEST_F(NodeClient, EsModuleCallbackHandlerStillWaitsForTheEventLoop) {
  if (major() >= 24) GTEST_SKIP() << "Node.js 24 refuses callback handlers";
  auto s = function(runtime_, "cb.handler");
  add_layer(s, "mods");
  write("layers/mods/nodejs/node_modules/nmod/index.js", "module.exports = 'from the layer';\n");
  write("code/cb.mjs",
        "import nmod from 'nmod';\n"
        "export const handler = (event, context, callback) => {\n"
        "  setTimeout(() => console.log('timer fired'), 200);\n"
        "  callback(null, nmod);\n"
        "};\n");
  auto r = run(s);
  EXPECT_EQ(r.payload, "\"from the layer\"") << r.logs;
  EXPECT_LT(r.logs.find("timer fired"), r.logs.find("END RequestId")) << r.logs;
}

TEST_F(NodeClient, UnserializableResultFailsTheInvocationAndKeepsTheEnvironment) {
  write("code/index.js",
        "exports.handler = async (event) => {\n"
        "  if (event.kind === 'bigint') return { n: 10n };\n"
        "  if (event.kind === 'circular') { const a = {}; a.self = a; return a; }\n"
        "  return { ok: true };\n"
        "};\n");
  auto env = environment(function(runtime_, "index.handler"));
  ASSERT_TRUE(env);
  const std::string type = major() >= 24 ? "Runtime.JSONStringifyError" : "Error";
  for (const char* kind : {"bigint", "circular"}) {
    auto r = env->invoke(std::string(R"({"kind":")") + kind + "\"}");
    ASSERT_TRUE(r.ok()) << layered::format_error(r.error());
    EXPECT_EQ(r->function_error, "Unhandled") << kind;
    EXPECT_EQ(field(r->payload, "errorType"), type) << r->payload;
    EXPECT_EQ(field(r->payload, "errorMessage"), "Unable to stringify response body") << r->payload;
    EXPECT_NE(r->logs.find("\tERROR\tInvoke Error \t{\"errorType\":\"" + type + "\""), std::string::npos)
        << r->logs;
  }
  auto ok = env->invoke(R"({"kind":"plain"})");
  ASSERT_TRUE(ok.ok()) << layered::format_error(ok.error());
  EXPECT_EQ(ok->payload, R"({"ok":true})") << ok->logs;
  EXPECT_FALSE(ok->report.init_duration_ms.has_value()) << "the environment was replaced";
}

TEST_F(NodeClient, StreamifiedHandlersWriteTheResponse) {
  write("code/stream.js",
        "exports.chunks = awslambda.streamifyResponse(async (event, responseStream) => {\n"
        "  responseStream.write('hello ');\n"
        "  responseStream.write({ n: event.n });\n"
        "  responseStream.end();\n"
        "});\n"
        "exports.http = awslambda.streamifyResponse(async (event, responseStream) => {\n"
        "  const stream = awslambda.HttpResponseStream.from(responseStream,\n"
        "    { statusCode: 201, headers: { 'x-kind': 'streamed' } });\n"
        "  stream.write('body');\n"
        "  stream.end();\n"
        "});\n"
        "exports.fails = awslambda.streamifyResponse(async (event, responseStream) => {\n"
        "  responseStream.write('partial');\n"
        "  throw new RangeError('mid-stream');\n"
        "});\n"
        "exports.sync = awslambda.streamifyResponse((event, responseStream) => 'not a promise');\n");
  auto env = environment(function(runtime_, "stream.chunks"));
  ASSERT_TRUE(env);
  for (int n : {1, 2}) {  // the environment serves the next one
    auto r = env->invoke("{\"n\":" + std::to_string(n) + "}");
    ASSERT_TRUE(r.ok()) << layered::format_error(r.error());
    EXPECT_EQ(r->payload, "hello {\"n\":" + std::to_string(n) + "}") << r->logs;
  }
  auto http = run(function(runtime_, "stream.http"));
  EXPECT_EQ(http.payload,
            R"({"statusCode":201,"headers":{"x-kind":"streamed"}})" + std::string(8, '\0') + "body")
      << http.logs;
  auto fails = run(function(runtime_, "stream.fails"));
  EXPECT_EQ(fails.function_error, "Unhandled") << fails.payload << fails.logs;
  EXPECT_EQ(field(fails.payload, "errorType"), "RangeError") << fails.payload;
  EXPECT_EQ(field(fails.payload, "errorMessage"), "mid-stream");
  auto sync = run(function(runtime_, "stream.sync"));
  EXPECT_EQ(field(sync.payload, "errorMessage"), "Streaming does not support non-async handlers.")
      << sync.payload << sync.logs;
}

TEST_F(NodeClient, UncaughtErrorDuringAStreamFailsItAtOnceAndTheNextInvokeStartsAfresh) {
  // The stream holds the client's connection open for 3 s; Lambda's client
  // posts the error at once and exits (129), and the next request gets a
  // new environment.
  write("code/stream.js",
        "console.log('module init');\n"
        "const sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n"
        "exports.handler = awslambda.streamifyResponse(async (event, stream) => {\n"
        "  stream.write('a');\n"
        "  if (event.reject) Promise.reject(new Error('rejected mid-stream'));\n"
        "  else setTimeout(() => { throw new Error('uncaught in stream'); }, 10);\n"
        "  await sleep(3000);\n"
        "  stream.end('b');\n"
        "});\n");
  auto env = environment(function(runtime_, "stream.handler"));
  ASSERT_TRUE(env);
  for (const char* event : {R"({})", R"({"reject":true})"}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = env->invoke(event);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(r.ok()) << layered::format_error(r.error());
    const bool reject = std::string(event) != "{}";
    EXPECT_EQ(r->function_error, "Unhandled") << event << r->payload << r->logs;
    EXPECT_LT(took, std::chrono::milliseconds(2500)) << event << ": the error waited for the stream";
    // The first is a cold start; the second initializes a new runtime inside
    // the invocation (the module's code runs after START), as after any crash.
    const auto init = r->logs.find("module init"), start_line = r->logs.find("START RequestId");
    ASSERT_NE(init, std::string::npos) << event << ": not a new runtime" << r->logs;
    EXPECT_EQ(init > start_line, reject) << event << r->logs;
    EXPECT_EQ(r->error_type, reject ? "Runtime.UnhandledPromiseRejection" : "Error") << r->payload;
    EXPECT_NE(r->payload.find(reject ? "rejected mid-stream" : "uncaught in stream"), std::string::npos)
        << r->payload;
  }
}

TEST_F(NodeClient, ErrorLogsWriteNestedErrorsInFull) {
  write("code/index.js",
        "exports.nested = async () => {\n"
        "  throw Object.assign(new Error('outer'), { inner: new TypeError('inner cause'),\n"
        "    list: [new RangeError('in a list')] });\n"
        "};\n"
        "exports.cycle = async () => { const e = new Error('loop'); e.self = e; throw e; };\n"
        "exports.rejects = async () => { Promise.reject(new Error('nobody waits'));\n"
        "  await new Promise((r) => setTimeout(r, 200)); };\n");
  auto nested = run(function(runtime_, "index.nested"));
  EXPECT_NE(nested.logs.find("\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"outer\","
                             "\"inner\":{\"errorType\":\"TypeError\",\"errorMessage\":\"inner cause\","
                             "\"stack\":[\"TypeError: inner cause\",\"    at "),
            std::string::npos)
      << nested.logs;
  EXPECT_NE(nested.logs.find("\"list\":[{\"errorType\":\"RangeError\",\"errorMessage\":\"in a list\","),
            std::string::npos)
      << nested.logs;
  // JSON cannot write it: the Runtime API's shape, and the error is still
  // reported.
  auto cycle = run(function(runtime_, "index.cycle"));
  EXPECT_EQ(field(cycle.payload, "errorMessage"), "loop") << cycle.payload << cycle.logs;
  EXPECT_NE(cycle.logs.find("\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"loop\","
                            "\"trace\":[\"Error: loop\","),
            std::string::npos)
      << cycle.logs;
  auto rejects = run(function(runtime_, "index.rejects"));
  EXPECT_NE(
      rejects.logs.find("\tERROR\tUnhandled Promise Rejection \t{\"errorType\":"
                        "\"Runtime.UnhandledPromiseRejection\",\"errorMessage\":\"Error: nobody waits\","
                        "\"reason\":{\"errorType\":\"Error\",\"errorMessage\":\"nobody waits\","
                        "\"stack\":[\"Error: nobody waits\","),
      std::string::npos)
      << rejects.logs;
  EXPECT_NE(rejects.logs.find("\"promise\":{}"), std::string::npos) << rejects.logs;
}

TEST_F(NodeClient, CallbackHandlersAreWarnedAbout) {
  if (major() >= 24) GTEST_SKIP() << "Node.js 24 refuses them (CallbackHandlersAreRefusedFromNode24)";
  write("code/index.js",
        "exports.callback = (event, context, callback) => callback(null, 1);\n"
        "exports.asyncThree = async (event, context, callback) => 2;\n");
  const std::string warning =
      "\tWARN\tAWS Lambda plans to remove support for callback-based function handlers";
  auto warned = run(function(runtime_, "index.callback"));
  EXPECT_EQ(warned.payload, "1");
  EXPECT_NE(warned.logs.find(warning), std::string::npos) << warned.logs;
  auto async_three = run(function(runtime_, "index.asyncThree"));
  EXPECT_EQ(async_three.logs.find(warning), std::string::npos) << async_three.logs;
  auto s = function(runtime_, "index.callback");
  s.environment = {{"AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING", "1"}};
  auto quiet = run(s);
  EXPECT_EQ(quiet.logs.find(warning), std::string::npos) << quiet.logs;
}

// Needs node 24: this machine's, or one named by LAYERED_NODEJS24_X.
TEST_F(NodeClient, CallbackHandlersAreRefusedFromNode24) {
  const char* node24 = std::getenv("LAYERED_NODEJS24_X");
  if (major() != 24 && (!node24 || node_runtime(node24) != "nodejs24.x"))
    GTEST_SKIP() << "no node 24 here (set LAYERED_NODEJS24_X=/path/to/node24)";
  write("code/index.js",
        "exports.callback = (event, context, callback) => callback(null, 1);\n"
        "exports.asyncThree = async (event, context, callback) => 2;\n"
        "exports.streamed = awslambda.streamifyResponse(async (event, stream, context) => stream.end('s'));\n"
        "exports.bigint = async () => 10n;\n");
  for (const char* handler : {"index.callback", "index.asyncThree"}) {
    auto r = run(function("nodejs24.x", handler));
    EXPECT_EQ(r.error_type, "Runtime.CallbackHandlerDeprecated") << r.payload << r.logs;
    EXPECT_EQ(
        field(r.payload, "errorMessage"),
        "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js "
        "24. You need to modify this function to use a supported handler signature to use Node.js 24 or "
        "later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.");
  }
  EXPECT_EQ(run(function("nodejs24.x", "index.streamed")).payload, "s");
  EXPECT_EQ(field(run(function("nodejs24.x", "index.bigint")).payload, "errorType"),
            "Runtime.JSONStringifyError");
}

}  // namespace
}  // namespace runtimes_e2e
