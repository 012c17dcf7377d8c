// The fixture the walls tests share: a function is a small shell bootstrap
// with busybox from a layer, invoked for real (bubblewrap, namespaces).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "image/image.hpp"
#include "invoke/invoke.hpp"

namespace layered::walls_test {

namespace fs = std::filesystem;

// A Runtime API loop in busybox sh: answers each event with `answer`.
inline std::string serve_loop(const std::string& answer) {
  return "API=http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\n"
         "while true; do\n"
         "  $BB wget -S -q -O /tmp/event $API/invocation/next 2>/tmp/headers || exit 1\n"
         "  ID=$(sed -n 's/^ *[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p' /tmp/headers | tr -d "
         "'\\r')\n"
         "  " +
         answer +
         " > /tmp/out\n"
         "  $BB wget -q -O /dev/null --post-file /tmp/out $API/invocation/$ID/response\n"
         "done\n";
}

class Walls : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("walls-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "layer/bin");
    fs::copy_file(image::host_busybox(), root_ / "layer/bin/busybox");
    fs::permissions(root_ / "layer/bin/busybox", fs::perms(0755));
  }
  void TearDown() override { fs::remove_all(root_); }

  // A function whose bootstrap is `script` (busybox at $BB).
  model::Function function(const std::string& name, const std::string& script) {
    fs::create_directories(root_ / name);
    auto path = root_ / name / "bootstrap";
    std::ofstream(path) << "#!/bin/sh\nBB=/opt/bin/busybox\n" << script << "\n";
    fs::permissions(path, fs::perms(0755));
    model::Function s;
    s.name = name;
    s.arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
    s.code_dir = (root_ / name).string();
    s.layers.push_back({"arn:aws:lambda:us-east-1:123456789012:layer:bb:1", (root_ / "layer").string()});
    s.timeout_s = 10;
    return s;
  }
  invoke::Options options() {
    invoke::Options o;
    o.cache_dir = (root_ / "cache").string();
    o.outbound_network = false;
    return o;
  }
  invoke::InvokeResult run(const model::Function& s, const std::string& event = "{}") {
    auto r = invoke::invoke_once(s, event, options());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.error()));
    return r.ok() ? *r : invoke::InvokeResult{};
  }

  fs::path root_;
};

}  // namespace layered::walls_test
