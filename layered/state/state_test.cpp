#include "state/state.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "state/state_test_fixture.hpp"

namespace layered::state {
namespace {

namespace fs = std::filesystem;

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
  EXPECT_EQ(sqlite3_column_int(q, 0), 5);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_F(StateTest, ChangeCounterMovesOnlyWhenAnotherConnectionCommits) {
  State reader = open();
  State writer = open();
  auto before = reader.change_counter();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*reader.change_counter(), *before);
  SsmParameterRecord parameter;
  parameter.name = "/deployed/elsewhere";
  parameter.value = "v";
  ASSERT_TRUE(writer.put_ssm_parameter(parameter).ok());
  auto after = reader.change_counter();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before);
  EXPECT_EQ(*reader.change_counter(), *after);
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
  for (const std::string& key :
       {std::string("App-GreetingFunction-ABCDEFGHIJKLM"), arn, arn + ":$LATEST",
        std::string("App/GreetingFunction"), std::string("App/GreetingFunction/Resource")}) {
    auto f = s.find_function(key);
    ASSERT_TRUE(f.ok()) << key << ": " << format_error(f.error());
    EXPECT_EQ(f->arn, arn);
    EXPECT_EQ(f->version, "$LATEST");
    EXPECT_EQ(f->code_dir, s.dir() + "/store/c0de");
    ASSERT_EQ(f->layers.size(), 1u);
    EXPECT_EQ(f->layers[0].dir, s.dir() + "/store/aaaa");
    EXPECT_EQ(f->layers[0].name, "shared:1");
    EXPECT_EQ(f->runtime, model::Runtime::provided_al2);
    EXPECT_EQ(f->architecture, model::Architecture::arm64);
    EXPECT_EQ(f->environment, (Pairs{{"B", "2"}, {"A", "1"}}));
  }
}

// CDK's custom resource providers are "Stack/Custom::XProvider/Handler":
// the "::" is part of the path, not a qualifier.
TEST_F(StateTest, AConstructPathWithADoubleColonIsFoundWithAndWithoutAQualifier) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
  FunctionRecord provider = function(s);
  provider.construct_path = "App/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler";
  ASSERT_TRUE(s.put_function(provider).ok());
  for (const std::string& key : {provider.construct_path, provider.construct_path + ":$LATEST"}) {
    auto f = s.resolve_function(key);
    ASSERT_TRUE(f.ok()) << key << ": " << format_error(f.error());
    EXPECT_EQ(f->name, provider.name);
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

// Another connection holds the write lock with an uncommitted change, as a
// long deploy in another process does.
TEST_F(StateTest, ReadOnlyOpenSeesTheLastCommitAndNeverWaitsForAWriter) {
  {
    State s = open();
    ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
    ASSERT_TRUE(s.put_function(function(s)).ok());
  }
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE; DELETE FROM functions;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  auto reader = State::open_read_only(dir_ + "/st");
  ASSERT_TRUE(reader.ok()) << format_error(reader.error());
  auto functions = reader->functions();
  ASSERT_TRUE(functions.ok()) << format_error(functions.error());
  EXPECT_EQ(functions->size(), 1u);
  auto found = reader->find_function("App/GreetingFunction");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->layers.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(reader->begin().ok());  // and it never writes
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
}

TEST_F(StateTest, ReadOnlyOpenOfAMissingStateSaysSoAndCreatesNothing) {
  auto missing = State::open_read_only(dir_ + "/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "nothing is deployed here: no state in '" + dir_ + "/none'");
  EXPECT_FALSE(fs::exists(dir_ + "/none"));
}

// A reader that opens the state while a first deploy creates it (the file
// exists, its schema does not yet) is told to wait, not to remove the state.
TEST_F(StateTest, ReadOnlyOpenDuringTheFirstDeploySaysSo) {
  fs::create_directories(dir_ + "/creating");
  std::ofstream(dir_ + "/creating/state.db").flush();
  auto creating = State::open_read_only(dir_ + "/creating");
  ASSERT_FALSE(creating.ok());
  EXPECT_EQ(creating.error().message, "nothing is deployed here yet: a first deploy is creating the state");
  EXPECT_EQ(creating.error().hint, "run this again when that deploy has finished");
}

// In a child with a mount namespace of its own, the state directory mounted
// read-only (chmod does not stop root): no -shm file can be created there.
TEST_F(StateTest, ReadOnlyOpenWorksOnAReadOnlyDirectory) {
  {
    State s = open();
    ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
    ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
    ASSERT_TRUE(s.put_function(function(s)).ok());
  }
  ASSERT_FALSE(fs::exists(dir_ + "/st/state.db-shm"));
  const std::string st = dir_ + "/st";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int flags = ::geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWNS | CLONE_NEWUSER;
    if (::unshare(flags) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(st.c_str(), st.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
        ::mount(nullptr, st.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      ::_exit(77);
    }
    if (::access(st.c_str(), W_OK) == 0 || errno != EROFS) ::_exit(3);
    auto reader = State::open_read_only(st);
    if (!reader.ok()) ::_exit(4);
    auto f = reader->find_function("App/GreetingFunction");
    ::_exit(f.ok() && f->layers.size() == 1 ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount in a namespace of its own here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: still writable, 4: open failed, 5: lookup failed";
}

TEST_F(StateTest, SchemaVersionOneGainsItsIndexesAndStackEnvironments) {
  {
    State s = open();
    ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &db), SQLITE_OK);
  // Version 1 had neither the indexes nor the stacks' environment columns.
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX functions_by_construct_path; ALTER TABLE stacks DROP COLUMN account_id; "
                         "ALTER TABLE stacks DROP COLUMN region; PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    // A reader does not migrate: the stack reads as living in the state's settings.
    auto reader = State::open_read_only(dir_ + "/st");
    ASSERT_TRUE(reader.ok()) << format_error(reader.error());
    ASSERT_EQ(reader->stacks()->size(), 1u);
    EXPECT_EQ(reader->stack_environment("App")->region, "us-east-1");
  }
  State s = open();
  EXPECT_EQ(s.stacks()->size(), 1u);
  EXPECT_EQ(s.stack_environment("App")->account_id, "123456789012");
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT name FROM functions WHERE construct_path = 'x'", -1, &q,
                     nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_NE(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 3)))
                .find("functions_by_construct_path"),
            std::string::npos);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_F(StateTest, ExactLookupAndLayerSets) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"App", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 1, "aaaa")).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 2, "bbbb")).ok());
  FunctionRecord f = function(s);
  f.layers = {{s.layer_version_arn("shared", 2), ""}, {s.layer_version_arn("shared", 1), ""}};
  ASSERT_TRUE(s.put_function(f).ok());
  FunctionRecord g = f;
  g.name = "Other";
  g.arn = s.function_arn(g.name);
  g.construct_path = "App/Other";
  ASSERT_TRUE(s.put_function(g).ok());
  FunctionRecord bare = function(s);
  bare.name = "Bare";
  bare.arn = s.function_arn(bare.name);
  bare.construct_path = "App/Bare";
  bare.layers.clear();
  ASSERT_TRUE(s.put_function(bare).ok());
  auto hit = s.function("Other");
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ((*hit)->layers.size(), 2u);
  auto miss = s.function("App/Other");  // names only, and no hint
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  auto sets = s.layer_sets();
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(*sets,
            (std::vector<std::vector<std::string>>{{s.dir() + "/store/bbbb", s.dir() + "/store/aaaa"}}));
  auto all = s.functions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "App-GreetingFunction-ABCDEFGHIJKLM");
  EXPECT_EQ((*all)[0].layers.size(), 2u);
  EXPECT_EQ((*all)[0].layers[0].dir, s.dir() + "/store/bbbb");
  EXPECT_TRUE((*all)[1].layers.empty());
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

TEST_F(StateTest, ReservedLayerVersionsSurviveARolledBackTransaction) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"Layers", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  {
    auto tx = s.begin();
    ASSERT_TRUE(tx.ok());
    auto v = s.reserve_layer_version("shared");
    ASSERT_TRUE(v.ok()) << format_error(v.error());
    EXPECT_EQ(*v, 1);
    ASSERT_TRUE(s.put_layer_version(layer(s, *v, "aaaa")).ok());
    tx->rollback();  // the deploy failed after publishing
  }
  EXPECT_FALSE(s.find_layer_version(s.layer_version_arn("shared", 1))->has_value());
  EXPECT_EQ(*s.reserve_layer_version("shared"), 2);
  // Another connection (another deploy process) continues the same sequence.
  State other = open();
  EXPECT_EQ(*other.reserve_layer_version("shared"), 3);
  EXPECT_EQ(*s.reserve_layer_version("other"), 1);
  EXPECT_EQ(*s.reserve_number("function-version:f", 1), 1);
  EXPECT_EQ(*s.reserve_number("function-version:f", 1), 2);
}

TEST_F(StateTest, ReservationStartsAboveVersionsTheStateAlreadyHolds) {
  State s = open();
  ASSERT_TRUE(s.put_stack(StackRecord{"Layers", "CREATE_COMPLETE", "d", {}, {}, "t"}).ok());
  ASSERT_TRUE(s.put_layer_version(layer(s, 4, "aaaa")).ok());  // written before counters.db existed
  EXPECT_EQ(*s.reserve_layer_version("shared"), 5);
  auto ro = State::open_read_only(dir_ + "/st");
  ASSERT_TRUE(ro.ok());
  auto refused = ro->reserve_number("layer:shared");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "the state was opened read-only");
}

TEST_F(StateTest, EachStackKeepsItsEnvironmentAndUnknownPartsAreTheSettings) {
  State s = open();
  ASSERT_TRUE(
      s.put_stack(StackRecord{"Eu", "CREATE_COMPLETE", "d", {}, {}, "t", "000000000000", "eu-central-1"})
          .ok());
  auto eu = s.stack_environment("Eu");
  ASSERT_TRUE(eu.ok());
  EXPECT_EQ(eu->account_id, "000000000000");
  EXPECT_EQ(eu->region, "eu-central-1");
  EXPECT_EQ(layer_version_arn(*eu, "shared", 2), "arn:aws:lambda:eu-central-1:000000000000:layer:shared:2");
  EXPECT_EQ(function_arn(*eu, "f"), "arn:aws:lambda:eu-central-1:000000000000:function:f");
  EXPECT_EQ(arn_region(function_arn(*eu, "f")), "eu-central-1");
  EXPECT_EQ(arn_region("not-an-arn"), "");
  const Settings half = resolve_environment(s.settings(), "", "ap-south-1");
  EXPECT_EQ(half.account_id, "123456789012");
  EXPECT_EQ(half.region, "ap-south-1");
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
