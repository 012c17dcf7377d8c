// A Python function's layers as Lambda's Python finds them: packages for
// several versions, code outside python/ the handler does not import, the
// .pth files of the site directories, links to this machine's files.
#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

using PythonLayoutTest = PackageTest;

void make_executable(const fs::path& path) {
  fs::permissions(path, fs::perms::owner_exec, fs::perm_options::add);
}

TEST_F(PythonLayoutTest, ALayerForSeveralPythonVersionsGetsAWarningAtMost) {
  write("multi/python/lib/python3.11/site-packages/mv/__init__.py", "X = 311\n");
  write("multi/python/lib/python3.12/site-packages/mv/__init__.py", "X = 312\n");
  write("multi/python/lib/python3.12/site-packages/mv-1.0.dist-info/RECORD", "");
  write("multi/python/lib/python3.12/site-packages/extra312/__init__.py", "");
  write("function/usemv.py", "import mv\n");
  auto r = run(package({"multi"}, "python3.11", "usemv.handler"));
  EXPECT_FALSE(has_errors(r)) << codes(r);
  auto f = with(r, "layout.python-version");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_EQ(f[0].file, "/opt/python/lib/python3.12/site-packages");
  EXPECT_EQ(f[0].message,
            "is searched only by Python 3.12, but the function runs python3.11, whose sys.path has "
            "/opt/python/lib/python3.11/site-packages and /opt/python: 'extra312' cannot be found there (No "
            "module named 'extra312')");
  // What the other version's folder has, python3.11 finds too: nothing to say.
  fs::remove_all(root() / "multi/python/lib/python3.12/site-packages/extra312");
  EXPECT_EQ(codes(run(package({"multi"}, "python3.11", "usemv.handler"))), "");
  EXPECT_EQ(codes(run(package({"multi"}, "python3.12", "usemv.handler"))), "");
  // A layer for 3.12 alone gives a 3.11 function nothing.
  write("only/python/lib/python3.12/site-packages/only312/__init__.py", "");
  write("function/v312.py", "import only312\n");
  auto only = run(package({"only"}, "python3.11", "v312.handler"));
  EXPECT_EQ(codes(only),
            "layout.python-version /opt/python/lib/python3.12/site-packages\n"
            "python.import-missing /var/task/v312.py\n");
  EXPECT_EQ(with(only, "layout.python-version")[0].severity, Severity::error);
}

// aws-samples/aws-lambda-extensions, python-example-extension: the
// extension's launcher runs /opt/${LAMBDA_EXTENSION_NAME}/extension.py.
TEST_F(PythonLayoutTest, AnExtensionsOwnPythonCodeIsNotTheFunctions) {
  write("ext/extensions/python-example-extension",
        "#!/bin/bash\nset -euo pipefail\nOWN_FILENAME=\"$(basename $0)\"\n"
        "LAMBDA_EXTENSION_NAME=\"$OWN_FILENAME\"\nexec \"/opt/${LAMBDA_EXTENSION_NAME}/extension.py\"\n");
  make_executable(root() / "ext/extensions/python-example-extension");
  write("ext/python-example-extension/extension.py", "#!/usr/bin/env python3\nimport json\n");
  write("ext/tool/run.py", "");
  write("ext/extensions/other", "#!/bin/sh\nexec /opt/tool/run.py\n");
  make_executable(root() / "ext/extensions/other");
  write("function/app.py", "def handler(e, c):\n    return 1\n");
  auto r = run(package({"ext"}, "python3.11", "app.handler"));
  EXPECT_EQ(codes(r),
            "layout.extension /opt/extensions/other\n"
            "layout.extension /opt/extensions/python-example-extension\n");
  EXPECT_FALSE(has_errors(r));
}

TEST_F(PythonLayoutTest, CodeOutsidePythonThatTheHandlerDoesNotNeedIsAWarning) {
  write("ext/python-example-extension/extension.py", "");
  write("function/app.py", "import json\n");
  auto r = run(package({"ext"}, "python3.11", "app.handler"));
  auto f = with(r, "layout.python-dir");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_EQ(f[0].message,
            "has its Python code at the top of the layer (python-example-extension/) instead of under "
            "python/, so Lambda extracts it to /opt/python-example-extension/, which is not on sys.path "
            "(only /opt/python and /opt/python/lib/python3.X/site-packages are): nothing the handler imports "
            "needs it, so the function runs; only code that adds "
            "/opt/python-example-extension/ to sys.path itself, or runs it as a program, can use it");
  EXPECT_EQ(f[0].fix,
            "if the function is meant to import it, put it under python/ in the zip (mkdir python && mv "
            "python-example-extension python/, or pip install --target python/ ...), so that it lands in "
            "/opt/python/");
  // A handler that adds the folder to sys.path itself: warnings only.
  write("vend/vendor/vendmod.py", "X = 1\n");
  write("function/app.py", "import sys\nsys.path.insert(0, '/opt/vendor')\nimport vendmod\n");
  auto own = run(package({"vend"}, "python3.11", "app.handler"));
  EXPECT_EQ(codes(own), "layout.python-dir /opt/vendor/\npython.import-missing /var/task/app.py\n");
  EXPECT_FALSE(has_errors(own));
  // The handler imports what only that folder has: the function fails.
  write("function/app.py", "import vendor.vendmod\n");
  auto needed = with(run(package({"vend"}, "python3.11", "app.handler")), "layout.python-dir");
  ASSERT_EQ(needed.size(), 1u);
  EXPECT_EQ(needed[0].severity, Severity::error);
  EXPECT_TRUE(needed[0].message.ends_with(
      "importing it fails with Runtime.ImportModuleError: Unable to import module 'app': No module named "
      "'vendor'"))
      << needed[0].message;
}

TEST_F(PythonLayoutTest, CodeOfAnotherLayerThatALinkUnderPythonReachesIsNotOutside) {
  write("shared/shared/crossmod/__init__.py", "");
  fs::create_directories(root() / "links/python");
  fs::create_directory_symlink("/opt/shared/crossmod", root() / "links/python/crosslink");
  write("function/app.py", "import crosslink\n");
  EXPECT_EQ(codes(run(package({"shared", "links"}, "python3.11", "app.handler"))), "");
}

// Lambda's bootstrap calls site.addsitedir on /var/task, then on
// /opt/python/lib/python3.X/site-packages and /opt/python.
TEST_F(PythonLayoutTest, PthFilesOfTheSiteDirectoriesAddPaths) {
  write("pth/python/lib/python3.11/site-packages/vendor.pth", "# vendored\n\nvendored_libs\nnot_there\n");
  write("pth/python/lib/python3.11/site-packages/vendored_libs/pthmod.py", "");
  write("pth/python/opt.pth", "optvendor\r\n");
  write("pth/python/optvendor/optpth.py", "");
  write("pth/python/optvendor/deeper/nested.pth", "../../nowhere_else\n");  // not a site directory
  write("pth/python/nowhere_else/lost.py", "");
  write("function/fnvendor.pth", "lib_vendor\n");
  write("function/lib_vendor/fnpth.py", "");
  write("function/.hidden.pth", "hidden_dir\n");  // site skips hidden .pth files
  write("function/hidden_dir/hid.py", "");
  write("function/app.py", "import pthmod\nimport optpth\nimport fnpth\n");
  EXPECT_EQ(codes(run(package({"pth"}, "python3.11", "app.handler"))), "");
  write("function/app.py", "import lost\nimport hid\n");
  EXPECT_EQ(codes(run(package({"pth"}, "python3.11", "app.handler"))),
            "python.import-missing /var/task/app.py\npython.import-missing /var/task/app.py\n");
  // An "import" line runs code: what it makes importable is not known.
  write("pth/python/lib/python3.11/site-packages/run.pth", "import os; os.environ['PTH_RAN'] = '1'\n");
  auto r = run(package({"pth"}, "python3.11", "app.handler"));
  EXPECT_FALSE(has_errors(r)) << codes(r);
  auto f = with(r, "python.import-missing");
  ASSERT_EQ(f.size(), 2u) << codes(r);
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_NE(f[0].message.find("'/opt/python/lib/python3.11/site-packages/run.pth' runs code at start-up"),
            std::string::npos)
      << f[0].message;
}

TEST_F(PythonLayoutTest, ALinkToAFileOfTheBuildMachineIsNamedAsSuch) {
  fs::create_directories(root() / "links/python");
  fs::create_symlink("/usr/lib/python3/dist-packages/six.py", root() / "links/python/hostsix.py");
  fs::create_symlink("../../../../../../../../usr/lib/python3/dist-packages/six.py",
                     root() / "links/python/relsix.py");
  write("function/app.py", "import hostsix\nimport relsix\n");
  auto f = with(run(package({"links"}, "python3.11", "app.handler")), "python.import-missing");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].fix,
            "'/opt/python/hostsix.py' (layer 'links') is a symbolic link to "
            "'/usr/lib/python3/dist-packages/six.py', which does not exist in Lambda's sandbox (a path of "
            "the machine the layer was made on; Lambda has only the function in /var/task, the layers in "
            "/opt and the runtime's own files): put the file itself in the layer instead of a link to it "
            "(cp -L, or zip without --symlinks)");
  EXPECT_NE(
      f[1].fix.find("'/opt/python/relsix.py' (layer 'links') is a symbolic link to "
                    "'/usr/lib/python3/dist-packages/six.py', which does not exist in Lambda's sandbox"),
      std::string::npos)
      << f[1].fix;
}

}  // namespace
}  // namespace layered::doctor
