#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>

#include "invoke_api/internal.hpp"
#include "invoke_api/invocation.hpp"

namespace layered::invoke_api {
namespace {

FunctionRef parsed(const std::string& name, const std::string& qualifier = "") {
  auto ref = parse_function_name(name, qualifier);
  EXPECT_TRUE(std::holds_alternative<FunctionRef>(ref)) << std::get<ApiError>(ref).message;
  return std::get<FunctionRef>(ref);
}

TEST(FunctionName, TakesWhatLambdasPatternTakes) {
  // A name Lambda could never have created is still a well-formed request:
  // its answer is a 404, not a 400.
  EXPECT_EQ(parsed(std::string(100, 'a')).name, std::string(100, 'a'));
  EXPECT_EQ(parsed("a.b").name, "a.b");
  auto regional = parsed("us-east-1:123456789012:function:fn");
  EXPECT_EQ(regional.region, "us-east-1");
  EXPECT_EQ(regional.account, "123456789012");
  EXPECT_EQ(parsed("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn").partition, "aws-cn");
  EXPECT_EQ(parsed("fn:$LATEST.PUBLISHED").qualifier, "$LATEST.PUBLISHED");
}

TEST(FunctionName, TakesEveryFormLambdaTakes) {
  EXPECT_EQ(parsed("my-fn").name, "my-fn");
  EXPECT_EQ(parsed("my-fn:$LATEST").qualifier, "$LATEST");
  auto partial = parsed("123456789012:function:my-fn:prod");
  EXPECT_EQ(partial.name, "my-fn");
  EXPECT_EQ(partial.account, "123456789012");
  EXPECT_EQ(partial.qualifier, "prod");
  auto arn = parsed("arn:aws:lambda:eu-west-1:123456789012:function:my-fn");
  EXPECT_EQ(arn.region, "eu-west-1");
  EXPECT_EQ(arn.name, "my-fn");
  EXPECT_EQ(parsed("my-fn", "7").qualifier, "7");
}

TEST(FunctionName, RejectsMalformedNamesAndConflictingQualifiers) {
  auto bad = parse_function_name("a/b:c:d", "");
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  EXPECT_EQ(std::get<ApiError>(bad).type, "ValidationException");
  EXPECT_EQ(std::get<ApiError>(bad).status, 400);
  EXPECT_TRUE(std::holds_alternative<ApiError>(parse_function_name(std::string(257, 'a'), "")));
  for (const char* qualifier : {"a b", "v\x01", "x/y"}) {
    auto refused = parse_function_name("fn", qualifier);
    ASSERT_TRUE(std::holds_alternative<ApiError>(refused)) << qualifier;
    EXPECT_EQ(std::get<ApiError>(refused).status, 400);
  }
  EXPECT_TRUE(std::holds_alternative<ApiError>(parse_function_name("fn:a.b", "")));
  EXPECT_TRUE(std::holds_alternative<ApiError>(parse_function_name("fn", std::string(129, 'a'))));
  auto conflict = parse_function_name("fn:1", "2");
  ASSERT_TRUE(std::holds_alternative<ApiError>(conflict));
  EXPECT_EQ(std::get<ApiError>(conflict).message,
            "The derived qualifier from the function name does not match the specified qualifier.");
}

Snapshot one_function() {
  Snapshot s;
  Deployed d;
  d.record.name = "fn";
  d.record.arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
  s.functions.push_back(d);
  return s;
}

ApiError refused(const Snapshot& s, const std::string& name, const std::string& type,
                 const std::string& body) {
  auto r = prepare(s, name, "", type, body);
  EXPECT_TRUE(std::holds_alternative<ApiError>(r));
  return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r) : ApiError{};
}

TEST(Prepare, AnswersLambdasErrorsBeforeAnyEnvironmentRuns) {
  auto s = one_function();
  auto missing = refused(s, "nope", "", "{}");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.message, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");
  auto version = refused(s, "fn:3", "", "{}");
  EXPECT_EQ(version.message, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:3");
  EXPECT_EQ(refused(s, "arn:aws:lambda:eu-west-1:123456789012:function:fn", "", "{}").status, 404);
  auto big = refused(s, "fn", "", std::string(kMaxSyncPayload + 1, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.message, "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  EXPECT_EQ(refused(s, "fn", "Event", std::string(kMaxAsyncPayload + 1, ' ')).status, 413);
  // An Event's limit is InvokeAsync's whatever its size (also past what serve reads).
  EXPECT_EQ(refused(s, "fn", "Event", std::string(kMaxSyncPayload + 1, ' ')).message,
            "Request must be smaller than 1048576 bytes for the InvokeAsync operation");
  EXPECT_EQ(payload_too_large(true).message,
            refused(s, "fn", "Event", std::string(kMaxSyncPayload + 1, ' ')).message)
      << "serve's answer to a body past what it reads";
  auto not_json = refused(s, "fn", "", "{oops");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.type, "InvalidRequestContentException");
  EXPECT_EQ(refused(s, "fn", "Later", "{}").type, "ValidationException");
  EXPECT_EQ(refused(s, "arn:aws-cn:lambda:us-east-1:123456789012:function:fn", "", "{}").status, 404);
  EXPECT_EQ(refused(s, "nope", "Later", "{}").status, 400) << "the request's shape first, then the lookup";
}

// X-Amz-Client-Context: base64 of a JSON object, decoded for the runtime on
// synchronous invocations only.
TEST(Prepare, DecodesTheClientContextForSynchronousInvocations) {
  auto s = one_function();
  const std::string context = "eyJjdXN0b20iOnsiayI6InYifX0=";  // {"custom":{"k":"v"}}
  auto sync = prepare(s, "fn", "", "", "{}", context);
  ASSERT_TRUE(std::holds_alternative<Request>(sync));
  EXPECT_EQ(std::get<Request>(sync).client_context, R"({"custom":{"k":"v"}})");
  auto event = prepare(s, "fn", "", "Event", "{}", context);
  ASSERT_TRUE(std::holds_alternative<Request>(event));
  EXPECT_EQ(std::get<Request>(event).client_context, "");
  for (const char* bad : {"not base64", "WzFd" /* [1] */, "eyJr", "e30=e30="}) {
    auto r = prepare(s, "fn", "", "", "{}", bad);
    ASSERT_TRUE(std::holds_alternative<ApiError>(r)) << bad;
    EXPECT_EQ(std::get<ApiError>(r).type, "InvalidRequestContentException") << bad;
    EXPECT_EQ(std::get<ApiError>(r).message, "Client context must be a valid Base64-encoded JSON object.");
  }
  auto big = prepare(s, "fn", "", "", "{}", std::string(invoke::kMaxClientContextBytes + 1, 'A'));
  ASSERT_TRUE(std::holds_alternative<ApiError>(big));
  EXPECT_EQ(std::get<ApiError>(big).type, "InvalidParameterValueException");
}

TEST(Prepare, AContainerImageFunctionIsNotFoundWithTheReason) {
  auto s = one_function();
  s.image_functions.insert("img");
  auto image = refused(s, "img", "", "{}");
  EXPECT_EQ(image.status, 404);
  EXPECT_EQ(image.type, "ResourceNotFoundException");
  EXPECT_EQ(image.message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:img (a container image "
            "function: layered records it but runs zip functions only)");
}

TEST(Prepare, AcceptsLatestAndAnEmptyBody) {
  auto s = one_function();
  auto r = prepare(s, "123456789012:function:fn:$LATEST", "", "DryRun", "");
  ASSERT_TRUE(std::holds_alternative<Request>(r));
  EXPECT_EQ(std::get<Request>(r).payload, "{}");
  EXPECT_EQ(std::get<Request>(r).type, InvocationType::dry_run);
}

TEST(Prepare, AFunctionLivesInItsStacksRegionNotTheStatesDefault) {
  auto s = one_function();  // settings: us-east-1, 123456789012
  s.functions[0].record.arn = "arn:aws:lambda:eu-central-1:000000000000:function:fn";
  EXPECT_TRUE(std::holds_alternative<Request>(
      prepare(s, "arn:aws:lambda:eu-central-1:000000000000:function:fn", "", "", "{}")));
  EXPECT_TRUE(std::holds_alternative<Request>(prepare(s, "fn", "", "", "{}")));
  auto elsewhere = refused(s, "arn:aws:lambda:us-east-1:123456789012:function:fn", "", "{}");
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(elsewhere.message,
            "Functions from 'us-east-1' are not reachable in this region ('eu-central-1')");
  auto other_account = refused(s, "arn:aws:lambda:eu-central-1:123456789012:function:fn", "", "{}");
  EXPECT_EQ(other_account.message,
            "Function not found: arn:aws:lambda:eu-central-1:123456789012:function:fn");
  EXPECT_EQ(refused(s, "fn:3", "", "{}").message,
            "Function not found: arn:aws:lambda:eu-central-1:000000000000:function:fn:3");
}

Snapshot with_versions() {
  Snapshot s = one_function();
  for (const char* number : {"1", "2"}) {
    Deployed v = s.functions[0];
    v.record.version = number;
    v.record.arn += std::string(":") + number;
    s.versions.push_back(v);
  }
  s.aliases.push_back({"fn", "live", "", "1", {{"2", 0.25}}, "", "App", "Alias"});
  return s;
}

const Deployed* prepared(const Snapshot& s, const std::string& name, const std::string& qualifier = "") {
  auto r = prepare(s, name, qualifier, "DryRun", "");
  EXPECT_TRUE(std::holds_alternative<Request>(r)) << std::get<ApiError>(r).message;
  return std::holds_alternative<Request>(r) ? std::get<Request>(r).function : nullptr;
}

TEST(Prepare, QualifiersNameTheVersionThatRuns) {
  auto s = with_versions();
  EXPECT_EQ(prepared(s, "fn:2")->record.version, "2");
  EXPECT_EQ(prepared(s, "fn", "1")->record.arn, "arn:aws:lambda:us-east-1:123456789012:function:fn:1");
  EXPECT_EQ(prepared(s, "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST")->record.version,
            "$LATEST");
  EXPECT_EQ(s.find("fn", "live", 0.5)->record.version, "1");
  EXPECT_EQ(s.find("fn", "live", 0.1)->record.version, "2");  // the alias's 25% to version 2
  EXPECT_EQ(refused(s, "fn:prod", "", "{}").message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:prod");
  EXPECT_EQ(refused(s, "fn:3", "", "{}").message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:3");
}

// The context's invoked_function_arn is the ARN the caller used: an
// alias's stays the alias's even though a version runs.
TEST(Prepare, TheInvokedArnIsTheOneTheCallerNamed) {
  auto s = with_versions();
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
  auto invoked = [&](const std::string& name, const std::string& qualifier) {
    auto r = prepare(s, name, qualifier, "DryRun", "");
    return std::holds_alternative<Request>(r) ? std::get<Request>(r).invoked_arn : "<refused>";
  };
  EXPECT_EQ(invoked("fn", "live"), arn + ":live");
  EXPECT_EQ(invoked("fn:live", ""), arn + ":live");
  EXPECT_EQ(invoked("fn", "2"), arn + ":2");
  EXPECT_EQ(invoked("fn", ""), arn);
  EXPECT_EQ(invoked(arn + ":$LATEST", ""), arn + ":$LATEST");
}

TEST(ErrorBody, IsTheShapeTheSdksParse) {
  EXPECT_EQ(
      error_body(throttled("ReservedFunctionConcurrentInvocationLimitExceeded")),
      R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."})");
  // The model spells ResourceNotFoundException's and ServiceException's
  // member "Message"; ValidationException, outside the model, has no Type.
  EXPECT_EQ(error_body(service_error("x")), R"({"Message":"x","Type":"Service"})");
  EXPECT_EQ(error_body(function_not_found("arn")), R"({"Message":"Function not found: arn","Type":"User"})");
  EXPECT_EQ(error_body(validation_error("v")), R"({"message":"v"})");
}

state::LayerVersionRecord layer_version(const std::string& name, int version, const std::string& runtime,
                                        bool deleted = false) {
  state::LayerVersionRecord l;
  l.layer_name = name;
  l.version = version;
  l.arn = "arn:aws:lambda:us-east-1:123456789012:layer:" + name + ":" + std::to_string(version);
  l.content_key = std::string(64, 'a');
  l.compatible_runtimes = {runtime};
  l.compatible_architectures = {"x86_64"};
  l.deleted = deleted;
  return l;
}

Snapshot with_layers() {
  Snapshot s = one_function();
  s.layers = {layer_version("utils", 1, "python3.12"), layer_version("utils", 2, "nodejs20.x"),
              layer_version("utils", 3, "python3.12", true), layer_version("deps", 1, "python3.12")};
  return s;
}

nlohmann::json body_of(const Api<std::string>& answer) {
  EXPECT_TRUE(std::holds_alternative<std::string>(answer)) << std::get<ApiError>(answer).message;
  return std::holds_alternative<std::string>(answer) ? nlohmann::json::parse(std::get<std::string>(answer))
                                                     : nlohmann::json{};
}

TEST(ListLayers, ListsEachLayersNewestLiveVersionThatMatches) {
  auto s = with_layers();
  auto all = body_of(list_layers(s, {}, "", ""));
  ASSERT_EQ(all["Layers"].size(), 2U);
  EXPECT_EQ(all["Layers"][0]["LayerName"], "deps");
  EXPECT_EQ(all["Layers"][1]["LayerArn"], "arn:aws:lambda:us-east-1:123456789012:layer:utils");
  EXPECT_EQ(all["Layers"][1]["LatestMatchingVersion"]["Version"], 2);  // 3 is deleted
  auto python = body_of(list_layers(s, {"python3.12", ""}, "", ""));
  EXPECT_EQ(python["Layers"][1]["LatestMatchingVersion"]["Version"], 1);
  EXPECT_TRUE(body_of(list_layers(s, {"", "arm64"}, "", ""))["Layers"].empty());
  auto first = body_of(list_layers(s, {}, "", "1"));
  EXPECT_EQ(first["Layers"].size(), 1U);
  EXPECT_EQ(body_of(list_layers(s, {}, first["NextMarker"], "1"))["Layers"][0]["LayerName"], "utils");
}

TEST(ListLayerVersions, FiltersByRuntime) {
  auto s = with_layers();
  auto versions = body_of(list_layer_versions(s, "utils", {"nodejs20.x", ""}, "", ""));
  ASSERT_EQ(versions["LayerVersions"].size(), 1U);
  EXPECT_EQ(versions["LayerVersions"][0]["Version"], 2);
}

TEST(GetLayerVersionByArn, AnswersAsGetLayerVersionDoes) {
  auto s = with_layers();
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:layer:utils:2";
  EXPECT_EQ(body_of(get_layer_version_by_arn(s, arn)), body_of(get_layer_version(s, "utils", "2")));
  auto deleted = get_layer_version_by_arn(s, "arn:aws:lambda:us-east-1:123456789012:layer:utils:3");
  ASSERT_TRUE(std::holds_alternative<ApiError>(deleted));
  EXPECT_EQ(std::get<ApiError>(deleted).status, 404);
  auto malformed = get_layer_version_by_arn(s, "arn:aws:lambda:us-east-1:123456789012:layer:utils");
  ASSERT_TRUE(std::holds_alternative<ApiError>(malformed));
  EXPECT_EQ(std::get<ApiError>(malformed).type, "InvalidParameterValueException");
}

TEST(GetFunctionConcurrency, IsEmptyUnlessReserved) {
  auto s = one_function();
  EXPECT_EQ(body_of(get_function_concurrency(s, "fn")), nlohmann::json::object());
  s.functions[0].reserved_concurrency = 3;
  EXPECT_EQ(body_of(get_function_concurrency(s, "fn"))["ReservedConcurrentExecutions"], 3);
  auto missing = get_function_concurrency(s, "other");
  ASSERT_TRUE(std::holds_alternative<ApiError>(missing));
  EXPECT_EQ(std::get<ApiError>(missing).status, 404);
}

TEST(LogTail, IsTheLastFourKilobytesInBase64) {
  std::string logs(5000, 'a');
  logs.replace(5000 - 4096, 3, "foo");
  EXPECT_EQ(log_tail(logs).substr(0, 4), "Zm9v");
  EXPECT_EQ(log_tail(logs).size(), 4096U / 3 * 4 + 4);
}

}  // namespace
}  // namespace layered::invoke_api

namespace layered::invoke_api {
namespace {

// A deploy commits from another process; serve's next look must see it.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-catalog-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto writer = state::State::open(dir_);
    ASSERT_TRUE(writer.ok());
    writer_.emplace(std::move(*writer));
    ASSERT_TRUE(writer_->put_stack(state::StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    put("App-One");
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }
  void put(const std::string& name) {
    state::FunctionRecord f;
    f.name = name;
    f.arn = writer_->function_arn(name);
    f.stack = "App";
    f.logical_id = name;
    f.construct_path = "App/" + name;
    f.runtime = model::Runtime::provided_al2023;
    f.handler = "bootstrap";
    f.code_key = "c0de";
    f.code_dir = dir_ + "/store/c0de";
    ASSERT_TRUE(writer_->put_function(f).ok());
  }
  std::string dir_;
  std::optional<state::State> writer_;
};

TEST_F(CatalogTest, SeesEachCommitOnTheNextLookAndNothingElse) {
  auto catalog = Catalog::open(dir_);
  ASSERT_TRUE(catalog.ok()) << format_error(catalog.error());
  auto first = (*catalog)->current();
  ASSERT_TRUE(first.ok());
  EXPECT_NE((*first)->find("App-One"), nullptr);
  EXPECT_EQ((*first)->find("App-Two"), nullptr);
  auto again = (*catalog)->current();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "nothing was written: the same snapshot";
  for (int round = 0; round < 3; ++round) {
    const std::string name = "App-Two" + std::to_string(round);
    put(name);
    auto seen = (*catalog)->current();
    ASSERT_TRUE(seen.ok());
    EXPECT_NE((*seen)->find(name), nullptr) << "round " << round << ": the commit is seen at once";
  }
}

}  // namespace
}  // namespace layered::invoke_api
