#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sandbox/sandbox.hpp"

namespace fs = std::filesystem;
using namespace layered;

namespace {

class CacheGcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-cache-gc-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    cache_ = (root_ / "cache").string();
    for (const char* layer : {"a", "b", "c"}) {
      fs::create_directories(root_ / layer / "lib");
      std::ofstream(root_ / layer / "lib" / (std::string(layer) + ".txt")) << layer;
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string layer(const char* name) const { return (root_ / name).string(); }
  std::string merged(const std::vector<std::string>& dirs) {
    auto opt = sandbox::merge_layers(dirs, cache_);
    EXPECT_TRUE(opt.ok());
    return opt.ok() ? *opt : "";
  }
  std::vector<std::string> entries(const std::string& kind) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(cache_) / kind, ec)) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
  std::string cache_;
};

TEST_F(CacheGcTest, KeysAreTheOnesMergeLayersUses) {
  const std::vector<std::string> dirs = {layer("a"), layer("b")};
  EXPECT_EQ(fs::path(merged(dirs)).filename().string(), sandbox::layers_cache_key(dirs));
  EXPECT_NE(sandbox::layers_cache_key(dirs), sandbox::layers_cache_key({layer("b"), layer("a")}));
}

TEST_F(CacheGcTest, KeepsOnlyWhatIsNeededAndWhatIsInUse) {
  const std::string ab = merged({layer("a"), layer("b")});
  const std::string bc = merged({layer("b"), layer("c")});
  const std::string ca = merged({layer("c"), layer("a")});
  fs::create_directories(fs::path(cache_) / "opt/.tmp-999999999-1/lib");  // a builder that died
  fs::create_directories(fs::path(cache_) / "opt" / (".tmp-" + std::to_string(::getpid()) + "-7"));
  fs::create_directories(fs::path(cache_) / "host-programs/0123456789abcdef/curl");  // an old bundle
  auto lease = sandbox::lease_cache_entry(ca);  // an environment running on c+a
  ASSERT_TRUE(lease.ok()) << format_error(lease.error());

  ASSERT_TRUE(sandbox::collect_cache_garbage(cache_, {{layer("a"), layer("b")}, {}}).ok());
  const std::string running = ".tmp-" + std::to_string(::getpid()) + "-7";
  std::vector<std::string> expected = {running, fs::path(ab).filename(), fs::path(ca).filename()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entries("opt"), expected);
  EXPECT_EQ(entries("host-programs"), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(fs::path(ca) / "lib/c.txt"));
  EXPECT_FALSE(fs::exists(bc));

  *lease = sandbox::CacheLease{};  // the environment ended
  ASSERT_TRUE(sandbox::collect_cache_garbage(cache_, {{layer("a"), layer("b")}}).ok());
  EXPECT_FALSE(fs::exists(ca));
  EXPECT_TRUE(fs::exists(fs::path(ab) / "lib/b.txt"));
}

TEST_F(CacheGcTest, ALeaseOnACollectedEntryFailsSoTheCallerBuildsItAgain) {
  const std::string ab = merged({layer("a"), layer("b")});
  ASSERT_TRUE(sandbox::collect_cache_garbage(cache_, {}).ok());
  EXPECT_FALSE(sandbox::lease_cache_entry(ab).ok());
  EXPECT_EQ(merged({layer("a"), layer("b")}), ab);
  EXPECT_TRUE(sandbox::lease_cache_entry(ab).ok());
  EXPECT_TRUE(sandbox::lease_cache_entry("").ok());
}

TEST_F(CacheGcTest, TheCurrentHostProgramBundleIsKept) {
  auto image = image::load("provided.al2023");
  ASSERT_TRUE(image.ok());
  auto bundle = sandbox::prepare_host_programs(*image, cache_);
  ASSERT_TRUE(bundle.ok());
  if (bundle->empty()) GTEST_SKIP() << "no host programs installed here";
  ASSERT_TRUE(sandbox::collect_cache_garbage(cache_, {}).ok());
  EXPECT_TRUE(fs::is_directory(*bundle));
  EXPECT_EQ(fs::path(*bundle).filename().string(), sandbox::host_programs_cache_key(*image));
}

}  // namespace
