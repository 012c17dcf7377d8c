// The handler module and its imports as Python's import system finds them
// on Lambda: in a layer, compiled, sourceless, through symlinks, after the
// code extends sys.path itself; built-in names, inline code and the AWS SDK.
#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

using PythonImportTest = PackageTest;

TEST_F(PythonImportTest, HandlerModuleInALayerIsFound) {
  // As Datadog's and New Relic's layers ship their handlers.
  write("function/app.py", "def handler(e, c): pass\n");
  write("dd/python/datadog_lambda/__init__.py", "");
  write("dd/python/datadog_lambda/handler.py", "import json\n");
  write("top/python/layerhandler.py", "import os\n");
  write("site/python/lib/python3.11/site-packages/sitehandler.py", "");
  for (const char* handler :
       {"datadog_lambda.handler.handler", "layerhandler.handler", "sitehandler.handler"})
    EXPECT_EQ(codes(run(package({"dd", "top", "site"}, "python3.11", handler))), "") << handler;
}

TEST_F(PythonImportTest, ImportsOfAHandlerInALayerAreChecked) {
  write("function/app.py", "");
  write("dd/python/layerhandler.py", "import missing_dep\n");
  auto r = run(package({"dd"}, "python3.11", "layerhandler.handler"));
  auto f = with(r, "python.import-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/python/layerhandler.py");
  EXPECT_EQ(f[0].source, "layer 'dd'");
}

TEST_F(PythonImportTest, CompiledAndSourcelessHandlerModulesAreImported) {
  shared_object("function/chandler.cpython-311-x86_64-linux-gnu.so");
  shared_object("function/plain.so");
  shared_object("function/stable.abi3.so");
  write("function/sourceless.pyc", std::string("\xa7\x0d\x0d\x0a", 4));
  write("function/pkg/__init__.pyc", std::string("\xa7\x0d\x0d\x0a", 4));
  for (const char* handler :
       {"chandler.handler", "plain.handler", "stable.handler", "sourceless.handler", "pkg.handler"})
    EXPECT_EQ(codes(run(package({}, "python3.11", handler))), "") << handler;
}

TEST_F(PythonImportTest, ExtensionOfAnotherPythonIsNotTheHandler) {
  shared_object("function/chandler.cpython-312-x86_64-linux-gnu.so");
  write("function/__pycache__/cached.cpython-311.pyc", "");
  auto r = run(package({}, "python3.11", "chandler.handler"));
  EXPECT_EQ(codes(r),
            "python.extension-version /var/task/chandler.cpython-312-x86_64-linux-gnu.so\n"
            "python.handler-missing /var/task/chandler.py\n");
  // A .pyc in __pycache__ is a cache of a source, not a module.
  EXPECT_NE(codes(run(package({}, "python3.11", "cached.handler")))
                .find("python.handler-missing /var/task/cached.py\n"),
            std::string::npos);
}

TEST_F(PythonImportTest, SubmoduleMissingAndModuleThatIsNoPackage) {
  write("function/pkg/__init__.py", "");
  write("function/mod.py", "");
  auto missing = with(run(package({}, "python3.11", "pkg/sub.handler")), "python.handler-missing");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].file, "/var/task/pkg/sub.py");
  EXPECT_NE(missing[0].message.find("Unable to import module 'pkg/sub': No module named 'pkg.sub'"),
            std::string::npos)
      << missing[0].message;
  auto not_package = with(run(package({}, "python3.11", "mod.sub.handler")), "python.handler-missing");
  ASSERT_EQ(not_package.size(), 1u);
  EXPECT_NE(not_package[0].message.find("No module named 'mod.sub'; 'mod' is not a package"),
            std::string::npos)
      << not_package[0].message;
}

TEST_F(PythonImportTest, RegularPackageInALayerBeatsANamespaceFolderOfTheFunction) {
  write("function/shared/README.txt", "");  // a folder without __init__: a namespace portion
  write("function/app.py", "from shared import tool\n");
  write("layer/python/shared/__init__.py", "");
  write("layer/python/shared/tool.py", "");
  EXPECT_EQ(codes(run(package({"layer"}, "python3.11", "shared.tool.handler"))), "");
  EXPECT_EQ(codes(run(package({"layer"}, "python3.11", "app.handler"))), "");
}

TEST_F(PythonImportTest, CodeThatExtendsSysPathGetsAWarning) {
  write("function/app.py",
        "import os\nimport sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'vendor'))\n"
        "import requests\n");
  write("function/vendor/requests/__init__.py", "");
  auto r = run(package({}, "python3.11", "app.handler"));
  auto f = with(r, "python.import-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_NE(f[0].message.find("after changing sys.path itself"), std::string::npos) << f[0].message;
  EXPECT_FALSE(has_errors(r));
  write("function/app.py", "import sys\nsys.path.append('/var/task/vendor')\nimport requests\n");
  EXPECT_FALSE(has_errors(run(package({}, "python3.11", "app.handler"))));
}

TEST_F(PythonImportTest, PackageReachedThroughASymlinkInTheLayer) {
  write("layer/src/mylib/__init__.py", "");
  write("layer/src/mylib/core.py", "");
  fs::create_directories(root() / "layer/python");
  fs::create_directory_symlink("../src/mylib", root() / "layer/python/mylib");
  fs::create_directory_symlink(".", root() / "layer/python/a");
  write("layer/python/c.py", "");
  write("function/app.py", "import mylib\nfrom mylib import core\nimport a\nfrom a import c\n");
  auto r = run(package({"layer"}, "python3.11", "app.handler"));
  EXPECT_EQ(codes(r), "");
  EXPECT_EQ(codes(run(package({"layer"}, "python3.11", "mylib.core.handler"))), "");
  EXPECT_EQ(codes(run(package({"layer"}, "python3.11", "a.a.c.handler"))), "");
}

TEST_F(PythonImportTest, SymlinkLoopIsNamedInTheFix) {
  fs::create_directories(root() / "one/python");
  fs::create_directories(root() / "two/python");
  fs::create_symlink("q", root() / "one/python/p");
  fs::create_symlink("p", root() / "two/python/q");
  write("function/app.py", "import p\n");
  auto f = with(run(package({"one", "two"}, "python3.11", "app.handler")), "python.import-missing");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].fix,
            "'/opt/python/p' is a symbolic link that loops (/opt/python/p (layer 'one') -> /opt/python/q "
            "(layer 'two') -> /opt/python/p): make it point to the package's folder");
}

TEST_F(PythonImportTest, BuiltinModuleAsHandlerIsABuiltInModuleConflict) {
  write("function/sys.py", "def handler(e, c): pass\n");
  auto r = run(package({}, "python3.11", "sys.handler"));
  EXPECT_EQ(codes(r), "python.handler-builtin \n");
  auto f = with(r, "python.handler-builtin");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].message,
            "the handler 'sys.handler' names the module 'sys', which is built into Python, so every invoke "
            "fails with Runtime.BuiltInModuleConflict: Cannot use built-in module sys as a handler module");
  // A standard module that is not built in is imported from the runtime: no import error.
  EXPECT_EQ(codes(run(package({}, "python3.11", "json.handler"))), "");
}

TEST_F(PythonImportTest, InlineCodeIsAlwaysIndex) {
  model::Function p = package({}, "python3.12", "main.handler");
  p.code_dir.clear();
  p.inline_code = "def handler(event, context):\n    return 1\n";
  auto f = with(run(p), "python.handler-missing");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].fix,
            "inline code (Code.ZipFile) is always the module 'index' (index.py): set the handler to "
            "index.handler");
  p.runtime = *model::parse_runtime("nodejs20.x");
  p.inline_code = "exports.handler = async () => 1;\n";
  auto n = with(run(p), "nodejs.handler-missing");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].fix,
            "inline code (Code.ZipFile) is always the file index.js: set the handler to index.handler");
}

TEST_F(PythonImportTest, Boto3ThatOnlyLambdasRuntimeHasIsAWarning) {
  write("function/app.py", "import json\nimport boto3\nfrom botocore.config import Config\n");
  auto r = run(package({}, "python3.11", "app.handler"));
  EXPECT_EQ(codes(r), "python.runtime-provided /var/task/app.py\npython.runtime-provided /var/task/app.py\n");
  EXPECT_FALSE(has_errors(r));
  auto f = with(r, "python.runtime-provided");
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(
      f[0].message,
      "imports 'boto3' (line 2): Lambda's python3.11 runtime provides it, layered's does not, so here "
      "every invoke fails with Runtime.ImportModuleError: Unable to import module 'app': No module named "
      "'boto3'");
  EXPECT_EQ(
      f[0].fix.rfind("Lambda's runtime provides boto3; layered does not: add it to a layer or the bundle "
                     "to run it here",
                     0),
      0u)
      << f[0].fix;
  write("sdk/python/boto3/__init__.py", "");
  write("sdk/python/botocore/__init__.py", "");
  EXPECT_EQ(codes(run(package({"sdk"}, "python3.11", "app.handler"))), "");
}

TEST_F(PythonImportTest, NodeSdkThatOnlyLambdasRuntimeHasIsAWarning) {
  write("function/index.mjs",
        "// import { x } from '@aws-sdk/not-this';\nimport { S3Client } from \"@aws-sdk/client-s3\";\n"
        "const { DynamoDB } = require('@aws-sdk/client-dynamodb');\n"
        "export const handler = async () => 1;\n");
  auto r = run(package({}, "nodejs20.x", "index.handler"));
  EXPECT_EQ(codes(r),
            "nodejs.runtime-provided /var/task/index.mjs\nnodejs.runtime-provided /var/task/index.mjs\n");
  EXPECT_FALSE(has_errors(r));
  auto f = with(r, "nodejs.runtime-provided");
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].message,
            "imports '@aws-sdk/client-s3' (line 2): Lambda's nodejs20.x runtime provides it (the AWS SDK for "
            "JavaScript v3), layered's does not, so here loading it fails (Cannot find module "
            "'@aws-sdk/client-s3')");
  write("sdk/nodejs/node_modules/@aws-sdk/client-s3/index.js", "");
  write("sdk/nodejs/node20/node_modules/@aws-sdk/client-dynamodb/index.js", "");
  EXPECT_EQ(codes(run(package({"sdk"}, "nodejs20.x", "index.handler"))), "");
}

// Lambda's Node.js 18 and later runtimes have the v3 SDK only: require of
// aws-sdk (v2) fails there as here, unless the function or a layer has it.
TEST_F(PythonImportTest, NodeSdkV2ThatNothingProvidesIsAnError) {
  write("function/v2.js",
        "const s = \"require('not-this')\";\nconst AWS = require(\"aws-sdk\");\n"
        "exports.handler = async () => 1;\n");
  auto r = run(package({}, "nodejs20.x", "v2.handler"));
  EXPECT_EQ(codes(r), "nodejs.sdk-v2 /var/task/v2.js\n");
  auto f = with(r, "nodejs.sdk-v2");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].message,
            "imports 'aws-sdk' (line 2), the AWS SDK for JavaScript v2, which nodejs20.x does not include "
            "(Lambda's Node.js 18 and later runtimes have only v3, @aws-sdk/*) and neither the function nor "
            "its layers provide, so on Lambda loading it fails with Cannot find module 'aws-sdk' "
            "(Runtime.ImportModuleError when the handler's file loads it at its top)");
  EXPECT_EQ(
      f[0].fix,
      "add aws-sdk to the function's bundle (npm install aws-sdk, with node_modules in the zip) or to a "
      "layer (nodejs/node_modules/aws-sdk), or move to the v3 clients (@aws-sdk/client-*), which the "
      "runtime includes");
  // In a try block the code may do without it.
  write("function/v2.js",
        "let AWS;\ntry {\n  if (x) { y(); }\n  AWS = require('aws-sdk/clients/s3');\n} catch (e) {}\n"
        "exports.handler = async () => 1;\n");
  auto guarded = with(run(package({}, "nodejs22.x", "v2.handler")), "nodejs.sdk-v2");
  ASSERT_EQ(guarded.size(), 1u);
  EXPECT_EQ(guarded[0].severity, Severity::warning);
  // After the try block, it is required again.
  write("function/v2.js",
        "try { a(); } catch (e) { b('}'); }\nconst AWS = require('aws-sdk');\nexports.handler = async () => "
        "1;\n");
  auto after = with(run(package({}, "nodejs20.x", "v2.handler")), "nodejs.sdk-v2");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].severity, Severity::error);
  // Bundled with the function, or in a layer: nothing to say.
  write("function/node_modules/aws-sdk/index.js", "");
  EXPECT_EQ(codes(run(package({}, "nodejs20.x", "v2.handler"))), "");
  fs::remove_all(root() / "function/node_modules");
  write("sdk/nodejs/node_modules/aws-sdk/index.js", "");
  EXPECT_EQ(codes(run(package({"sdk"}, "nodejs20.x", "v2.handler"))), "");
}

}  // namespace
}  // namespace layered::doctor
