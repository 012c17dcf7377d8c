#include "state/state.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace layered::state {
namespace {

namespace fs = std::filesystem;

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/layered-state-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  State open() {
    auto state = State::open(dir_ + "/st");
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : format_error(state.error()));
    return std::move(*state);
  }

  static FunctionRecord function(const State& s) {
    FunctionRecord f;
    f.name = "App-GreetingFunction-ABCDEFGHIJKLM";
    f.arn = s.function_arn(f.name);
    f.stack = "App";
    f.logical_id = "GreetingFunction";
    f.construct_path = "App/GreetingFunction";
    f.runtime = "provided.al2023";
    f.handler = "greet";
    f.environment = {{"B", "2"}, {"A", "1"}};
    f.code_key = "c0de";
    f.code_dir = s.dir() + "/store/c0de";
    f.layers = {{s.layer_version_arn("shared", 1), ""}};
    return f;
  }

  static LayerVersionRecord layer(const State& s, int version, const std::string& key) {
    LayerVersionRecord l;
    l.layer_name = "shared";
    l.version = version;
    l.arn = s.layer_version_arn("shared", version);
    l.content_key = key;
    l.content_dir = s.dir() + "/store/" + key;
    l.compatible_runtimes = {"provided.al2023"};
    l.stack = "Layers";
    l.logical_id = "Shared";
    return l;
  }

  std::string dir_;
};

TEST_F(StateTest, CreatesSchemaWithWalAndDefaultSettings) {
  State s = open();
  EXPECT_EQ(s.settings().account_id, "123456789012");
  EXPECT_EQ(s.settings().region, "us-east-1");
  EXPECT_EQ(s.layer_version_arn("shared", 2), "arn:aws:lambda:us-east-1:123456789012:layer:shared:2");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "wal");
  sqlite3_finalize(q);
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 1);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_F(StateTest, SettingsAreFixedWhenTheStateIsCreated) {
  { ASSERT_TRUE(State::open(dir_ + "/st", Settings{"111111111111", "eu-west-1"}).ok()); }
  auto reopened = State::open(dir_ + "/st", Settings{"222222222222", "us-east-2"});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->settings().account_id, "111111111111");
  EXPECT_EQ(reopened->function_arn("f"), "arn:aws:lambda:eu-west-1:111111111111:function:f");
}

TEST_F(StateTest, UncommittedTransactionRollsBack) {
  State s = open();
  {
    auto tx = s.begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d1", {{"Out", "v"}}, {}, "t"}).ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  {
    auto tx = s.begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(s.put_stack(StackRecord{"App", "UPDATE_COMPLETE", "d2", {}, {}, "t2"}).ok());
    ASSERT_TRUE(s.put_stack(StackRecord{"Other", "CREATE_COMPLETE", "d3", {}, {}, "t2"}).ok());
    // destroyed without commit
  }
  State again = open();
  auto stacks = again.stacks();
  ASSERT_TRUE(stacks.ok());
  ASSERT_EQ(stacks->size(), 1u);
  EXPECT_EQ((*stacks)[0].template_digest, "d1");
  ASSERT_EQ((*stacks)[0].outputs.size(), 1u);
  EXPECT_EQ((*stacks)[0].outputs[0].second, "v");
}

TEST_F(StateTest, ImportedExportCannotBeDeletedEvenByMistake) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"Layers", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_export(ExportRecord{"LayerArn", "arn:1", "Layers", {}}).ok());
  ASSERT_TRUE(s.set_imports("App", {"LayerArn"}).ok());
  auto e = s.find_export("LayerArn");
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->importers, std::vector<std::string>{"App"});
  // The deployer checks first with CloudFormation's wording; the schema is the backstop.
  EXPECT_FALSE(s.delete_export("LayerArn").ok());
  ASSERT_TRUE(s.delete_stack("App").ok());
  EXPECT_TRUE(s.delete_export("LayerArn").ok());
}

TEST_F(StateTest, FindsFunctionByNameArnAndConstructPath) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
  ASSERT_TRUE(s.put_function(function(s)).ok());
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:App-GreetingFunction-ABCDEFGHIJKLM";
  for (const std::string key :
       {std::string("App-GreetingFunction-ABCDEFGHIJKLM"), arn, arn + ":$LATEST",
        std::string("App/GreetingFunction"), std::string("App/GreetingFunction/Resource")}) {
    auto f = s.find_function(key);
    ASSERT_TRUE(f.ok()) << key << ": " << format_error(f.error());
    EXPECT_EQ(f->arn, arn);
    EXPECT_EQ(f->version, "$LATEST");
    EXPECT_EQ(f->code_dir, s.dir() + "/store/c0de");
    ASSERT_EQ(f->layers.size(), 1u);
    EXPECT_EQ(f->layers[0].dir, s.dir() + "/store/aaaa");
    EXPECT_EQ(f->environment, (Pairs{{"B", "2"}, {"A", "1"}}));
  }
}

TEST_F(StateTest, FunctionMissSaysDidYouMeanAndHowToList) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
  ASSERT_TRUE(s.put_function(function(s)).ok());
  auto miss = s.find_function("App/GretingFunction");
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(format_error(miss.error()),
            "layered: error: function 'App/GretingFunction' not found\n"
            "  did you mean 'App/GreetingFunction'? run 'layered list' to see deployed functions");
  auto other_account =
      s.find_function("arn:aws:lambda:us-east-1:999999999999:function:App-GreetingFunction-ABCDEFGHIJKLM");
  EXPECT_FALSE(other_account.ok());
  auto alias = s.find_function(s.function_arn("App-GreetingFunction-ABCDEFGHIJKLM") + ":prod");
  ASSERT_FALSE(alias.ok());
  EXPECT_EQ(alias.error().message, "function version or alias 'prod' does not exist locally");
}

TEST_F(StateTest, DeletedLayerVersionKeepsServingAndIsNeverReused) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
  ASSERT_TRUE(s.put_function(function(s)).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 2, "bbbb")).ok());
  ASSERT_TRUE(s.mark_layer_version_deleted(s.layer_version_arn("shared", 1)).ok());
  EXPECT_EQ(*s.next_layer_version("shared"), 3);
  auto f = s.find_function("App/GreetingFunction");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->layers[0].arn, s.layer_version_arn("shared", 1));
  auto keys = s.referenced_content_keys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"aaaa", "bbbb", "c0de"}));
  ASSERT_TRUE(s.delete_stack("App").ok());
  keys = s.referenced_content_keys();
  EXPECT_EQ(*keys, (std::vector<std::string>{"bbbb"}));
}

TEST_F(StateTest, SsmVersionGoesUpOnlyWhenTheValueChanges) {
  State s = open();
  ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "a", 0, "Layers"}).ok());
  ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "a", 0, "Layers"}).ok());
  EXPECT_EQ((*s.ssm_parameter("/p"))->version, 1);
  ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "b", 0, "Layers"}).ok());
  auto p = s.ssm_parameter("/p");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->value, "b");
  EXPECT_EQ((*p)->version, 2);
  ASSERT_TRUE(s.delete_ssm_parameter("/p").ok());
  EXPECT_FALSE(s.ssm_parameter("/p")->has_value());
}

TEST_F(StateTest, ResourcesKeepCreationOrderAcrossUpdates) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(
      s.put_resource(ResourceRecord{"App", "Role", "AWS::IAM::Role", "r", "{}", "{}", "", "", true}).ok());
  ASSERT_TRUE(
      s.put_resource(ResourceRecord{"App", "Fn", "AWS::Lambda::Function", "f", "{}", "{}", "", "", true})
          .ok());
  ASSERT_TRUE(
      s.put_resource(ResourceRecord{"App", "Role", "AWS::IAM::Role", "r2", "{}", "{}", "", "", true}).ok());
  auto r = s.resources("App");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].physical_id, "r2");
  EXPECT_EQ((*r)[1].logical_id, "Fn");
}

}  // namespace
}  // namespace layered::state
