// One fixture per mistake, built here from small C sources with the system
// compiler, each asserting the exact finding.
#include "doctor/doctor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "doctor/inputs.hpp"
#include "doctor/package_test_util.hpp"

namespace layered::doctor {
namespace {

namespace fs = std::filesystem;

class DoctorTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_.path(); }

  void write(const fs::path& rel, const std::string& text, bool exec = false) {
    fs::path p = root() / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    if (exec) fs::permissions(p, fs::perms(0755));
  }

  // Compiles C `source` into root()/`out` with `flags`.
  void cc(const std::string& out, const std::string& source, const std::string& flags,
          const std::string& compiler = "cc", const std::string& ext = ".c") {
    fs::path src = root() / (fs::path(out).filename().string() + ext);
    std::ofstream(src) << source;
    fs::create_directories((root() / out).parent_path());
    std::string cmd = compiler + " -o '" + (root() / out).string() + "' '" + src.string() + "' " + flags;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  void library(const std::string& out, const std::string& soname, const std::string& flags = "") {
    std::string name = fs::path(out).filename().string();
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    cc(out, "int " + name + "_value(void) { return 42; }\n",
       "-shared -fPIC -Wl,-soname," + soname + " " + flags);
  }

  model::Function package(std::vector<std::string> layers, bool function = true) {
    model::Function p;
    p.name = "fn";
    if (function) p.code_dir = (root() / "function").string();
    for (auto& l : layers) p.layers.push_back({"", (root() / l).string(), l});
    return p;
  }

  TempDir tmp_;
};

const char* kMain = "int main(void) { return 0; }\n";

TEST_F(DoctorTest, CleanFunctionHasNoFindings) {
  cc("function/bootstrap", kMain, "");
  write("layer/bin/.keep", "");
  auto r = run(package({"layer"}));
  EXPECT_EQ(codes(r), "");
  EXPECT_FALSE(has_errors(r));
  EXPECT_NE(render_text(r).find("no problems found in 1 function"), std::string::npos) << render_text(r);
}

TEST_F(DoctorTest, LibraryInLibsFolder) {
  library("build/libfoo.so", "libfoo.so");
  cc("function/bootstrap", "int libfoo_so_value(void); int main(void) { return libfoo_so_value(); }\n",
     "-L" + (root() / "build").string() + " -lfoo");
  fs::create_directories(root() / "layer/libs");
  fs::copy(root() / "build/libfoo.so", root() / "layer/libs/libfoo.so");
  auto r = run(package({"layer"}));
  auto layout = with(r, "layout.library-not-in-lib");
  ASSERT_EQ(layout.size(), 1u) << codes(r);
  EXPECT_EQ(layout[0].file, "/opt/libs/");
  EXPECT_EQ(
      layout[0].message,
      "holds shared libraries (libs/libfoo.so), but only /opt/lib is on LD_LIBRARY_PATH, not /opt/libs");
  EXPECT_EQ(layout[0].fix, "rename the layer's 'libs/' folder to 'lib/'");
  auto deps = with(r, "deps.unresolved");
  ASSERT_EQ(deps.size(), 1u) << codes(r);
  EXPECT_EQ(deps[0].file, "/var/task/bootstrap");
  EXPECT_EQ(deps[0].message,
            "needs 'libfoo.so', which is in none of the directories the loader searches on provided.al2023 "
            "(error while loading shared libraries: libfoo.so: cannot open shared object file)");
  EXPECT_EQ(deps[0].fix,
            "move '/opt/libs/libfoo.so' (layer 'layer') into lib/ of the layer (it ends up in /opt/lib)");
}

TEST_F(DoctorTest, LibraryAtTopLevel) {
  library("layer/libfoo.so.1", "libfoo.so.1");
  auto r = run(package({"layer"}, false));
  auto f = with(r, "layout.library-at-top");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/libfoo.so.1");
  EXPECT_EQ(f[0].message, "is at the top of the layer, but the loader searches /opt/lib, not /opt");
}

TEST_F(DoctorTest, MissingTransitiveDependency) {
  library("build/libbar.so", "libbar.so");
  cc("layer/lib/libfoo.so", "int libbar_so_value(void); int foo_value(void) { return libbar_so_value(); }\n",
     "-shared -fPIC -Wl,-soname,libfoo.so -L" + (root() / "build").string() + " -lbar");
  cc("function/bootstrap", "int foo_value(void); int main(void) { return foo_value(); }\n",
     "-L" + (root() / "layer/lib").string() + " -lfoo -Wl,-rpath-link," + (root() / "build").string());
  auto r = run(package({"layer"}));
  auto f = with(r, "deps.unresolved");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/lib/libfoo.so");
  EXPECT_EQ(f[0].source, "layer 'layer'");
  EXPECT_EQ(f[0].fix, "put libbar.so in a layer's lib/ (it ends up in /opt/lib)");
}

TEST_F(DoctorTest, NeedsGlibc235) {
  cc("function/bootstrap",
     "int _dl_find_object(void*, void*); int main(void) { return _dl_find_object(0, 0); }\n", "");
  auto r = run(package({}));
  auto f = with(r, "symver.too-new");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/var/task/bootstrap");
  EXPECT_EQ(f[0].message,
            "needs GLIBC_2.35 from 'libc.so.6', but provided.al2023's '/usr/lib64/libc.so.6' has only up to "
            "GLIBC_2.34 (version `GLIBC_2.35' not found)");
  EXPECT_EQ(f[0].fix,
            "build 'bootstrap' against glibc 2.34 or older, or ship glibc in a layer and start through it "
            "(-Wl,--dynamic-linker=/opt/lib/ld-linux-x86-64.so.2,--disable-new-dtags,-rpath,/opt/lib)");
}

TEST_F(DoctorTest, NeedsGlibcxxNewerThanTheLayersCopy) {
  // Two builds of a stand-in libstdc++.so.6: the one linked against defines
  // GLIBCXX_3.4.30, the one the layer ships stops at GLIBCXX_3.4.29.
  write("new.map",
        "GLIBCXX_3.4.29 { global: old_api; }; GLIBCXX_3.4.30 { global: new_api; } GLIBCXX_3.4.29;\n");
  write("old.map", "GLIBCXX_3.4.29 { global: old_api; local: *; };\n");
  std::string both = "int old_api(void) { return 1; }\nint new_api(void) { return 2; }\n";
  cc("new/libstdc++.so.6", both,
     "-shared -fPIC -Wl,-soname,libstdc++.so.6 -Wl,--version-script=" + (root() / "new.map").string());
  cc("layer/lib/libstdc++.so.6", "int old_api(void) { return 1; }\n",
     "-shared -fPIC -Wl,-soname,libstdc++.so.6 -Wl,--version-script=" + (root() / "old.map").string());
  cc("function/bootstrap", "int new_api(void); int main(void) { return new_api(); }\n",
     (root() / "new/libstdc++.so.6").string() + " -Wl,--disable-new-dtags,-rpath,/opt/lib");
  auto r = run(package({"layer"}));
  auto f = with(r, "symver.too-new");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(
      f[0].message,
      "needs GLIBCXX_3.4.30 from 'libstdc++.so.6', but the copy it loads, '/opt/lib/libstdc++.so.6' (layer "
      "'layer'), does not define it (its newest is GLIBCXX_3.4.29) (version `GLIBCXX_3.4.30' not found)");
}

// What a Rust binary for x86_64-unknown-linux-gnu needs besides glibc: its
// std unwinds through libgcc_s.so.1 (GCC_3.0, GCC_3.3, GCC_4.2.0).
constexpr const char* kUnwinds =
    "#include <unwind.h>\n"
    "static _Unwind_Reason_Code step(struct _Unwind_Context* c, void* n) {\n"
    "  int before = 0; ++*(int*)n; return _Unwind_GetIPInfo(c, &before) ? _URC_NO_REASON : "
    "_URC_END_OF_STACK;\n"
    "}\n"
    "int main(int argc, char** argv) {\n"
    "  int frames = 0; _Unwind_Backtrace(step, &frames);\n"
    "  if (argc > 5) _Unwind_Resume((struct _Unwind_Exception*)argv);\n"
    "  return frames > 0 ? 0 : 1;\n"
    "}\n";

TEST_F(DoctorTest, RustStyleBinaryUsesTheImagesLibgcc) {
  cc("function/bootstrap", kUnwinds, "-Wl,--no-as-needed -lgcc_s");
  EXPECT_EQ(codes(run(package({}))), "");
  // On Amazon Linux 2 libgcc_s resolves too; only this machine's glibc 2.36
  // build is too new there (__libc_start_main@GLIBC_2.34).
  model::Function al2 = package({});
  al2.runtime = model::Runtime::provided_al2;
  auto r = run(al2);
  EXPECT_TRUE(with(r, "deps.unresolved").empty()) << codes(r);
  auto too_new = with(r, "symver.too-new");
  ASSERT_EQ(too_new.size(), 1u) << codes(r);
  EXPECT_EQ(too_new[0].message.rfind("needs GLIBC_2.34 from 'libc.so.6'", 0), 0u) << too_new[0].message;
}

TEST_F(DoctorTest, CxxProgramUsesTheImagesLibstdcxx) {
  cc("function/bootstrap",
     "#include <string>\nint main(int argc, char**) { return std::string(argc, 'x').size() > 9; }\n", "",
     "c++", ".cpp");
  auto r = run(package({}));
  EXPECT_EQ(codes(r), "");
}

TEST_F(DoctorTest, NeedsGlibcxxNewerThanTheImages) {
  // A stand-in libstdc++.so.6 at build time that defines GLIBCXX_3.4.30 (GCC
  // 12); on Lambda the image's GCC 11 copy is loaded.
  write("new.map",
        "GLIBCXX_3.4.29 { global: old_api; }; GLIBCXX_3.4.30 { global: new_api; } GLIBCXX_3.4.29;\n");
  cc("build/libstdc++.so.6", "int old_api(void) { return 1; }\nint new_api(void) { return 2; }\n",
     "-shared -fPIC -Wl,-soname,libstdc++.so.6 -Wl,--version-script=" + (root() / "new.map").string());
  cc("function/bootstrap", "int new_api(void); int main(void) { return new_api(); }\n",
     (root() / "build/libstdc++.so.6").string());
  auto r = run(package({}));
  auto f = with(r, "symver.too-new");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(
      f[0].message,
      "needs GLIBCXX_3.4.30 from 'libstdc++.so.6', but provided.al2023's '/usr/lib64/libstdc++.so.6' has "
      "only up to GLIBCXX_3.4.29 (version `GLIBCXX_3.4.30' not found)");
  EXPECT_EQ(f[0].fix,
            "ship the libstdc++.so.6 you built with in a layer's lib/ and load it first "
            "(-Wl,--disable-new-dtags,-rpath,/opt/lib), or link with -static-libstdc++");
}

TEST_F(DoctorTest, Arm64ObjectOnX86) {
  // A minimal ELF64 header: little endian, ET_DYN, EM_AARCH64, no program headers.
  std::string h(64, '\0');
  h.replace(0, 4,
            "\x7f"
            "ELF");
  h[4] = 2, h[5] = 1, h[6] = 1, h[16] = 3, h[18] = static_cast<char>(183), h[52] = 64;
  write("layer/lib/libarm.so", h);
  auto r = run(package({"layer"}, false));
  auto f = with(r, "arch.mismatch");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/lib/libarm.so");
  EXPECT_EQ(
      f[0].message,
      "is built for arm64, but the function runs on x86_64 (the loader rejects it: 'Exec format error' or "
      "'wrong ELF class')");
  EXPECT_EQ(f[0].fix, "rebuild it for x86_64, or deploy the function for arm64 (--arch arm64)");
}

TEST_F(DoctorTest, ZipWithExtraTopFolder) {
  library("my-layer/lib/libfoo.so", "libfoo.so");
  std::string cmd = "cd '" + root().string() + "' && zip -qr layer.zip my-layer";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  model::Function p;
  p.layers.push_back({"", (root() / "layer.zip").string(), "my-layer"});
  auto r = run(p);
  auto f = with(r, "layout.extra-top-folder");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, (root() / "layer.zip").string());
  EXPECT_EQ(
      f[0].message,
      "everything is inside the folder 'my-layer/', which Lambda extracts to /opt/my-layer/..., so nothing "
      "lands in /opt/lib or /opt/bin");
  EXPECT_EQ(f[0].fix,
            "zip the folder's contents, not the folder: cd my-layer && zip -r --symlinks ../layer.zip .");
}

TEST_F(DoctorTest, CrlfBootstrap) {
  write("function/bootstrap", "#!/bin/sh\r\nexec /var/task/handler\r\n", true);
  auto r = run(package({}));
  auto f = with(r, "bootstrap.crlf");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(
      f[0].message,
      "has Windows (CRLF) line endings, so the kernel looks for the interpreter '/bin/sh\\r' and fails with "
      "'No such file or directory'");
}

TEST_F(DoctorTest, BootstrapProblems) {
  write("function/bootstrap", "#!/bin/zsh\necho hi\n", false);
  auto r = run(package({}));
  EXPECT_EQ(
      codes(r),
      "bootstrap.not-executable /var/task/bootstrap\nbootstrap.interpreter-missing /var/task/bootstrap\n");
  EXPECT_EQ(with(r, "bootstrap.interpreter-missing")[0].message,
            "starts with '#!/bin/zsh', but provided.al2023 has no '/bin/zsh'");
  fs::remove(root() / "function/bootstrap");
  write("function/src/bootstrap", "#!/bin/sh\n", true);
  auto missing = with(run(package({})), "bootstrap.missing");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].fix,
            "move '/var/task/src/bootstrap' to the top of the function's zip (or of a layer's)");
}

TEST_F(DoctorTest, ImageLibcShadowsTheLayersCopy) {
  cc("function/bootstrap", kMain, "");
  fs::create_directories(root() / "layer/lib");
  fs::copy("/lib/x86_64-linux-gnu/libc.so.6", root() / "layer/lib/libc.so.6");
  auto r = run(package({"layer"}));
  auto f = with(r, "deps.shadowed");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].file, "/opt/lib/libc.so.6");
  EXPECT_EQ(
      f[0].message,
      "'libc.so.6' needed by '/var/task/bootstrap' is loaded from '/usr/lib64/libc.so.6' (image) because the "
      "image's directories come first on LD_LIBRARY_PATH; this copy is never used");
}

TEST_F(DoctorTest, MissingInterpreter) {
  cc("function/bootstrap", kMain, "-Wl,--dynamic-linker=/opt/lib/ld-linux-x86-64.so.2");
  auto r = run(package({}));
  auto f = with(r, "deps.interpreter-missing");
  ASSERT_EQ(f.size(), 1u) << codes(r);
  EXPECT_EQ(f[0].message,
            "asks for the ELF interpreter '/opt/lib/ld-linux-x86-64.so.2', which does not exist on "
            "provided.al2023, "
            "so starting it fails with 'No such file or directory' although the file is there");
}

TEST_F(DoctorTest, SixLayersAndConflicts) {
  std::vector<std::string> names;
  for (int i = 1; i <= 6; ++i) {
    names.push_back("l" + std::to_string(i));
    write("l" + std::to_string(i) + "/bin/tool.sh", "#!/bin/sh\necho " + std::to_string(i) + "\n", true);
  }
  auto r = run(package(names, false));
  auto many = with(r, "limits.too-many-layers");
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].message, "the function uses 6 layers, but Lambda allows at most 5");
  auto conflict = with(r, "conflict.file");
  ASSERT_EQ(conflict.size(), 1u);
  EXPECT_EQ(conflict[0].file, "/opt/bin/tool.sh");
  EXPECT_EQ(conflict[0].message,
            "is in layer 'l1', layer 'l2', layer 'l3', layer 'l4', layer 'l5' and layer 'l6'; the function "
            "sees only "
            "the copy from layer 'l6' (the later layer wins)");
}

TEST_F(DoctorTest, PythonAndNodeLayouts) {
  write("py/mypkg/__init__.py", "");
  write("py2/python/lib/python3.11/site-packages/x.py", "");
  write("node/node_modules/left-pad/index.js", "");
  model::Function p = package({"py", "py2", "node"}, false);
  p.runtime = model::Runtime::python3_12;
  auto r = run(p);
  EXPECT_EQ(codes(r),
            "layout.python-dir /opt/mypkg/\n"
            "layout.python-version /opt/python/lib/python3.11/site-packages\n"
            "layout.nodejs-dir /opt/node_modules\n");
}

// Lambda starts /opt/extensions/* during Init; layered does not, and says so.
TEST_F(DoctorTest, AnExtensionInALayerIsNamedAsNotRun) {
  write("ext/extensions/telemetry-agent", "#!/bin/sh\n", true);
  write("ext/extensions/README", "");  // not executable: not an extension
  model::Function p = package({"ext"}, false);
  p.runtime = model::Runtime::python3_12;
  auto r = run(p);
  EXPECT_EQ(codes(r), "layout.extension /opt/extensions/telemetry-agent\n");
  auto f = with(r, "layout.extension");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::warning);
}

TEST_F(DoctorTest, UnreadableInputsAreErrors) {
  model::Function p;
  p.layers.push_back({"", (root() / "nope.zip").string(), "gone"});
  auto r = check(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(format_error(r.error()),
            "layered: error: " + (root() / "nope.zip").string() +
                ": layer 'gone': no such file or directory\n  pass a directory or a .zip");
  p.layers.clear();
  p.name = "fn";
  p.runtime = model::Runtime::provided;  // a finding of the function, not an error of the run
  auto deprecated = check(p);
  ASSERT_TRUE(deprecated.ok());
  auto f = with(*deprecated, "runtime.unsupported");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::error);
  EXPECT_EQ(f[0].message, model::unsupported_runtime("fn", model::Runtime::provided).message);
}

}  // namespace
}  // namespace layered::doctor
