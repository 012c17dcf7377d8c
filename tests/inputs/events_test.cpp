// An event is read up to Lambda's request limit and refused past it without
// reading the rest: /dev/zero, from a file or from stdin, ends at once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "deployed.hpp"
#include "run.hpp"

namespace inputs {
namespace {

const char* const kTooLarge =
    "the event is larger than 6291456 bytes: Lambda's request must be smaller than 6291456 bytes for the "
    "InvokeFunction operation";

class Events : public ::testing::Test {
 protected:
  void SetUp() override { deploy_function(dir_, "echo", "echo"); }
  Ran invoke(const std::string& event, const std::string& stdin_path = "/dev/null", bool json = false) {
    std::vector<std::string> args{"invoke", "echo", "--event", event, "--state", (dir_ / "state").string()};
    if (json) args.emplace_back("--json");
    return layered(args, {stdin_path, {}, std::chrono::seconds(30)});
  }
  Scratch dir_;
};

void expect_quick_refusal(const Ran& r, const std::string& where) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "layered: error: " + where + ": " + kTooLarge +
                       "\n  send a smaller event (Lambda answers RequestTooLargeException)\n");
  EXPECT_LT(r.elapsed, std::chrono::seconds(10));
  // The engine under AddressSanitizer starts at some tens of MB; the event
  // adds at most 6 MB (and its copy), never the gigabytes /dev/zero offers.
  EXPECT_LT(r.max_rss_kb, 256 * 1024) << "peak RSS " << r.max_rss_kb << " kB";
  EXPECT_EQ(r.err.find("START"), std::string::npos);
}

TEST_F(Events, DevZeroAsTheEventFileIsRefusedAtLambdasLimit) {
  expect_quick_refusal(invoke("/dev/zero"), "/dev/zero");
}

TEST_F(Events, DevZeroOnStdinIsRefusedAtLambdasLimit) { expect_quick_refusal(invoke("-", "/dev/zero"), "-"); }

TEST_F(Events, AnOversizedFileIsRefusedByItsSize) {
  dir_.write("big.json", "\"" + std::string(6291456, 'x') + "\"");
  const std::string path = (dir_ / "big.json").string();
  auto r = invoke(path, "/dev/null", true);
  expect_quick_refusal(r, path);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["error"]["message"], kTooLarge);
  EXPECT_EQ(j["error"]["where"], path);
}

}  // namespace
}  // namespace inputs
