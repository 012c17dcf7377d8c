// Temporary function and layer directories for the end-to-end tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace e2e {

namespace fs = std::filesystem;

class Dirs {
 public:
  Dirs() {
    root_ = fs::temp_directory_path() / ("invoke-e2e-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~Dirs() { fs::remove_all(root_); }
  fs::path dir(const std::string& rel) {
    fs::create_directories(root_ / rel);
    return root_ / rel;
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  void copy(const fs::path& from, const std::string& rel) {
    fs::create_directories((root_ / rel).parent_path());
    fs::copy_file(from, root_ / rel, fs::copy_options::overwrite_existing);
  }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

}  // namespace e2e
