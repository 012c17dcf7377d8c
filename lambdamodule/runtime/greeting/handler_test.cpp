#include "handler.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "cpputils/decorator.hpp"

namespace {

std::string rejection(std::string_view event) {
  try {
    greeting::greet(event);
  } catch (const cpputils::InvalidInput& error) {
    return error.what();
  }
  return "accepted";
}

TEST(Greet, GreetsInEnglishByDefault) {
  EXPECT_EQ(greeting::greet(R"({"name": "Ada"})"), R"({"greeting":"Hello, Ada!","language":"en"})");
}

TEST(Greet, GreetsInTheRequestedLanguageKeepingUtf8) {
  EXPECT_EQ(greeting::greet(R"({"name": "Zoë", "language": "fr"})"),
            R"({"greeting":"Bonjour, Zoë !","language":"fr"})");
  EXPECT_EQ(greeting::greet(R"({"name": "Ada", "language": "es"})"),
            R"({"greeting":"¡Hola, Ada!","language":"es"})");
}

TEST(Greet, NameIsNotAFormatString) {
  EXPECT_EQ(greeting::greet(R"({"name": "{name} {}"})"),
            R"({"greeting":"Hello, {name} {}!","language":"en"})");
}

TEST(Greet, RejectsBadInputWithClearMessages) {
  EXPECT_EQ(rejection(R"({"name": 42})"), "'name' must be a string");
  EXPECT_EQ(rejection("{}"), R"('name' is required, for example {"name": "Ada"})");
  EXPECT_EQ(rejection(R"({"name": ""})"), "'name' must be 1 to 64 characters long");
  EXPECT_EQ(rejection(R"({"name": ")" + std::string(65, 'a') + R"("})"),
            "'name' must be 1 to 64 characters long");
  EXPECT_EQ(rejection(R"({"name": "Ada", "language": "xx"})"),
            "'language' must be one of 'de', 'en', 'es', 'fr', 'it' (got 'xx')");
  EXPECT_EQ(rejection(R"({"name": "Ada", "lang": "fr"})"),
            "unknown field 'lang' in event; expected 'name', 'language'");
  EXPECT_EQ(rejection(R"(["Ada"])"),
            R"(event must be a JSON object, for example {"name": "Ada", "language": "en"})");
  EXPECT_EQ(rejection(R"({"name": "Ada")"),
            "event is not valid JSON at line 1, column 15: missing ',' or '}' in object declaration");
  EXPECT_EQ(rejection(R"({"name": "Ada"} trailing)"),
            "event is not valid JSON at line 1, column 17: extra non-whitespace after JSON value.");
  EXPECT_EQ(rejection(R"({"name": "Ada", "name": "Bob"})"),
            "event is not valid JSON at line 1, column 17: duplicate key: 'name'");
}

TEST(Greet, SixtyFourMultibyteCharactersAreAccepted) {
  std::string name;
  for (int i = 0; i < 64; ++i) name += "é";
  EXPECT_NE(greeting::greet(R"({"name": ")" + name + R"("})").find(name), std::string::npos);
}

TEST(Handler, MapsInvalidInputToAFunctionError) {
  std::ostringstream log;
  const auto handler = greeting::make_handler(&log);
  cpputils::InvocationRequest request{};
  request.payload = R"({"name": 42})";
  request.request_id = "req-1";
  const auto response = handler(request);
  ASSERT_FALSE(response.is_success());
  EXPECT_EQ(response.error_type(), "InvalidInput");
  EXPECT_EQ(response.error_message(), "'name' must be a string");
  EXPECT_NE(log.str().find(R"("function":"greeting")"), std::string::npos) << log.str();
}

TEST(Handler, AnswersTheSampleEvent) {
  std::ostringstream log;
  const auto handler = greeting::make_handler(&log);
  cpputils::InvocationRequest request{};
  request.payload = R"({"name": "Ada", "language": "de"})";
  const auto response = handler(request);
  ASSERT_TRUE(response.is_success()) << response.error_message();
  EXPECT_EQ(response.payload(), R"({"greeting":"Hallo, Ada!","language":"de"})");
}

}  // namespace
