// Runs the real `layered` binary with a time bound and measures it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace inputs {

namespace fs = std::filesystem;

struct Ran {
  int exit_code = -1;  // -1: killed (by a signal, or at the time bound)
  bool timed_out = false;
  std::string out, err;
  std::chrono::milliseconds elapsed{0};
  long max_rss_kb = 0;  // the process's peak resident set
};

struct RunOptions {
  std::string stdin_path = "/dev/null";
  std::vector<std::string> env;  // "NAME=value" added to the environment
  std::chrono::seconds limit{60};
};

// `layered ARGS...` with stdout and stderr captured.
Ran layered(const std::vector<std::string>& args, const RunOptions& options = {});

// A private directory, removed with its contents.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }
  void write(const std::string& rel, const std::string& bytes) const;

 private:
  fs::path path_;
};

}  // namespace inputs
