// Every --json output is one valid JSON document on stdout, whatever bytes a
// function printed or a file was named (invalid UTF-8 becomes U+FFFD, as
// CloudWatch Logs does), errors included.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "deployed.hpp"
#include "run.hpp"

namespace inputs {
namespace {

using nlohmann::json;

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

json parsed(const Ran& r) {
  auto j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << r.out << "\nstderr: " << r.err;
  return j.is_discarded() ? json() : j;
}

TEST(JsonOutput, InvokeSurvivesAResponseThatIsNotUtf8) {
  Scratch dir;
  deploy_function(dir, "bytes", "file:/var/task/bytes.txt");
  dir.write("code/bytes.txt", "caf\xE9 \xFF!");
  auto r = layered({"invoke", "bytes", "--json", "--state", (dir / "state").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  json j = parsed(r);
  // The client answers "caf\xE9 \xFF!" in quotes: not JSON, so a string.
  EXPECT_EQ(j["payload"], "\"caf" + kReplacement + " " + kReplacement + "!\"");
  EXPECT_TRUE(j["functionError"].is_null());
  EXPECT_NE(j["logs"].get<std::string>().find("REPORT RequestId: "), std::string::npos);
}

TEST(JsonOutput, InvokeSurvivesAResponseNestedTooDeepToEmbed) {
  // Valid JSON 100,000 levels deep (200 KB): embedding it as JSON would
  // need a recursive dump 100,000 frames deep, so it is embedded as text.
  Scratch dir;
  deploy_function(dir, "echo", "echo");
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  dir.write("deep.json", deep);
  auto r = layered({"invoke", "echo", "--json", "--event", (dir / "deep.json").string(), "--state",
                    (dir / "state").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 500);
  EXPECT_TRUE(parsed(r)["payload"] == deep);  // not EXPECT_EQ: 200 KB in a failure message
}

TEST(JsonOutput, DoctorSurvivesFileNamesThatAreNotUtf8) {
  Scratch dir;
  dir.write("function/bootstrap", "#!/bin/sh\nexec echo hi\n");
  fs::permissions(dir / "function/bootstrap", fs::perms(0755));
  dir.write("layer/caf\xE9.so", "not a library");
  auto r = layered(
      {"doctor", "--json", "--function", (dir / "function").string(), "--layer", (dir / "layer").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json j = parsed(r);
  std::vector<std::string> files;
  for (const auto& f : j["functions"][0]["findings"]) files.push_back(f["file"]);
  EXPECT_NE(std::find(files.begin(), files.end(), "/opt/caf" + kReplacement + ".so"), files.end()) << r.out;
}

void expect_error_json(const Ran& r, const std::string& message_start) {
  EXPECT_EQ(r.exit_code, 1);
  json j = parsed(r);
  ASSERT_TRUE(j.contains("error")) << r.out;
  EXPECT_EQ(j["error"]["message"].get<std::string>().rfind(message_start, 0), 0u) << r.out;
  EXPECT_TRUE(j["error"].contains("where"));
  EXPECT_TRUE(j["error"].contains("hint"));
  EXPECT_EQ(r.err.rfind("layered: error: ", 0), 0u) << r.err;  // people still read stderr
}

TEST(JsonOutput, ErrorsArePrintedAsJsonOnStdout) {
  Scratch dir;
  deploy_function(dir, "echo", "echo");
  const std::string state = (dir / "state").string();
  expect_error_json(layered({"invoke", "nosuch", "--json", "--state", state}), "function 'nosuch' not found");
  expect_error_json(layered({"doctor", "--json", "--layer", (dir / "nowhere").string()}),
                    "layer 'nowhere': no such file or directory");
  dir.write("broken/state.db", "not a database");
  expect_error_json(layered({"list", "--json", "--state", (dir / "broken").string()}), "");
  expect_error_json(layered({"list", "--json", "--bogus"}),
                    "The following argument was not expected: --bogus");
}

TEST(JsonOutput, AnErrorNamingBytesThatAreNotUtf8IsStillJson) {
  Scratch dir;
  auto r = layered({"doctor", "--json", "--layer", (dir / "caf\xE9").string()});
  expect_error_json(r, "layer 'caf" + kReplacement + "': no such file or directory");
  EXPECT_EQ(parsed(r)["error"]["where"], (dir / ("caf" + kReplacement)).string());
}

}  // namespace
}  // namespace inputs
