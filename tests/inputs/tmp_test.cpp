// `layered doctor` leaves nothing in $TMPDIR (it extracts zips there): each
// run gets a private, empty TMPDIR, which must be empty again afterwards,
// whatever the outcome, even after a doctor that was killed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "run.hpp"

namespace inputs {
namespace {

class NothingLeftInTmp : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_ / "tmp"); }
  Ran run(const std::vector<std::string>& args) {
    return layered(args, {"/dev/null", {"TMPDIR=" + (dir_ / "tmp").string()}, std::chrono::seconds(60)});
  }
  void expect_tmp_empty(const std::string& what) {
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(dir_ / "tmp")) left.push_back(e.path().filename().string());
    EXPECT_TRUE(left.empty()) << what << " left " << left.size() << " entries, e.g. " << left.front();
    fs::remove_all(dir_ / "tmp");
    fs::create_directories(dir_ / "tmp");
  }
  void make_package() {
    dir_.write("function/bootstrap", "#!/bin/sh\nexec echo hi\n");
    fs::permissions(dir_ / "function/bootstrap", fs::perms(0755));
    dir_.write("layer/lib/libx.so", "not a library");
    const std::string zip = "cd '" + (dir_ / "layer").string() + "' && zip -qr ../layer.zip .";
    ASSERT_EQ(std::system(zip.c_str()), 0);
    dir_.write("broken.zip", std::string("PK\x03\x04", 4) + "not really a zip");
  }
  Scratch dir_;
};

TEST_F(NothingLeftInTmp, Doctor) {
  make_package();
  const std::string function = (dir_ / "function").string();
  // What a doctor killed while extracting a zip leaves (no destructor ran)
  // is collected by the next one.
  const fs::path left = dir_ / "tmp/layered-doctor-Killed";
  dir_.write("tmp/layered-doctor-Killed/1/lib/libx.so", "half extracted");
  fs::last_write_time(left, fs::file_time_type::clock::now() - std::chrono::hours(2));
  run({"doctor", "--function", function, "--layer", (dir_ / "layer.zip").string()});
  expect_tmp_empty("a doctor after a killed one");
  // And every way a doctor ends leaves nothing.
  run({"doctor", "--function", function, "--layer", (dir_ / "layer").string()});
  expect_tmp_empty("doctor on directories");
  run({"doctor", "--function", function, "--layer", (dir_ / "layer.zip").string()});
  expect_tmp_empty("doctor on a zip");
  run({"doctor", "--json", "--function", function, "--layer", (dir_ / "layer.zip").string(), "--layer",
       (dir_ / "broken.zip").string()});
  expect_tmp_empty("doctor on a broken zip");
  run({"doctor", "--function", function, "--layer", (dir_ / "nowhere").string()});
  expect_tmp_empty("doctor on a missing layer");
}

}  // namespace
}  // namespace inputs
