// The Runtime API over real loopback HTTP, with cpp-httplib's client and a
// hand-written chunked request.
#include "runtime_api/runtime_api.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <regex>

using namespace layered;
using runtime_api::MessageKind;

namespace {

class RuntimeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = runtime_api::Server::start();
    ASSERT_TRUE(s.ok());
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_keep_alive(true);
  }

  runtime_api::Message wait_message() {
    pollfd p{server_->notify_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 10000), 1);
    auto m = server_->take();
    EXPECT_TRUE(m.has_value());
    return m ? *m : runtime_api::Message{};
  }

  // GET /next for an event delivered once the runtime is waiting.
  httplib::Result next_with(runtime_api::Event event) {
    auto pending = std::async(std::launch::async,
                              [this] { return client_->Get("/2018-06-01/runtime/invocation/next"); });
    EXPECT_EQ(wait_message().kind, MessageKind::next_requested);
    server_->deliver(std::move(event));
    return pending.get();
  }

  runtime_api::Event event(const std::string& id, const std::string& payload = R"({"a":1})") {
    return runtime_api::Event{id,
                              payload,
                              1700000000123,
                              "arn:aws:lambda:us-east-1:123456789012:function:f",
                              "Root=1-65000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
                              "",
                              ""};
  }

  std::unique_ptr<runtime_api::Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(RuntimeApiTest, NextCarriesTheEventAndLambdasHeaders) {
  auto res = next_with(event("req-1"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"a":1})");
  EXPECT_EQ(res->get_header_value("Lambda-Runtime-Aws-Request-Id"), "req-1");
  EXPECT_EQ(res->get_header_value("Lambda-Runtime-Deadline-Ms"), "1700000000123");
  EXPECT_EQ(res->get_header_value("Lambda-Runtime-Invoked-Function-Arn"),
            "arn:aws:lambda:us-east-1:123456789012:function:f");
  EXPECT_EQ(res->get_header_value("Lambda-Runtime-Trace-Id"),
            "Root=1-65000000-000000000000000000000000;Parent=0000000000000000;Sampled=0");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(res->has_header("Lambda-Runtime-Client-Context"));
  EXPECT_FALSE(res->has_header("Lambda-Runtime-Cognito-Identity"));
}

TEST_F(RuntimeApiTest, ResponseIsAcceptedOnceForTheActiveRequest) {
  ASSERT_TRUE(next_with(event("req-2")));
  auto wrong = client_->Post("/2018-06-01/runtime/invocation/other/response", "{}", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_EQ(wrong->body, R"({"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"})");
  auto ok =
      client_->Post("/2018-06-01/runtime/invocation/req-2/response", R"({"ok":true})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  EXPECT_EQ(ok->body, R"({"status":"OK"})");
  auto m = wait_message();
  EXPECT_EQ(m.kind, MessageKind::response);
  EXPECT_EQ(m.request_id, "req-2");
  EXPECT_EQ(m.body, R"({"ok":true})");
  auto again = client_->Post("/2018-06-01/runtime/invocation/req-2/response", "{}", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400);
}

TEST_F(RuntimeApiTest, ErrorCarriesTheErrorTypeHeader) {
  ASSERT_TRUE(next_with(event("req-3")));
  httplib::Headers headers{{"Lambda-Runtime-Function-Error-Type", "Function.Bad"}};
  auto res = client_->Post("/2018-06-01/runtime/invocation/req-3/error", headers,
                           R"({"errorMessage":"bad","errorType":"Function.Bad"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  auto m = wait_message();
  EXPECT_EQ(m.kind, MessageKind::error);
  EXPECT_EQ(m.error_type, "Function.Bad");
  EXPECT_EQ(m.body, R"({"errorMessage":"bad","errorType":"Function.Bad"})");
}

TEST_F(RuntimeApiTest, SixMegabyteLimitIsExactAndAnswered413) {
  ASSERT_TRUE(next_with(event("big-1")));
  std::string at_limit(runtime_api::kMaxPayloadBytes, 'x');
  auto ok = client_->Post("/2018-06-01/runtime/invocation/big-1/response", at_limit, "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  auto m = wait_message();
  EXPECT_EQ(m.kind, MessageKind::response);
  EXPECT_EQ(m.body.size(), runtime_api::kMaxPayloadBytes);
}

TEST_F(RuntimeApiTest, OverLimitResponseIs413WithLambdasBody) {
  ASSERT_TRUE(next_with(event("big-2")));
  std::string over(runtime_api::kMaxPayloadBytes + 1, 'x');
  auto res = client_->Post("/2018-06-01/runtime/invocation/big-2/response", over, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(
      res->body,
      R"({"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"})");
  auto m = wait_message();
  EXPECT_EQ(m.kind, MessageKind::response_too_large);
  EXPECT_EQ(m.size, runtime_api::kMaxPayloadBytes + 1);
}

TEST_F(RuntimeApiTest, InitErrorIsAcceptedOnlyDuringInit) {
  httplib::Headers headers{{"Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError"}};
  auto res = client_->Post("/2018-06-01/runtime/init/error", headers, R"({"errorMessage":"no config"})",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  auto m = wait_message();
  EXPECT_EQ(m.kind, MessageKind::init_error);
  EXPECT_EQ(m.error_type, "Runtime.ConfigError");
  ASSERT_TRUE(next_with(event("after-init")));
  auto late = client_->Post("/2018-06-01/runtime/init/error", "{}", "application/json");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 403);
}

TEST_F(RuntimeApiTest, ChunkedRequestBodyIsAccepted) {
  ASSERT_TRUE(next_with(event("chunked")));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request =
      "POST /2018-06-01/runtime/invocation/chunked/response HTTP/1.1\r\nHost: x\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  char buf[512] = {};
  auto n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf).rfind("HTTP/1.1 202", 0), 0u) << buf;
  auto m = wait_message();
  EXPECT_EQ(m.body, "hello world");
}

TEST_F(RuntimeApiTest, KeepAliveServesManyInvocationsOnOneConnection) {
  for (int i = 0; i < 20; ++i) {
    std::string id = "k-" + std::to_string(i);
    ASSERT_TRUE(next_with(event(id)));
    auto res = client_->Post("/2018-06-01/runtime/invocation/" + id + "/response", "{}", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202);
    EXPECT_EQ(wait_message().kind, MessageKind::response);
  }
}

TEST(RuntimeApiIds, RequestAndTraceIdsHaveLambdasShape) {
  EXPECT_TRUE(
      std::regex_match(runtime_api::new_request_id(),
                       std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_TRUE(std::regex_match(runtime_api::new_trace_id(),
                               std::regex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")));
}

}  // namespace
