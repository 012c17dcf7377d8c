// Functions of a managed runtime run through the real sandbox: code and
// layers written to a temporary directory, one Environment per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "invoke/invoke.hpp"

namespace runtimes_e2e {

namespace fs = std::filesystem;
using nlohmann::json;

// Sets an environment variable for the test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// "nodejs20.x" for `node` (this machine's, or another named by its path)
// of major version 20, or "" when it does not run.
inline std::string node_runtime(const std::string& node = "node") {
  FILE* out = ::popen(("'" + node + "' -p 'process.versions.node.split(\".\")[0]' 2>/dev/null").c_str(), "r");
  if (!out) return {};
  char buf[16] = {};
  std::string major = std::fgets(buf, sizeof buf, out) ? buf : "";
  ::pclose(out);
  while (!major.empty() && (major.back() == '\n' || major.back() == ' ')) major.pop_back();
  return major.empty() ? "" : "nodejs" + major + ".x";
}

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest() {
    root_ = fs::temp_directory_path() / ("runtimes-e2e-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "code");
  }
  ~RuntimeTest() override { fs::remove_all(root_); }

  // A file of the function (under code/) or of a layer (under layers/<name>/).
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  layered::model::Function function(const std::string& runtime, const std::string& handler) {
    layered::model::Function s;
    s.name = "rt-e2e";
    s.arn = "arn:aws:lambda:us-east-1:123456789012:function:rt-e2e";
    s.runtime = *layered::model::parse_runtime(runtime);
    s.handler = handler;
    s.code_dir = (root_ / "code").string();
    s.timeout_s = 20;
    return s;
  }
  void add_layer(layered::model::Function& s, const std::string& name) {
    fs::create_directories(root_ / "layers" / name);
    s.layers.push_back(
        {"arn:aws:lambda:us-east-1:123456789012:layer:" + name + ":1", (root_ / "layers" / name).string()});
  }
  layered::invoke::Options options() {
    layered::invoke::Options o;
    // Shared by the tests of one run (interpreter bundles are built once),
    // removed when the run ends.
    static const struct SharedCache {
      fs::path dir = fs::temp_directory_path() / ("runtimes-e2e-cache-" + std::to_string(::getpid()));
      ~SharedCache() { fs::remove_all(dir); }
    } cache;
    o.cache_dir = cache.dir.string();
    o.init_limit = std::chrono::seconds(20);
    return o;
  }
  std::unique_ptr<layered::invoke::Environment> environment(const layered::model::Function& s) {
    auto env = layered::invoke::Environment::create(s, options());
    EXPECT_TRUE(env.ok()) << (env.ok() ? "" : layered::format_error(env.error()));
    return env.ok() ? std::move(*env) : nullptr;
  }
  layered::invoke::InvokeResult run(const layered::model::Function& s, const std::string& event = "{}") {
    auto env = environment(s);
    if (!env) return {};
    auto r = env->invoke(event);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : layered::format_error(r.error()));
    return r.ok() ? *r : layered::invoke::InvokeResult{};
  }
  static json parse(const std::string& text) { return json::parse(text, nullptr, false); }
  // One field of a JSON object answer, null when the answer is something else.
  static json field(const std::string& text, const std::string& name) {
    json j = parse(text);
    return j.is_object() && j.contains(name) ? j[name] : json();
  }

  fs::path root_;
};

// Node.js functions on this machine's node, whose major version names the
// runtime (runtime_).
class NodeTest : public RuntimeTest {
 protected:
  void SetUp() override {
    runtime_ = node_runtime();
    if (runtime_.empty()) GTEST_SKIP() << "node is not installed";
  }
  std::string runtime_;
};

}  // namespace runtimes_e2e
