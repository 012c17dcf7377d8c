// Python and Node.js packages: one fixture per mistake, built here, each
// asserting the exact finding.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

using PythonDoctorTest = PackageTest;

const char* const kMachO64 = "\xcf\xfa\xed\xfe\x07\x00\x00\x01";

TEST_F(PythonDoctorTest, CleanPythonFunctionHasNoFindings) {
  write("function/handler.py",
        "\"\"\"Doc.\"\"\"\nimport json\nimport helpers\nimport flask\nfrom pythonutils import x\n"
        "from sqlalchemy import orm\n");
  write("function/helpers.py", "");
  write("external/python/flask/__init__.py", "");
  write("external/python/flask-3.0.0.dist-info/RECORD", "flask/__init__.py,sha256=x,0\n");
  write("external/python/lib/python3.11/site-packages/sqlalchemy/__init__.py", "");
  write("utils/python/pythonutils/__init__.py", "");
  shared_object("external/python/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so");
  auto r = run(package({"external", "utils"}));
  EXPECT_EQ(codes(r), "");
}

TEST_F(PythonDoctorTest, LayerWithoutPythonFolderIsAnImportModuleError) {
  write("function/handler.py", "import json\nimport flask\n");
  write("external/flask/__init__.py", "");
  write("external/flask/app.py", "");
  write("external/jinja2/__init__.py", "");
  write("external/flask-2.2.2.dist-info/RECORD", "flask/__init__.py,,\n");
  write("external/blinker/__init__.py", "");
  write("external/markupsafe/__init__.py", "");
  shared_object("external/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so");
  auto r = run(package({"external"}));
  EXPECT_EQ(codes(r), "layout.python-dir /opt/blinker/\npython.import-missing /var/task/handler.py\n");
  auto layout = with(r, "layout.python-dir");
  ASSERT_EQ(layout.size(), 1u) << codes(r);
  EXPECT_EQ(layout[0].file, "/opt/blinker/");
  EXPECT_EQ(layout[0].source, "layer 'external'");
  EXPECT_EQ(
      layout[0].message,
      "has its Python code at the top of the layer (blinker/, flask/, jinja2/ and 1 more) instead of under "
      "python/, so Lambda extracts it to /opt/blinker/, which is not on sys.path (only /opt/python and "
      "/opt/python/lib/python3.X/site-packages are): importing it fails with Runtime.ImportModuleError: "
      "Unable to import module 'handler': No module named 'flask'");
  EXPECT_EQ(
      layout[0].fix,
      "put it under python/ in the zip (mkdir python && mv blinker flask jinja2 markupsafe python/, or pip "
      "install --target python/ ...), so that it lands in /opt/python/");
  auto imports = with(r, "python.import-missing");
  ASSERT_EQ(imports.size(), 1u) << codes(r);
  EXPECT_EQ(imports[0].file, "/var/task/handler.py");
  EXPECT_EQ(
      imports[0].message,
      "imports 'flask' (line 2), but neither the function, its layers' python/ folders nor python3.11's "
      "standard library provide it, so every invoke fails with Runtime.ImportModuleError: Unable to import "
      "module 'handler': No module named 'flask'");
  EXPECT_EQ(
      imports[0].fix,
      "'/opt/flask/' (layer 'external') is not on sys.path: move it into python/ in that layer (it ends up "
      "in /opt/python/flask)");
}

TEST_F(PythonDoctorTest, ImportThatNothingProvides) {
  write("function/app/main.py", "import os\n\nimport requests  # HTTP\nimport requests.adapters\n");
  auto r = run(package({}, "python3.13", "app/main.handler"));
  auto f = with(r, "python.import-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/var/task/app/main.py");
  EXPECT_EQ(
      f[0].message,
      "imports 'requests' (line 3), but neither the function, its layers' python/ folders nor python3.13's "
      "standard library provide it, so every invoke fails with Runtime.ImportModuleError: Unable to import "
      "module 'app/main': No module named 'requests'");
  EXPECT_EQ(
      f[0].fix,
      "add 'requests' to a layer under python/ (pip install --target python/ --platform manylinux2014_x86_64 "
      "--only-binary=:all: --python-version 3.13 requests) or to the function's zip");
}

TEST_F(PythonDoctorTest, StandardModuleRemovedInTheRuntimesVersion) {
  write("function/handler.py", "import cgi\n");
  EXPECT_EQ(codes(run(package({}, "python3.12"))), "");
  EXPECT_EQ(codes(run(package({}, "python3.13"))), "python.import-missing /var/task/handler.py\n");
}

TEST_F(PythonDoctorTest, HandlerModuleMissing) {
  write("function/handler.py", "");
  auto r = run(package({}, "python3.11", "app.lambda_handler"));
  auto f = with(r, "python.handler-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/var/task/app.py");
  EXPECT_EQ(
      f[0].message,
      "the handler 'app.lambda_handler' names the module 'app', which the function does not have, so every "
      "invoke fails with Runtime.ImportModuleError: Unable to import module 'app': No module named 'app'");
}

TEST_F(PythonDoctorTest, UnknownHandlerChecksEveryTopLevelModule) {
  write("function/one.py", "import yaml\n");
  write("function/two.py", "import toml\n");
  auto r = run(package({}, "python3.11", ""));
  EXPECT_EQ(codes(r), "python.import-missing /var/task/one.py\npython.import-missing /var/task/two.py\n");
}

TEST_F(PythonDoctorTest, ExtensionForAnotherPythonVersion) {
  write("function/handler.py", "import markupsafe\n");
  write("external/python/markupsafe/__init__.py", "");
  shared_object("external/python/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so");
  shared_object("external/python/greenlet/_greenlet.cpython-311-x86_64-linux-gnu.so");
  shared_object("external/python/other/_ok.cpython-312-x86_64-linux-gnu.so");
  shared_object("external/python/other/_stable.abi3.so");
  auto r = run(package({"external"}, "python3.12"));
  auto f = with(r, "python.extension-version");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/python/greenlet/_greenlet.cpython-311-x86_64-linux-gnu.so");
  EXPECT_EQ(
      f[0].message,
      "is a C extension built for Python 3.11 (cpython-311) (and 1 more in layer 'external'), but python3.12 "
      "loads only *.cpython-312-*.so, *.abi3.so and *.so, so importing 'greenlet._greenlet' fails (No module "
      "named 'greenlet._greenlet')");
  EXPECT_EQ(
      f[0].fix,
      "install the package for Python 3.12: pip install --target python/ --platform manylinux2014_x86_64 "
      "--only-binary=:all: --python-version 3.12 <package>");
}

TEST_F(PythonDoctorTest, Aarch64ExtensionInAnX86Function) {
  // A minimal ELF64 header: little endian, ET_DYN, EM_AARCH64.
  std::string h(64, '\0');
  h.replace(0, 4,
            "\x7f"
            "ELF");
  h[4] = 2, h[5] = 1, h[6] = 1, h[16] = 3, h[18] = static_cast<char>(183), h[52] = 64;
  write("external/python/fast/_core.cpython-311-aarch64-linux-gnu.so", h);
  write("function/handler.py", "");
  auto r = run(package({"external"}));
  EXPECT_EQ(codes(r), "arch.mismatch /opt/python/fast/_core.cpython-311-aarch64-linux-gnu.so\n");
}

TEST_F(PythonDoctorTest, MacOSWheel) {
  write("external/python/fast/_core.cpython-311-darwin.so", kMachO64);
  write("external/python/fast/.dylibs/libomp.dylib", kMachO64);
  write("external/python/plain/_plain.so", kMachO64);
  auto r = run(package({"external"}));
  auto f = with(r, "native.foreign-os");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/python/fast/.dylibs/libomp.dylib");
  EXPECT_EQ(
      f[0].message,
      "is native code built for macOS (and 2 more files of layer 'external'), but Lambda runs Linux, so it "
      "cannot be loaded (Python: No module named ... or 'invalid ELF header'; Node.js: 'invalid ELF "
      "header')");
  EXPECT_EQ(f[0].fix,
            "install Linux wheels: pip install --target python/ --platform manylinux2014_x86_64 "
            "--only-binary=:all: "
            "<package>");
}

TEST_F(PythonDoctorTest, WindowsPyd) {
  write("external/python/fast/_core.cp311-win_amd64.pyd", "MZ\x90");
  write("function/handler.py", "");
  auto r = run(package({"external"}));
  EXPECT_EQ(codes(r), "native.foreign-os /opt/python/fast/_core.cp311-win_amd64.pyd\n");
}

TEST_F(PythonDoctorTest, DistInfoWithoutItsPackage) {
  write("external/python/requests-2.31.0.dist-info/RECORD",
        "requests/__init__.py,sha256=a,1\nrequests/api.py,sha256=b,2\nrequests-2.31.0.dist-info/RECORD,,\n");
  write("external/python/Jinja2-3.1.2.egg-info/top_level.txt", "jinja2\n");
  write("external/python/six-1.16.0.dist-info/RECORD", "six.py,sha256=c,3\n");
  write("external/python/six.py", "");
  write("function/handler.py", "");
  auto r = run(package({"external"}));
  EXPECT_EQ(codes(r),
            "python.dist-info-orphan /opt/python/Jinja2-3.1.2.egg-info/\n"
            "python.dist-info-orphan /opt/python/requests-2.31.0.dist-info/\n");
  auto f = with(r, "python.dist-info-orphan");
  EXPECT_EQ(
      f[1].message,
      "says 'requests' is installed, but what it installs ('requests') is not in /opt/python, so 'import "
      "requests' fails (No module named 'requests')");
  EXPECT_EQ(
      f[1].fix,
      "install the package again with pip install --target python/ (a .dist-info folder copied without its "
      "package is not the package)");
  EXPECT_EQ(f[0].severity, Severity::warning);
}

TEST_F(PythonDoctorTest, NodeAddons) {
  // An x86_64 addon next to an arm64 one and a macOS one, as prebuilt
  // binaries of several platforms end up in one node_modules.
  std::string arm(64, '\0');
  arm.replace(0, 4,
              "\x7f"
              "ELF");
  arm[4] = 2, arm[5] = 1, arm[6] = 1, arm[16] = 3, arm[18] = static_cast<char>(183), arm[52] = 64;
  shared_object("layer/nodejs/node_modules/addon/build/Release/addon.node");
  write("layer/nodejs/node_modules/arm/build/Release/arm.node", arm);
  write("layer/nodejs/node_modules/mac/prebuilds/darwin-x64/mac.node", kMachO64);
  write("function/index.js", "exports.handler = async () => 1;\n");
  auto r = run(package({"layer"}, "nodejs20.x", "index.handler"));
  EXPECT_EQ(codes(r),
            "arch.mismatch /opt/nodejs/node_modules/arm/build/Release/arm.node\n"
            "native.foreign-os /opt/nodejs/node_modules/mac/prebuilds/darwin-x64/mac.node\n");
  EXPECT_EQ(with(r, "native.foreign-os")[0].fix,
            "install the package for Linux: npm install --os=linux --cpu=x64 (or run npm install on Linux)");
}

TEST_F(PythonDoctorTest, NodeHandlerModuleMissing) {
  write("function/index.js", "exports.handler = async () => 1;\n");
  auto r = run(package({}, "nodejs20.x", "main.handler"));
  EXPECT_EQ(codes(r), "nodejs.handler-missing /var/task/main.js\n");
  EXPECT_EQ(with(r, "nodejs.handler-missing")[0].message,
            "the handler 'main.handler' names the module 'main', which the function does not have, so every "
            "invoke fails with Runtime.ImportModuleError: Error: Cannot find module 'main'");
  auto nested = run(package({}, "nodejs20.x", "src/api.handler"));
  EXPECT_EQ(codes(nested), "nodejs.handler-missing /var/task/src/api.js\n");
}

TEST_F(PythonDoctorTest, NodeHandlerModuleFoundWhereTheRuntimeLooks) {
  write("function/a.mjs", "");
  write("function/src/b.cjs", "");
  write("function/dir/index.js", "");
  write("function/node_modules/own/index.js", "");
  write("layer/nodejs/node_modules/shared/index.js", "");
  write("layer/nodejs/node20/node_modules/versioned/index.js", "");
  for (const char* handler : {"a.handler", "src/b.handler", "dir.handler", "own.handler", "shared.handler",
                              "versioned.handler", "a.nested.handler"}) {
    auto r = run(package({"layer"}, "nodejs20.x", handler));
    EXPECT_EQ(codes(r), "") << handler;
  }
}

TEST_F(PythonDoctorTest, AssemblyGivesTheHandler) {
  // check_assembly reads Properties.Handler: tested through check() with the
  // same model::Function field (handler), and the parser of handler strings here.
  write("function/svc/api.py", "import pydantic\n");
  auto r = run(package({}, "python3.11", "svc.api.handler"));
  auto f = with(r, "python.import-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/var/task/svc/api.py");
  EXPECT_NE(f[0].message.find("Unable to import module 'svc.api': No module named 'pydantic'"),
            std::string::npos);
}

}  // namespace
}  // namespace layered::doctor
