// SSM parameters in the state: versions that move only on a change, and
// the history pinned references read.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "state/state_test_fixture.hpp"

namespace layered::state {
namespace {

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

TEST_F(StateTest, SsmKeepsEachVersionsValueUntilTheParameterIsDeleted) {
  State s = open();
  for (const char* value : {"a", "a", "b", "c"})
    ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", value, 0, "Layers"}).ok());
  EXPECT_EQ(*s.ssm_parameter_version("/p", 1), std::optional<std::string>("a"));
  EXPECT_EQ(*s.ssm_parameter_version("/p", 2), std::optional<std::string>("b"));
  EXPECT_EQ(*s.ssm_parameter_version("/p", 3), std::optional<std::string>("c"));
  EXPECT_FALSE(s.ssm_parameter_version("/p", 4)->has_value());
  ASSERT_TRUE(s.delete_ssm_parameter("/p").ok());
  ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "new", 0, ""}).ok());
  EXPECT_EQ(*s.ssm_parameter_version("/p", 1), std::optional<std::string>("new"));
  EXPECT_FALSE(s.ssm_parameter_version("/p", 2)->has_value());
}

TEST_F(StateTest, SsmKeepsTheLastHundredVersions) {
  State s = open();
  for (int i = 1; i <= kSsmVersionsKept + 2; ++i)
    ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", std::to_string(i), 0, ""}).ok());
  EXPECT_FALSE(s.ssm_parameter_version("/p", 2)->has_value());
  EXPECT_EQ(*s.ssm_parameter_version("/p", 3), std::optional<std::string>("3"));
}

TEST_F(StateTest, SchemaVersionFourStartsSsmHistoryAtTheCurrentValue) {
  {
    State s = open();
    ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "a", 0, ""}).ok());
    ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "b", 0, ""}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/st/state.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE ssm_parameter_history; PRAGMA user_version = 4;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto reader = State::open_read_only(dir_ + "/st");
    ASSERT_TRUE(reader.ok()) << format_error(reader.error());
    EXPECT_EQ(*reader->ssm_parameter_version("/p", 2), std::optional<std::string>("b"));
    EXPECT_FALSE(reader->ssm_parameter_version("/p", 1)->has_value());
  }
  State s = open();
  EXPECT_EQ(*s.ssm_parameter_version("/p", 2), std::optional<std::string>("b"));
  ASSERT_TRUE(s.put_ssm_parameter(SsmParameterRecord{"/p", "String", "c", 0, ""}).ok());
  EXPECT_EQ(*s.ssm_parameter_version("/p", 3), std::optional<std::string>("c"));
}

}  // namespace
}  // namespace layered::state
