#include "image/image.hpp"

#include <gtest/gtest.h>

namespace layered::image {
namespace {

TEST(Image, Al2023HasGlibc234AndNoLibstdcxx) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->symbol_versions.at("GLIBC"), "2.34");
  EXPECT_EQ(image->symbol_versions.count("GLIBCXX"), 0u);
  EXPECT_TRUE(image->has_file("/lib64/libc.so.6"));
  EXPECT_TRUE(image->has_file("/usr/lib64/libm.so.6"));
  EXPECT_FALSE(image->has_file("/lib64/libstdc++.so.6"));
  EXPECT_TRUE(image->has_file("/bin/sh"));
  EXPECT_TRUE(image->has_file("/bin/bash"));
  EXPECT_FALSE(image->has_file("/usr/bin/python3"));
  EXPECT_TRUE(image->has_file("/usr/bin/curl"));
}

TEST(Image, LdLibraryPathPutsImageDirectoriesBeforeTaskAndOpt) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  auto dirs = image->ld_library_path();
  ASSERT_EQ(dirs.size(), 8u);
  EXPECT_EQ(dirs.front(), "/var/lang/lib");
  EXPECT_EQ(dirs[1], "/lib64");
  EXPECT_EQ(dirs.back(), "/opt/lib");
}

TEST(Image, UnknownRuntimeSuggestsTheClosest) {
  auto image = load("provided.al2024");
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().message, "runtime 'provided.al2024' is not emulated");
  EXPECT_EQ(image.error().hint,
            "did you mean 'provided.al2023'? known runtimes: provided.al2, provided.al2023");
}

TEST(Image, ComparesVersionsNumerically) {
  EXPECT_LT(compare_versions("2.34", "2.35"), 0);
  EXPECT_GT(compare_versions("3.4.30", "3.4.9"), 0);
  EXPECT_EQ(compare_versions("2.34", "2.34.0"), 0);
}

TEST(Image, CanonicalResolvesDirectoryLinks) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->canonical("/lib64/libc.so.6"), "/usr/lib64/libc.so.6");
  EXPECT_EQ(image->canonical("/bin/sh"), "/usr/bin/sh");
}

}  // namespace
}  // namespace layered::image
