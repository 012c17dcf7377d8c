// Hostile templates through `layered deploy`: refused with CloudFormation's
// wording where it has one, quickly, in bounded memory, never a crash.
#include <gtest/gtest.h>

#include "run.hpp"

namespace inputs {
namespace {

class Templates : public ::testing::Test {
 protected:
  // A cloud assembly of one stack "S" whose template is `text`, deployed.
  Ran deploy(const std::string& text, const std::string& app = "cdk.out") {
    dir_.write(app + "/manifest.json", R"({"version":"36.0.0","artifacts":{"S":{
      "type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}})");
    dir_.write(app + "/S.template.json", text);
    return layered(
        {"deploy", "S", "--app", (dir_ / app).string(), "--state", (dir_ / (app + ".state")).string()},
        {"/dev/null", {}, std::chrono::seconds(60)});
  }
  std::string template_path() const { return (dir_ / "cdk.out/S.template.json").string(); }
  // Peak RSS of deploying a harmless template, to compare with.
  long baseline_rss_kb() {
    auto r = deploy(R"({"Resources":{"T":{"Type":"AWS::SNS::Topic"}}})", "baseline");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.max_rss_kb;
  }
  Scratch dir_;
};

std::string with_value(const std::string& value) {
  return R"({"Resources":{"R":{"Type":"AWS::SSM::Parameter","Properties":{"Type":"String","Value":)" + value +
         "}}}}";
}

// The error line `layered deploy` printed after its progress lines.
std::string error_line(const std::string& err) {
  const auto at = err.find("layered: error: ");
  return at == std::string::npos ? err : err.substr(at, err.find('\n', at) - at);
}

void expect_refused(const Ran& r, const std::string& error, long baseline_rss_kb) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // not a signal
  EXPECT_EQ(error_line(r.err), error) << r.err;
  EXPECT_LT(r.elapsed, std::chrono::seconds(20));
  // Whatever the template, at most a few tens of MB over a deploy of a
  // one-resource template (the engine under AddressSanitizer).
  EXPECT_LT(r.max_rss_kb, baseline_rss_kb + 64 * 1024) << "peak RSS " << r.max_rss_kb << " kB";
}

TEST_F(Templates, FortyEightMegabytesAndTwelveThousandResourcesAreRefusedUnread) {
  std::string text = R"({"Resources":{)";
  for (int i = 0; i < 12001; ++i) {
    text += (i ? "," : "") + std::string("\"R") + std::to_string(i) +
            R"(":{"Type":"AWS::SNS::Topic","Properties":{"TopicName":")" + std::string(3900, 't') + "\"}}";
  }
  text += "}}";
  ASSERT_GT(text.size(), 47'000'000u);
  expect_refused(deploy(text),
                 "layered: error: " + template_path() + ": Template may not exceed 1000000 bytes in size.",
                 baseline_rss_kb());
}

TEST_F(Templates, TooManyResourcesUseCloudFormationsWording) {
  std::string text = R"({"Resources":{)";
  for (int i = 0; i < 501; ++i)
    text += (i ? "," : "") + std::string("\"R") + std::to_string(i) + R"(":{"Type":"AWS::SNS::Topic"})";
  expect_refused(
      deploy(text + "}}"),
      "layered: error: S: Template format error: Number of resources, 501, is greater than maximum "
      "allowed, 500",
      baseline_rss_kb());
}

TEST_F(Templates, FiveThousandNestedJoinsAreRefusedNotACrash) {
  std::string value;
  for (int i = 0; i < 5000; ++i) value += R"({"Fn::Join":["",[)";
  value += "\"x\"";
  for (int i = 0; i < 5000; ++i) value += "]]}";
  expect_refused(deploy(with_value(value)),
                 "layered: error: " + template_path() + ": JSON nested deeper than 256 levels",
                 baseline_rss_kb());
}

TEST_F(Templates, AStringDoubledThroughNestedJoinsIsRefusedNamingTheResource) {
  // 1 KB doubled per level: 4 MB after 12 levels.
  std::string value = "\"" + std::string(1024, 'x') + "\"";
  for (int i = 0; i < 12; ++i) value = R"({"Fn::Join":[)" + value + R"(,["","",""]]})";
  auto r = deploy(with_value(value));
  expect_refused(
      r,
      "layered: error: S/R.Properties.Value.Fn::Join[0].Fn::Join[0]: a string evaluates to 1048576 "
      "bytes; layered evaluates none over 1000000 bytes (the largest template CloudFormation takes)",
      baseline_rss_kb());
}

}  // namespace
}  // namespace inputs
