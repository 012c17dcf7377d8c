// The exec-time symbol-version check (missing_versions) on programs built
// here against this machine's glibc 2.36, judged against the images' 2.34
// and 2.26, each asserting the loader's exact lines.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "doctor/doctor.hpp"
#include "doctor/inputs.hpp"
#include "image/image.hpp"

namespace layered::doctor {
namespace {

namespace fs = std::filesystem;

// arc4random is new in glibc 2.36 (GLIBC_2.36).
constexpr const char* kNeeds236 = "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n";

class LoaderTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_.path(); }

  void cc(const std::string& out, const std::string& source, const std::string& flags = "") {
    fs::path src = root() / (fs::path(out).filename().string() + ".c");
    std::ofstream(src) << source;
    fs::create_directories((root() / out).parent_path());
    std::string cmd = "cc -o '" + (root() / out).string() + "' '" + src.string() + "' " + flags;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  std::vector<std::string> check(const std::string& runtime,
                                 const std::string& program = "/var/task/bootstrap") {
    auto image = image::load(runtime);
    EXPECT_TRUE(image.ok());
    fs::create_directories(root() / "code");
    fs::create_directories(root() / "opt");
    return missing_versions(*image, {"x86_64", root() / "code", root() / "opt", program});
  }

  TempDir tmp_;
};

TEST_F(LoaderTest, BootstrapNeedingGlibc236IsRefusedOnAl2023) {
  cc("code/bootstrap", kNeeds236);
  EXPECT_EQ(check("provided.al2023"),
            std::vector<std::string>{"/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.36' not found "
                                     "(required by /var/task/bootstrap)"});
}

TEST_F(LoaderTest, EveryMissingVersionIsALineOnAl2) {
  cc("code/bootstrap", kNeeds236);
  auto lines = check("provided.al2");
  ASSERT_EQ(lines.size(), 2u);  // __libc_start_main@GLIBC_2.34 and arc4random@GLIBC_2.36
  for (const auto& line : lines)
    EXPECT_EQ(line.rfind("/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.3", 0), 0u);
}

TEST_F(LoaderTest, ProgramWithinTheImagesGlibcStarts) {
  cc("code/bootstrap", "int main(void) { return 0; }\n");
  EXPECT_TRUE(check("provided.al2023").empty());
}

TEST_F(LoaderTest, LayerLibraryNeedingGlibc236IsNamed) {
  cc("opt/lib/libnew.so", "#include <stdlib.h>\nunsigned draw(void) { return arc4random(); }\n",
     "-shared -fPIC -Wl,-soname,libnew.so");
  cc("code/bootstrap", "unsigned draw(void); int main(void) { return (int)draw(); }\n",
     "-L" + (root() / "opt/lib").string() + " -lnew");
  EXPECT_EQ(check("provided.al2023"),
            std::vector<std::string>{"/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.36' not found "
                                     "(required by /opt/lib/libnew.so)"});
}

TEST_F(LoaderTest, BundledGlibcInALayerIsNotTheImages) {
  // Started through a loader and libc of its own in /opt/lib (DT_RPATH
  // first), as the example's functions are: the image's glibc plays no part.
  const std::string libs = image::host_library_dir();
  fs::create_directories(root() / "opt/lib");
  for (const char* lib : {"ld-linux-x86-64.so.2", "libc.so.6"})
    fs::copy_file(fs::canonical(libs + "/" + lib), root() / "opt/lib" / lib);
  cc("code/bootstrap", kNeeds236,
     "-Wl,--dynamic-linker=/opt/lib/ld-linux-x86-64.so.2,--disable-new-dtags,-rpath,/opt/lib");
  EXPECT_TRUE(check("provided.al2023").empty());
}

TEST_F(LoaderTest, ScriptsAndLayerBootstrapsAndSymlinks) {
  std::ofstream(root() / "script") << "#!/bin/sh\nexec /var/task/app\n";
  fs::create_directories(root() / "code");
  fs::copy_file(root() / "script", root() / "code/bootstrap");
  EXPECT_TRUE(check("provided.al2023").empty());  // what it execs is not known before it runs
  cc("opt/bin/app", kNeeds236);
  fs::create_symlink("bin/app", root() / "opt/bootstrap");
  EXPECT_EQ(check("provided.al2023", "/opt/bootstrap"),
            std::vector<std::string>{"/opt/bootstrap: /lib64/libc.so.6: version `GLIBC_2.36' not found "
                                     "(required by /opt/bootstrap)"});
}

TEST_F(LoaderTest, ReadsOnlyHeadersOfABigExecutable) {
  // 64 MB of data in the executable: the check maps it and reads its tables.
  cc("code/bootstrap",
     std::string(kNeeds236) +
         "static const char pad[64 << 20] = {1};\nconst char* keep(void) { return pad; }\n");
  auto image = image::load("provided.al2023");
  ASSERT_TRUE(image.ok());
  long best_us = 0;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto lines = missing_versions(*image, {"x86_64", root() / "code", "", "/var/task/bootstrap"});
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    EXPECT_EQ(lines.size(), 1u);
    if (round == 0 || us.count() < best_us) best_us = static_cast<long>(us.count());
  }
  RecordProperty("check_us", static_cast<int>(best_us));
  std::cout << "missing_versions on a 64 MB executable: " << best_us << " us (best of 5)\n";
}

}  // namespace
}  // namespace layered::doctor
