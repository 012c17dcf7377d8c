#include "handler.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cpputils/decorator.hpp"

namespace {

std::filesystem::path shipped_data() {
  const char* dir = std::getenv("LAMBDA_FUNCTION_SOURCE_DIR");
  return std::filesystem::path(dir ? dir : ".") / "catalog.csv";
}

class CatalogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_catalog = new catalog::Catalog(catalog::Catalog::load(shipped_data()));
  }
  static void TearDownTestSuite() { delete shared_catalog; }

  static std::string rejection(std::string_view event) {
    try {
      shared_catalog->query(event);
    } catch (const cpputils::InvalidInput& error) {
      return error.what();
    }
    return "accepted";
  }

  static catalog::Catalog* shared_catalog;
};

catalog::Catalog* CatalogTest::shared_catalog = nullptr;

TEST_F(CatalogTest, FiltersByCategoryAndPriceCheapestFirst) {
  EXPECT_EQ(shared_catalog->query(R"({"category": "books", "maxPriceCents": 3100})"),
            R"({"count":2,"items":[)"
            R"({"category":"books","id":"B-003","name":"A Tour of C++","priceCents":2999,"stock":0},)"
            R"({"category":"books","id":"B-007","name":"SQLite Database System: Design and Implementation",)"
            R"("priceCents":3100,"stock":4}]})");
}

TEST_F(CatalogTest, SearchesNamesCaseInsensitivelyAndKeepsQuotedCommas) {
  EXPECT_EQ(shared_catalog->query(R"({"search": "PROGRAMMING LANGUAGE"})"),
            R"({"count":1,"items":[{"category":"books","id":"B-001",)"
            R"("name":"The C++ Programming Language, 4th Edition","priceCents":5499,"stock":3}]})");
}

TEST_F(CatalogTest, SearchTextIsNotSql) {
  EXPECT_EQ(shared_catalog->query(R"({"search": "' OR 1=1 --"})"), R"({"count":0,"items":[]})");
  EXPECT_EQ(shared_catalog->query(R"({"search": "%"})"), R"({"count":0,"items":[]})");
}

TEST_F(CatalogTest, InStockAndLimit) {
  EXPECT_EQ(shared_catalog->query(R"({"category": "hardware", "inStock": false})"),
            R"({"count":1,"items":[{"category":"hardware","id":"T-004","name":"Ergonomic mouse",)"
            R"("priceCents":4999,"stock":0}]})");
  EXPECT_EQ(shared_catalog->query(R"({"limit": 1})"),
            R"({"count":1,"items":[{"category":"swag","id":"S-004","name":"Rubber duck for debugging",)"
            R"("priceCents":300,"stock":64}]})");
  EXPECT_NE(shared_catalog->query("{}").find(R"("count":10,)"), std::string::npos);
}

TEST_F(CatalogTest, RejectsBadQueriesWithClearMessages) {
  EXPECT_EQ(rejection(R"({"maxPriceCents": "cheap"})"),
            "'maxPriceCents' must be a whole number of cents, 0 or more");
  EXPECT_EQ(rejection(R"({"maxPriceCents": -1})"),
            "'maxPriceCents' must be a whole number of cents, 0 or more");
  EXPECT_EQ(rejection(R"({"maxPriceCents": 9.5})"),
            "'maxPriceCents' must be a whole number of cents, 0 or more");
  EXPECT_EQ(rejection(R"({"limit": 0})"), "'limit' must be a whole number from 1 to 50");
  EXPECT_EQ(rejection(R"({"category": ["books"]})"), "'category' must be a string");
  EXPECT_EQ(rejection(R"({"inStock": "yes"})"), "'inStock' must be true or false");
  EXPECT_EQ(
      rejection(R"({"price": 1})"),
      "unknown field 'price' in event; expected 'category', 'search', 'maxPriceCents', 'inStock', 'limit'");
  EXPECT_EQ(rejection("42"),
            R"(event must be a JSON object, for example {"category": "books", "maxPriceCents": 4000})");
}

TEST_F(CatalogTest, HandlerReportsInvalidInputAsAFunctionError) {
  std::ostringstream log;
  const auto handler = catalog::make_handler(
      std::make_shared<const catalog::Catalog>(catalog::Catalog::load(shipped_data())), &log);
  cpputils::InvocationRequest request{};
  request.payload = R"({"maxPriceCents": "cheap"})";
  const auto response = handler(request);
  ASSERT_FALSE(response.is_success());
  EXPECT_EQ(response.error_type(), "InvalidInput");
  EXPECT_EQ(response.error_message(), "'maxPriceCents' must be a whole number of cents, 0 or more");
}

class BrokenDataTest : public ::testing::Test {
 protected:
  std::string load_error(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("catalog-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
    std::ofstream(path) << text;
    std::string message = "loaded";
    try {
      catalog::Catalog::load(path);
    } catch (const std::runtime_error& error) {
      message = error.what();
    }
    std::filesystem::remove(path);
    // Drop the temporary file's name: "<path>.csv:2: ..." -> ":2: ...".
    const auto suffix = message.find(".csv");
    return suffix == std::string::npos ? message : message.substr(suffix + 4);
  }
};

TEST_F(BrokenDataTest, NamesTheLineOfABadPrice) {
  EXPECT_EQ(load_error("id,name,category,price_cents,stock\nX-1,thing,misc,12.50,1\n"),
            ":2: '12.50' is not a whole number 0 or more");
}

TEST_F(BrokenDataTest, RequiresTheHeader) {
  EXPECT_EQ(load_error("id,name\n"), ":1: expected the header 'id,name,category,price_cents,stock'");
}

TEST(CatalogLoad, MissingFileIsAnInitError) {
  try {
    catalog::Catalog::load("/nonexistent/catalog.csv");
    FAIL() << "loaded a missing file";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "cannot read catalog data '/nonexistent/catalog.csv'");
  }
}

TEST(CatalogLoad, DataPathFollowsLambdaTaskRoot) {
  ::setenv("LAMBDA_TASK_ROOT", "/srv/fn", 1);
  EXPECT_EQ(catalog::default_data_path(), "/srv/fn/catalog.csv");
  ::unsetenv("LAMBDA_TASK_ROOT");
  EXPECT_EQ(catalog::default_data_path(), "/var/task/catalog.csv");
}

}  // namespace
