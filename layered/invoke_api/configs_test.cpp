// The read APIs around a function (configs.cpp): tags, account settings, and
// what layered never configures or records without emulating.
#include <gtest/gtest.h>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {
namespace {

using json = nlohmann::json;

const std::string kArn = "arn:aws:lambda:us-east-1:123456789012:function:";

Deployed function(const std::string& name, const std::string& version = "$LATEST") {
  Deployed d;
  d.record.name = name;
  d.record.version = version;
  d.record.arn = kArn + name + (version == "$LATEST" ? "" : ":" + version);
  d.tags = {{"team", "core"}, {"aws:cloudformation:stack-name", "App"}};
  d.code_size = 1000;
  return d;
}

// Functions "one" (reserved concurrency 5, version 1, alias "live") and
// "two"; nothing recorded around them.
Snapshot deployed() {
  Snapshot s;
  s.settings.region = "us-east-1";
  s.settings.account_id = "123456789012";
  s.functions = {function("one"), function("two")};
  s.functions[0].reserved_concurrency = 5;
  s.versions = {function("one", "1")};
  state::AliasRecord live;
  live.function = "one";
  live.name = "live";
  live.function_version = "1";
  live.arn = kArn + "one:live";
  s.aliases = {live};
  return s;
}

json body_of(const Api<std::string>& answer) {
  EXPECT_TRUE(std::holds_alternative<std::string>(answer)) << std::get<ApiError>(answer).message;
  return std::holds_alternative<std::string>(answer) ? json::parse(std::get<std::string>(answer)) : json{};
}

ApiError error_of(const Api<std::string>& answer) {
  EXPECT_TRUE(std::holds_alternative<ApiError>(answer)) << std::get<std::string>(answer);
  return std::holds_alternative<ApiError>(answer) ? std::get<ApiError>(answer) : ApiError{};
}

void expect_not_found(const Api<std::string>& answer, const std::string& message) {
  auto error = error_of(answer);
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.type, "ResourceNotFoundException");
  EXPECT_EQ(error.message, message);
}

void expect_not_emulated(const Api<std::string>& answer, const std::string& where) {
  auto error = error_of(answer);
  EXPECT_EQ(error.status, 400) << "not a 404 (read as 'not configured'), not a 5xx (retried)";
  EXPECT_EQ(error.type, "NotEmulatedException");
  EXPECT_NE(error.message.find("'" + where + "'"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("records it but does not emulate it"), std::string::npos) << error.message;
}

TEST(ListTags, AreTheTagsGetFunctionLists) {
  const Snapshot s = deployed();
  EXPECT_EQ(body_of(list_tags(s, kArn + "one")), json({{"Tags", s.functions[0].tags}}));
  EXPECT_EQ(body_of(list_tags(s, kArn + "one:live"))["Tags"]["team"], "core")
      << "an alias has its function's";
  expect_not_found(list_tags(s, kArn + "three"), "Function not found: " + kArn + "three");
  EXPECT_EQ(error_of(list_tags(s, "arn:aws:lambda:eu-west-3:123456789012:function:one")).status, 404)
      << "another region's function";
  EXPECT_EQ(error_of(list_tags(s, "arn:aws:lambda:us-east-1:999999999999:function:one")).status, 404)
      << "another account's function";
  EXPECT_EQ(error_of(list_tags(s, "one")).type, "ValidationException") << "ListTags takes an ARN only";
}

TEST(ListTags, OfAnEventSourceMappingSaysWhetherOneIsRecorded) {
  Snapshot s = deployed();
  const std::string mapping =
      "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:12345678-1234-1234-1234-123456789012";
  expect_not_found(list_tags(s, mapping), "The resource you requested does not exist.");
  s.recorded.push_back({"AWS::Lambda::EventSourceMapping", "App/Queue", mapping});
  expect_not_emulated(list_tags(s, mapping), "App/Queue");
}

TEST(AccountSettings, AreLambdasDefaultQuotasAndWhatIsDeployed) {
  const json got = json::parse(get_account_settings(deployed()));
  EXPECT_EQ(got["AccountLimit"], json({{"TotalCodeSize", 80530636800},
                                       {"CodeSizeUnzipped", 262144000},
                                       {"CodeSizeZipped", 52428800},
                                       {"ConcurrentExecutions", 1000},
                                       {"UnreservedConcurrentExecutions", 995}}));
  EXPECT_EQ(got["AccountUsage"], json({{"TotalCodeSize", 3000}, {"FunctionCount", 2}}))
      << "two functions and a version of 1000 bytes each; versions are not functions";
}

TEST(Policy, IsAbsentUnlessATemplateRecordedAPermission) {
  Snapshot s = deployed();
  expect_not_found(get_policy(s, "one", ""), "The resource you requested does not exist.");
  expect_not_found(get_policy(s, "three", ""), "Function not found: " + kArn + "three");
  expect_not_found(get_policy(s, "one", "nope"), "Function not found: " + kArn + "one:nope");
  s.recorded.push_back({"AWS::Lambda::Permission", "App/Invoke", kArn + "one:live"});
  expect_not_emulated(get_policy(s, "one", "live"), "App/Invoke");
  expect_not_emulated(get_policy(s, kArn + "one:live", ""), "App/Invoke");
  // The alias's permission is not the function's.
  expect_not_found(get_policy(s, "one", ""), "The resource you requested does not exist.");
}

TEST(FunctionUrl, IsAbsentUnlessATemplateRecordedOne) {
  Snapshot s = deployed();
  expect_not_found(get_function_url_config(s, "two", ""), "The resource you requested does not exist.");
  EXPECT_EQ(body_of(list_function_url_configs(s, "two", "", "")),
            json({{"FunctionUrlConfigs", json::array()}}));
  EXPECT_EQ(error_of(list_function_url_configs(s, "three", "", "")).status, 404);
  s.recorded.push_back({"AWS::Lambda::Url", "App/Url", kArn + "two"});
  expect_not_emulated(get_function_url_config(s, "two", ""), "App/Url");
  expect_not_emulated(list_function_url_configs(s, "two", "", ""), "App/Url");
  EXPECT_EQ(body_of(list_function_url_configs(s, "one", "", ""))["FunctionUrlConfigs"], json::array())
      << "another function's URL";
}

TEST(EventInvokeConfig, IsAbsentUnlessATemplateRecordedOne) {
  Snapshot s = deployed();
  expect_not_found(get_event_invoke_config(s, "one", ""),
                   "The function " + kArn + "one:$LATEST doesn't have an EventInvokeConfig");
  expect_not_found(get_event_invoke_config(s, "one", "1"),
                   "The function " + kArn + "one:1 doesn't have an EventInvokeConfig");
  s.recorded.push_back({"AWS::Lambda::EventInvokeConfig", "App/Async", kArn + "one"});
  expect_not_emulated(get_event_invoke_config(s, "one", ""), "App/Async");
  expect_not_emulated(get_event_invoke_config(s, "one", "$LATEST"), "App/Async");
  EXPECT_EQ(error_of(get_event_invoke_config(s, "one", "1")).type, "ResourceNotFoundException")
      << "version 1 has none";
}

TEST(ProvisionedConcurrency, IsAbsentUnlessATemplateRecordedOne) {
  Snapshot s = deployed();
  auto none = error_of(get_provisioned_concurrency(s, "one", "live"));
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.type, "ProvisionedConcurrencyConfigNotFoundException");
  EXPECT_EQ(none.message, "No Provisioned Concurrency Config found for this function");
  EXPECT_EQ(error_of(get_provisioned_concurrency(s, "one", "")).type, "ValidationException")
      << "Qualifier is required";
  expect_not_found(get_provisioned_concurrency(s, "three", "1"), "Function not found: " + kArn + "three:1");
  s.recorded.push_back({"ProvisionedConcurrencyConfig", "App/Live", kArn + "one:live"});
  expect_not_emulated(get_provisioned_concurrency(s, "one", "live"), "App/Live");
  EXPECT_EQ(error_of(get_provisioned_concurrency(s, "one", "1")).type,
            "ProvisionedConcurrencyConfigNotFoundException");
}

}  // namespace
}  // namespace layered::invoke_api
