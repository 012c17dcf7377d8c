#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sandbox/sandbox.hpp"

namespace fs = std::filesystem;
using namespace layered;

namespace {

class LayersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("layers-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path root_;
};

TEST_F(LayersTest, LaterLayerWinsAndDirectoriesMerge) {
  write("a/lib/libshared.so", "from a");
  write("a/lib/libonly_a.so", "only a");
  write("b/lib/libshared.so", "from b");
  write("b/bin/tool", "tool");
  auto merged =
      sandbox::merge_layers({(root_ / "a").string(), (root_ / "b").string()}, (root_ / "cache").string());
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(read(fs::path(*merged) / "lib/libshared.so"), "from b");
  EXPECT_EQ(read(fs::path(*merged) / "lib/libonly_a.so"), "only a");
  EXPECT_EQ(read(fs::path(*merged) / "bin/tool"), "tool");
  // The layer's own file is untouched by the merge.
  EXPECT_EQ(read(root_ / "a/lib/libshared.so"), "from a");
}

TEST_F(LayersTest, OrderIsPartOfTheKeyAndTheCacheIsReused) {
  write("a/f", "a");
  write("b/f", "b");
  const std::string cache = (root_ / "cache").string();
  auto ab = sandbox::merge_layers({(root_ / "a").string(), (root_ / "b").string()}, cache);
  auto ba = sandbox::merge_layers({(root_ / "b").string(), (root_ / "a").string()}, cache);
  auto ab_again = sandbox::merge_layers({(root_ / "a").string(), (root_ / "b").string()}, cache);
  ASSERT_TRUE(ab.ok() && ba.ok() && ab_again.ok());
  EXPECT_NE(*ab, *ba);
  EXPECT_EQ(*ab, *ab_again);
  EXPECT_EQ(read(fs::path(*ab) / "f"), "b");
  EXPECT_EQ(read(fs::path(*ba) / "f"), "a");
}

TEST_F(LayersTest, KeepsExecutableBitsAndSymlinks) {
  write("a/bin/run", "#!/bin/sh\n");
  fs::permissions(root_ / "a/bin/run", fs::perms(0755));
  fs::create_symlink("run", root_ / "a/bin/alias");
  auto merged = sandbox::merge_layers({(root_ / "a").string()}, (root_ / "cache").string());
  ASSERT_TRUE(merged.ok());
  struct stat st {};
  ASSERT_EQ(::stat((fs::path(*merged) / "bin/run").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 0111, 0u);
  EXPECT_EQ(fs::read_symlink(fs::path(*merged) / "bin/alias"), "run");
}

// Extraction over what earlier layers left cannot unlink a directory to put a
// file there (docs/lambda-facts.md section 1): the directory stays.
TEST_F(LayersTest, FileInLaterLayerDoesNotReplaceADirectory) {
  write("a/thing/inner", "x");
  write("b/thing", "file now");
  write("b/other", "kept");
  auto merged =
      sandbox::merge_layers({(root_ / "a").string(), (root_ / "b").string()}, (root_ / "cache").string());
  ASSERT_TRUE(merged.ok());
  EXPECT_TRUE(fs::is_directory(fs::path(*merged) / "thing"));
  EXPECT_EQ(read(fs::path(*merged) / "thing/inner"), "x");
  EXPECT_EQ(read(fs::path(*merged) / "other"), "kept");
}

TEST_F(LayersTest, NothingOfALaterLayerLandsUnderAnEarlierFile) {
  write("a/conf", "a file");
  write("b/conf/x", "under it");
  auto merged =
      sandbox::merge_layers({(root_ / "a").string(), (root_ / "b").string()}, (root_ / "cache").string());
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(read(fs::path(*merged) / "conf"), "a file");
}

TEST_F(LayersTest, NoLayersMeansEmptyOpt) {
  auto merged = sandbox::merge_layers({}, (root_ / "cache").string());
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, "");
}

TEST_F(LayersTest, MissingLayerContentIsAnError) {
  auto merged = sandbox::merge_layers({(root_ / "gone").string()}, (root_ / "cache").string());
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error().message, "layer content is missing");
  EXPECT_EQ(merged.error().where, (root_ / "gone").string());
}

}  // namespace
