// Function versions and aliases in the state: immutable copies, numbers never
// reused, resolution of NAME:QUALIFIER, and deletion with the function.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "state/state.hpp"

namespace layered::state {
namespace {

namespace fs = std::filesystem;

class VersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-versions-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    auto s = State::open(dir_ + "/st");
    ASSERT_TRUE(s.ok()) << format_error(s.error());
    state_ = std::make_unique<State>(std::move(*s));
    State& st = *state_;
    ASSERT_TRUE(st.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    LayerVersionRecord l;
    l.layer_name = "shared";
    l.version = 1;
    l.arn = st.layer_version_arn("shared", 1);
    l.content_key = "1a7e";
    l.content_dir = st.dir() + "/store/1a7e";
    l.stack = "App";
    l.logical_id = "Shared";
    ASSERT_TRUE(st.put_layer_version(l).ok());
    ASSERT_TRUE(st.put_function(function("c0de", "one")).ok());
  }
  void TearDown() override {
    state_.reset();
    fs::remove_all(dir_);
  }

  FunctionRecord function(const std::string& code_key, const std::string& greeting) const {
    FunctionRecord f;
    f.name = "App-Fn-ABCDEFGHIJKLM";
    f.arn = state_->function_arn(f.name);
    f.stack = "App";
    f.logical_id = "Fn";
    f.construct_path = "App/Fn";
    f.runtime = model::Runtime::provided_al2023;
    f.handler = "greet";
    f.environment = {{"GREETING", greeting}};
    f.code_key = code_key;
    f.code_dir = state_->dir() + "/store/" + code_key;
    f.layers = {{state_->layer_version_arn("shared", 1), state_->dir() + "/store/1a7e"}};
    return f;
  }

  // Publishes the function as it is now, as deploy does for AWS::Lambda::Version.
  int publish(const std::string& logical_id) {
    auto f = state_->function("App-Fn-ABCDEFGHIJKLM");
    EXPECT_TRUE(f.ok() && f->has_value());
    auto n = state_->reserve_function_version(**f);
    EXPECT_TRUE(n.ok());
    FunctionVersionRecord v;
    v.function = **f;
    v.version = *n;
    v.arn = state_->qualified_function_arn((*f)->name, std::to_string(*n));
    v.stack = "App";
    v.logical_id = logical_id;
    EXPECT_TRUE(state_->put_function_version(v).ok());
    return *n;
  }

  std::string dir_;
  std::unique_ptr<State> state_;
};

TEST_F(VersionsTest, AVersionKeepsItsCopyWhenTheFunctionChanges) {
  EXPECT_EQ(publish("FnCurrentVersionA"), 1);
  ASSERT_TRUE(state_->put_function(function("c0de2", "two")).ok());
  EXPECT_EQ(publish("FnCurrentVersionB"), 2);
  auto one = state_->resolve_function("App-Fn-ABCDEFGHIJKLM:1");
  ASSERT_TRUE(one.ok()) << format_error(one.error());
  EXPECT_EQ(one->version, "1");
  EXPECT_EQ(one->code_key, "c0de");
  EXPECT_EQ(one->environment, (Pairs{{"GREETING", "one"}}));
  ASSERT_EQ(one->layers.size(), 1u);
  EXPECT_EQ(one->layers[0].dir, state_->dir() + "/store/1a7e");
  EXPECT_EQ(one->arn, "arn:aws:lambda:us-east-1:123456789012:function:App-Fn-ABCDEFGHIJKLM:1");
  auto latest = state_->resolve_function("App/Fn:$LATEST");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, "$LATEST");
  EXPECT_EQ(latest->code_key, "c0de2");
  auto keys = state_->referenced_content_keys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"1a7e", "c0de", "c0de2"}));
}

TEST_F(VersionsTest, NumbersAreNeverReusedAfterADeletion) {
  EXPECT_EQ(publish("A"), 1);
  EXPECT_EQ(publish("B"), 2);
  ASSERT_TRUE(state_->delete_function_version("App-Fn-ABCDEFGHIJKLM", 2).ok());
  EXPECT_EQ(*state_->next_function_version("App-Fn-ABCDEFGHIJKLM"), 2);  // only a floor
  auto gone = state_->resolve_function("App-Fn-ABCDEFGHIJKLM:2");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().message, "function 'App-Fn-ABCDEFGHIJKLM' has no version 2");
  EXPECT_EQ(gone.error().hint, "its versions: 1");
  EXPECT_EQ(publish("C"), 3);
}

TEST_F(VersionsTest, AnAliasResolvesToItsVersionAndWeightsSplitTheTraffic) {
  publish("A");
  ASSERT_TRUE(state_->put_function(function("c0de2", "two")).ok());
  publish("B");
  AliasRecord live{"App-Fn-ABCDEFGHIJKLM",
                   "live",
                   state_->qualified_function_arn("App-Fn-ABCDEFGHIJKLM", "live"),
                   "1",
                   {{"2", 0.1}},
                   "",
                   "App",
                   "FnAliasLive"};
  ASSERT_TRUE(state_->put_alias(live).ok());
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:App-Fn-ABCDEFGHIJKLM:live";
  auto stable = state_->resolve_function(arn, 0.5);
  ASSERT_TRUE(stable.ok()) << format_error(stable.error());
  EXPECT_EQ(stable->version, "1");
  EXPECT_EQ(stable->arn, arn);
  auto canary = state_->resolve_function("App-Fn-ABCDEFGHIJKLM:live", 0.05);
  ASSERT_TRUE(canary.ok());
  EXPECT_EQ(canary->version, "2");
  EXPECT_EQ(canary->code_key, "c0de2");
  auto missing = state_->resolve_function("App/Fn:prod");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "function 'App-Fn-ABCDEFGHIJKLM' has no alias 'prod'");
  auto listed = state_->aliases();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].routing, (std::vector<std::pair<std::string, double>>{{"2", 0.1}}));
}

TEST_F(VersionsTest, AnAliasOfLatestKeepsTheArnTheCallerNamed) {
  publish("A");
  AliasRecord dev{"App-Fn-ABCDEFGHIJKLM",
                  "dev",
                  state_->qualified_function_arn("App-Fn-ABCDEFGHIJKLM", "dev"),
                  "$LATEST",
                  {},
                  "",
                  "App",
                  "FnAliasDev"};
  ASSERT_TRUE(state_->put_alias(dev).ok());
  auto aliased = state_->resolve_function("App/Fn:dev");
  ASSERT_TRUE(aliased.ok()) << format_error(aliased.error());
  EXPECT_EQ(aliased->version, "$LATEST");
  EXPECT_EQ(aliased->arn, "arn:aws:lambda:us-east-1:123456789012:function:App-Fn-ABCDEFGHIJKLM:dev");
  auto latest = state_->resolve_function("App-Fn-ABCDEFGHIJKLM:$LATEST");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->arn, "arn:aws:lambda:us-east-1:123456789012:function:App-Fn-ABCDEFGHIJKLM:$LATEST");
  auto plain = state_->resolve_function("App/Fn");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->arn, "arn:aws:lambda:us-east-1:123456789012:function:App-Fn-ABCDEFGHIJKLM");
}

TEST_F(VersionsTest, DeletingTheFunctionOrItsStackDeletesVersionsAndAliases) {
  publish("A");
  ASSERT_TRUE(state_
                  ->put_alias({"App-Fn-ABCDEFGHIJKLM",
                               "live",
                               state_->qualified_function_arn("App-Fn-ABCDEFGHIJKLM", "live"),
                               "1",
                               {},
                               "",
                               "App",
                               "L"})
                  .ok());
  // Updating the function (put_function rewrites its row) keeps them.
  ASSERT_TRUE(state_->put_function(function("c0de2", "two")).ok());
  EXPECT_EQ(state_->function_versions()->size(), 1u);
  EXPECT_EQ(state_->aliases()->size(), 1u);
  ASSERT_TRUE(state_->delete_stack("App").ok());
  EXPECT_TRUE(state_->function_versions()->empty());
  EXPECT_TRUE(state_->aliases()->empty());
  ASSERT_TRUE(state_->put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(state_->put_function(function("c0de", "one")).ok());
  EXPECT_EQ(publish("A"), 2);  // a function created again under the name goes on from its last number
  ASSERT_TRUE(state_->remove_function("App-Fn-ABCDEFGHIJKLM").ok());
  EXPECT_TRUE(state_->function_versions()->empty());
  EXPECT_FALSE(state_->function("App-Fn-ABCDEFGHIJKLM")->has_value());
}

TEST_F(VersionsTest, SchemaVersionThreeGainsTheVersionTables) {
  state_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE function_version_layers; DROP TABLE function_versions; "
                         "DROP TABLE function_aliases; PRAGMA user_version = 3;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    // A reader (list, invoke, serve) of the old state sees no versions and
    // leaves it as it is.
    auto reader = State::open_read_only(dir_ + "/st");
    ASSERT_TRUE(reader.ok()) << format_error(reader.error());
    auto none = reader->function_versions();
    ASSERT_TRUE(none.ok()) << format_error(none.error());
    EXPECT_TRUE(none->empty());
    EXPECT_TRUE(reader->aliases()->empty());
    auto latest = reader->resolve_function("App/Fn:$LATEST");
    EXPECT_TRUE(latest.ok());
    EXPECT_FALSE(reader->resolve_function("App/Fn:1").ok());
  }
  auto s = State::open(dir_ + "/st");
  ASSERT_TRUE(s.ok()) << format_error(s.error());
  state_ = std::make_unique<State>(std::move(*s));
  EXPECT_EQ(publish("A"), 1);
  EXPECT_EQ(state_->functions()->size(), 1u);
}

}  // namespace
}  // namespace layered::state
