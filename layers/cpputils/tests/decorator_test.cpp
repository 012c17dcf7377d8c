#include "cpputils/decorator.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace cpputils {
namespace {

InvocationRequest request_with_id(std::string_view id) {
  InvocationRequest request;
  request.request_id = id;
  request.payload = "{}";
  return request;
}

struct Decorated {
  std::ostringstream log;
  InvocationResponse run(Handler handler, std::string_view id = "req-1") {
    Handler decorated = decorate(std::move(handler), {.name = "greeting", .log = &log});
    return decorated(request_with_id(id));
  }
};

// durationMs varies: check its shape (3 decimals) and take it out.
std::string without_duration(const std::string& line) {
  static const std::regex duration(R"("durationMs":[0-9]+\.[0-9]{3},)");
  EXPECT_TRUE(std::regex_search(line, duration)) << line;
  return std::regex_replace(line, duration, "");
}

TEST(Decorate, SuccessPassesTheResponseThroughAndLogsOneLine) {
  Decorated d;
  InvocationResponse response =
      d.run([](const InvocationRequest&) { return InvocationResponse::success(R"({"message":"hi"})"); });
  ASSERT_TRUE(response.is_success());
  EXPECT_EQ(response.payload(), R"({"message":"hi"})");
  EXPECT_EQ(response.content_type(), "application/json");
  EXPECT_EQ(without_duration(d.log.str()),
            R"({"level":"INFO","function":"greeting","requestId":"req-1","outcome":"success"})"
            "\n");
}

TEST(Decorate, InvalidInputBecomesInvalidInput) {
  Decorated d;
  InvocationResponse response =
      d.run([](const InvocationRequest&) -> InvocationResponse { throw InvalidInput("'name' is missing"); });
  ASSERT_FALSE(response.is_success());
  EXPECT_EQ(response.error_type(), "InvalidInput");
  EXPECT_EQ(response.error_message(), "'name' is missing");
  EXPECT_EQ(response.error_json(),
            R"({"errorMessage":"'name' is missing","errorType":"InvalidInput","stackTrace":[]})");
  EXPECT_EQ(without_duration(d.log.str()),
            R"({"level":"ERROR","function":"greeting","requestId":"req-1","outcome":"error",)"
            R"("errorType":"InvalidInput","errorMessage":"'name' is missing"})"
            "\n");
}

TEST(Decorate, InvalidArgumentAndOutOfRangeAreInvalidInput) {
  Decorated d;
  EXPECT_EQ(d.run([](const InvocationRequest&) -> InvocationResponse {
               throw std::invalid_argument("not a number");
             }).error_type(),
            "InvalidInput");
  InvocationResponse response = d.run([](const InvocationRequest&) -> InvocationResponse {
    return InvocationResponse::success(std::string("abc").substr(7));  // throws std::out_of_range
  });
  EXPECT_EQ(response.error_type(), "InvalidInput");
  EXPECT_NE(response.error_message().find("basic_string::substr"), std::string::npos);
}

TEST(Decorate, OtherExceptionsAreInternalErrorsWithTheirMessage) {
  Decorated d;
  InvocationResponse response =
      d.run([](const InvocationRequest&) -> InvocationResponse { throw std::runtime_error("db is down"); });
  EXPECT_EQ(response.error_type(), "InternalError");
  EXPECT_EQ(response.error_message(), "db is down");
}

TEST(Decorate, NonStandardExceptionIsAnUnknownInternalError) {
  Decorated d;
  InvocationResponse response = d.run([](const InvocationRequest&) -> InvocationResponse { throw 42; });
  EXPECT_EQ(response.error_type(), "InternalError");
  EXPECT_EQ(response.error_message(), "unknown exception");
}

TEST(Decorate, NestedCausesStayInTheStackTrace) {
  Decorated d;
  InvocationResponse response = d.run([](const InvocationRequest&) -> InvocationResponse {
    try {
      throw std::out_of_range("row 7");
    } catch (...) {
      std::throw_with_nested(std::runtime_error("cannot load catalog"));
    }
  });
  EXPECT_EQ(response.error_type(), "InternalError");
  EXPECT_EQ(response.error_json(), R"({"errorMessage":"cannot load catalog","errorType":"InternalError",)"
                                   R"("stackTrace":["std::out_of_range: row 7"]})");
}

TEST(Decorate, HandlerReturnedFailureIsLoggedAsAnError) {
  Decorated d;
  InvocationResponse response = d.run(
      [](const InvocationRequest&) { return InvocationResponse::failure("NotFound", "no item \"42\""); });
  EXPECT_EQ(response.error_type(), "NotFound");
  EXPECT_EQ(without_duration(d.log.str()),
            R"({"level":"ERROR","function":"greeting","requestId":"req-1","outcome":"error",)"
            R"("errorType":"NotFound","errorMessage":"no item \"42\""})"
            "\n");
}

TEST(Decorate, OneLinePerInvocationWithEscapedFields) {
  std::ostringstream log;
  Handler handler = decorate([](const InvocationRequest&) { return InvocationResponse::success("{}"); },
                             {.name = "we\"ird\nname", .log = &log});
  handler(request_with_id("a"));
  handler(request_with_id("b"));
  std::string text = log.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_NE(text.find(R"("function":"we\"ird\nname","requestId":"a")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("requestId":"b")"), std::string::npos) << text;
}

TEST(FailureFromException, ReportsTheDemangledTypeAndTheCauses) {
  std::exception_ptr error;
  try {
    try {
      throw std::invalid_argument("bad 'id'");
    } catch (...) {
      std::throw_with_nested(std::runtime_error("cannot parse request"));
    }
  } catch (...) {
    error = std::current_exception();
  }
  InvocationResponse response = failure_from_exception(error);
  EXPECT_EQ(response.error_type(), "std::runtime_error");
  EXPECT_EQ(response.error_message(), "cannot parse request");
  EXPECT_EQ(response.stack_trace(), std::vector<std::string>{"std::invalid_argument: bad 'id'"});
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(InvalidInput("x"))).error_type(),
            "cpputils::InvalidInput");
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(42)).error_type(), "int");
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(42)).error_message(), "unknown exception");
}

TEST(JsonEscape, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_escape("a\"b\\c\n\t\x01 é"), "a\\\"b\\\\c\\n\\t\\u0001 é");
}

TEST(RemainingTime, CountsDownToTheDeadlineAndNeverGoesNegative) {
  InvocationRequest request;
  request.deadline = std::chrono::system_clock::now() + std::chrono::hours(1);
  EXPECT_GT(request.remaining_time(), std::chrono::minutes(59));
  EXPECT_LE(request.remaining_time(), std::chrono::hours(1));
  request.deadline = std::chrono::system_clock::now() - std::chrono::seconds(5);
  EXPECT_EQ(request.remaining_time(), std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace cpputils
