// What a layer holds against what the function's runtime looks for: Python
// files in a layer of a function that is not Python, Node.js folders of
// another major version, and library links that loop across layers.
#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

using LayerContentTest = PackageTest;

TEST_F(LayerContentTest, PythonFilesInALayerOfAnotherRuntimeAreNotALayoutError) {
  // libstdc++'s GDB pretty-printers, as Debian's package installs them.
  write("cxx/share/gdb/auto-load/usr/lib/libstdc++.so.6.0.30-gdb.py", "import gdb\n");
  write("cxx/tools/gen.py", "");
  write("function/index.js", "exports.handler = async () => 1;\n");
  EXPECT_EQ(codes(run(package({"cxx"}, "nodejs20.x", "index.handler"))), "");
  model::Function native = package({"cxx"}, "provided.al2023", "bootstrap");
  EXPECT_EQ(with(run(native), "layout.python-dir").size(), 0u);
  write("function/app.py", "");
  EXPECT_EQ(codes(run(package({"cxx"}, "python3.11", "app.handler"))), "layout.python-dir /opt/share/\n");
}

TEST_F(LayerContentTest, PythonCodeReachedThroughALinkUnderPythonIsNotOutside) {
  write("layer/src/mylib/__init__.py", "");
  fs::create_directories(root() / "layer/python");
  fs::create_directory_symlink("../src/mylib", root() / "layer/python/mylib");
  write("function/app.py", "import mylib\n");
  EXPECT_EQ(codes(run(package({"layer"}, "python3.11", "app.handler"))), "");
}

TEST_F(LayerContentTest, NodeModulesOfAnotherMajorVersionAreNotOnNodePath) {
  write("v18/nodejs/node18/node_modules/m/index.js", "module.exports = 1;\n");
  write("function/index.js", "exports.handler = async () => require('m');\n");
  auto r = run(package({"v18"}, "nodejs20.x", "index.handler"));
  EXPECT_EQ(codes(r), "layout.nodejs-version /opt/nodejs/node18/node_modules\n");
  auto f = with(r, "layout.nodejs-version");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].message,
            "is on NODE_PATH only for Node.js 18, but the function runs nodejs20.x, whose NODE_PATH has "
            "/opt/nodejs/node20/node_modules and /opt/nodejs/node_modules: 'm' cannot be found there (Cannot "
            "find module 'm')");
  EXPECT_EQ(f[0].fix,
            "install them into nodejs/node20/node_modules, or into nodejs/node_modules (searched by every "
            "version)");
  EXPECT_EQ(codes(run(package({"v18"}, "nodejs18.x", "index.handler"))), "");
  // The handler itself, only in node18's folder, is not found by nodejs20.x.
  EXPECT_EQ(codes(run(package({"v18"}, "nodejs20.x", "m.handler"))),
            "layout.nodejs-version /opt/nodejs/node18/node_modules\nnodejs.handler-missing /var/task/m.js\n");
}

TEST_F(LayerContentTest, ALayerForSeveralNodeVersionsGetsAWarningAtMost) {
  write("multi/nodejs/node_modules/common/index.js", "");
  write("multi/nodejs/node18/node_modules/old/index.js", "");
  write("multi/nodejs/node18/node_modules/common/index.js", "");
  write("multi/nodejs/node20/node_modules/both/index.js", "");
  write("multi/nodejs/node18/node_modules/both/index.js", "");
  write("function/index.js", "");
  auto r = run(package({"multi"}, "nodejs20.x", "index.handler"));
  auto f = with(r, "layout.nodejs-version");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_NE(f[0].message.find(": 'old' cannot be found there"), std::string::npos) << f[0].message;
}

TEST_F(LayerContentTest, LibraryLinksThatLoopAcrossLayersAreNamed) {
  write("libx.c", "int x_value(void) { return 1; }\n");
  write("main.c", "int x_value(void);\nint main(void) { return x_value(); }\n");
  fs::create_directories(root() / "function");
  fs::create_directories(root() / "a/lib");
  fs::create_directories(root() / "b/lib");
  const std::string r = root().string();
  const std::string cmd = "cc -shared -fPIC -Wl,-soname,libx.so -o '" + r + "/libx.so' '" + r +
                          "/libx.c' && cc -o '" + r + "/function/bootstrap' '" + r + "/main.c' -L'" + r +
                          "' -lx";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  fs::create_symlink("libx2.so", root() / "a/lib/libx.so");
  fs::create_symlink("libx.so", root() / "b/lib/libx2.so");
  model::Function p = package({"a", "b"}, "provided.al2023", "bootstrap");
  auto f = with(run(p), "deps.unresolved");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(
      f[0].message,
      "needs 'libx.so', but /opt/lib/libx.so is a symbolic link that loops (/opt/lib/libx.so (layer 'a') "
      "-> /opt/lib/libx2.so (layer 'b') -> /opt/lib/libx.so), so opening it fails (ELOOP) and no other "
      "directory the loader searches has it (error while loading shared libraries: libx.so: cannot open "
      "shared object file: No such file or directory)");
  EXPECT_EQ(
      f[0].fix,
      "make '/opt/lib/libx.so' (layer 'a') the library itself, or a link to it, not to a link that leads "
      "back");
}

}  // namespace
}  // namespace layered::doctor
