#include "cpputils/decorator.hpp"

#include <gtest/gtest.h>

#include <new>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <vector>

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

// Only InvalidInput blames the caller: std::out_of_range (vector::at) and
// std::invalid_argument (stoi) usually come from a bug in the function.
TEST(Decorate, OutOfRangeAndInvalidArgumentAreTheFunctionsOwnErrors) {
  Decorated d;
  EXPECT_EQ(d.run([](const InvocationRequest&) -> InvocationResponse {
               throw std::invalid_argument("not a number");
             }).error_type(),
            "std::invalid_argument");
  InvocationResponse response = d.run([](const InvocationRequest&) -> InvocationResponse {
    return InvocationResponse::success(std::string("abc").substr(7));  // throws std::out_of_range
  });
  EXPECT_EQ(response.error_type(), "std::out_of_range");
  EXPECT_NE(response.error_message().find("basic_string::substr"), std::string::npos);
}

TEST(Decorate, OtherExceptionsAreReportedAsTheirTypeWithTheirMessage) {
  Decorated d;
  InvocationResponse response =
      d.run([](const InvocationRequest&) -> InvocationResponse { throw std::runtime_error("db is down"); });
  EXPECT_EQ(response.error_type(), "std::runtime_error");
  EXPECT_EQ(response.error_message(), "db is down");
}

TEST(Decorate, NonStandardExceptionIsItsTypeWithUnknownException) {
  Decorated d;
  InvocationResponse response = d.run([](const InvocationRequest&) -> InvocationResponse { throw 42; });
  EXPECT_EQ(response.error_type(), "int");
  EXPECT_EQ(response.error_message(), "unknown exception");
}

// One policy: the decorator reports every exception exactly as serve()
// does without it (failure_from_exception).
TEST(Decorate, ReportsEveryExceptionAsServeDoesWithoutIt) {
  std::vector<std::exception_ptr> errors = {
      std::make_exception_ptr(InvalidInput("'name' is missing")),
      std::make_exception_ptr(std::invalid_argument("stoi")),
      std::make_exception_ptr(std::out_of_range("vector::_M_range_check")),
      std::make_exception_ptr(std::runtime_error("db is down")),
      std::make_exception_ptr(std::bad_alloc()),
      std::make_exception_ptr(42),
  };
  for (const std::exception_ptr& error : errors) {
    Decorated d;
    InvocationResponse decorated =
        d.run([&](const InvocationRequest&) -> InvocationResponse { std::rethrow_exception(error); });
    InvocationResponse plain = failure_from_exception(error);
    EXPECT_EQ(decorated.error_json(), plain.error_json());
  }
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
  EXPECT_EQ(response.error_type(), "std::runtime_error");
  EXPECT_EQ(response.error_json(),
            R"({"errorMessage":"cannot load catalog","errorType":"std::runtime_error",)"
            R"("stackTrace":["std::out_of_range: row 7"]})");
}

TEST(Decorate, HandlerReturnedFailureIsLoggedAsAnError) {
  Decorated d;
  InvocationResponse response = d.run([](const InvocationRequest&) {
    return InvocationResponse::failure(ErrorType("NotFound"), "no item \"42\"");
  });
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

// The line is built on the stack up to 512 bytes and moves to the heap
// beyond: a long name, request id or message comes out whole and escaped.
TEST(Decorate, LongFieldsComeOutWholeAndEscaped) {
  std::string message(700, 'm');
  message[3] = '"';
  message[650] = '\n';
  std::string escaped_message =
      message.substr(0, 3) + "\\\"" + message.substr(4, 646) + "\\n" + message.substr(651);
  std::string id(300, 'i');
  std::ostringstream log;
  Handler handler = decorate(
      [&message](const InvocationRequest&) {
        return InvocationResponse::failure(ErrorType("Long"), message);
      },
      {.name = std::string(200, 'n'), .log = &log});
  handler(request_with_id(id));
  EXPECT_EQ(without_duration(log.str()),
            R"({"level":"ERROR","function":")" + std::string(200, 'n') + R"(","requestId":")" + id +
                R"(","outcome":"error","errorType":"Long","errorMessage":")" + escaped_message + "\"}\n");
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
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(InvalidInput("x"))).error_type(), "InvalidInput");
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(42)).error_type(), "int");
  EXPECT_EQ(failure_from_exception(std::make_exception_ptr(42)).error_message(), "unknown exception");
}

// A call ported from aws-lambda-cpp, failure(message, type), must not
// compile: the type has a type of its own.
template <typename... Args>
concept CanFail = requires(Args... args) {
  InvocationResponse::failure(args...);
};
static_assert(!CanFail<const char*, const char*>);
static_assert(!CanFail<std::string, std::string>);
static_assert(!CanFail<std::string, ErrorType>);
static_assert(CanFail<ErrorType, std::string>);
static_assert(CanFail<ErrorType, std::string, std::vector<std::string>>);

TEST(InvocationResponse, FailureHasTheErrorTypeTheMessageAndLambdasContentType) {
  InvocationResponse response =
      InvocationResponse::failure(ErrorType("NotFound"), "no item 42", {"at lookup"});
  EXPECT_FALSE(response.is_success());
  EXPECT_EQ(response.error_type(), "NotFound");
  EXPECT_EQ(response.error_message(), "no item 42");
  EXPECT_EQ(response.content_type(), "application/vnd.aws.lambda.error+json");
  EXPECT_EQ(response.error_json(),
            R"({"errorMessage":"no item 42","errorType":"NotFound","stackTrace":["at lookup"]})");
}

TEST(InvocationResponse, SuccessIsJsonUnlessToldOtherwise) {
  EXPECT_EQ(InvocationResponse::success("{}").content_type(), "application/json");
  InvocationResponse text = InvocationResponse::success("hi", "text/plain");
  EXPECT_EQ(text.content_type(), "text/plain");
  InvocationResponse moved = std::move(text);
  EXPECT_EQ(moved.content_type(), "text/plain");
  EXPECT_EQ(moved.payload(), "hi");
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
