// The Runtime API over real loopback HTTP, with cpp-httplib's client and
// hand-written requests. The server works only inside take/deliver (the
// engine's thread), so the runtime's requests are sent from other threads
// while the test takes messages.
#include "runtime_api/runtime_api.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <future>
#include <regex>
#include <thread>
#include <vector>

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
    for (int i = 0; i < 1000; ++i) {
      if (auto m = server_->take()) return *m;
      pollfd p{server_->notify_fd(), POLLIN, 0};
      ::poll(&p, 1, 10);
    }
    ADD_FAILURE() << "no message from the runtime";
    return {};
  }

  // Serves the runtime until `pending` has its answer.
  template <class T>
  T serve_until(std::future<T>& pending) {
    while (pending.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      if (auto m = server_->take()) taken_.push_back(std::move(*m));
      pollfd p{server_->notify_fd(), POLLIN, 0};
      ::poll(&p, 1, 5);
    }
    return pending.get();
  }

  httplib::Result post(const std::string& path, const std::string& body,
                       const httplib::Headers& headers = {}) {
    auto pending = std::async(std::launch::async,
                              [&] { return client_->Post(path, headers, body, "application/json"); });
    return serve_until(pending);
  }

  // A connection to the Runtime API on `port` whose reads give up after 5 s
  // (a connection the server never ends fails the test, not the run); -1
  // when it cannot connect.
  static int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval five{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // Sends `request` on a new connection, then `then` once `after` was
  // answered, and reads until the answers hold `until` (or the connection
  // ends).
  static std::string raw_blocking(const std::string& request, const std::string& after,
                                  const std::string& until, const std::string& then = "",
                                  bool shut_write = false) {
    int fd = connect_to(port_for_raw);
    if (fd < 0) return "connect failed";
    std::string got;
    (void)!::write(fd, request.data(), request.size());
    if (shut_write) ::shutdown(fd, SHUT_WR);
    bool sent_then = then.empty();
    char buf[4096];
    for (;;) {
      if (!sent_then && got.find(after) != std::string::npos) {
        (void)!::write(fd, then.data(), then.size());
        sent_then = true;
      }
      if (sent_then && !until.empty() && got.find(until) != std::string::npos) break;
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
  }

  std::string raw(const std::string& request, const std::string& until) {
    port_for_raw = server_->port();
    auto pending = std::async(std::launch::async, [=] { return raw_blocking(request, "", until); });
    return serve_until(pending);
  }
  std::string raw(const std::string& request, const std::string& after, const std::string& then,
                  const std::string& until) {
    port_for_raw = server_->port();
    auto pending = std::async(std::launch::async, [=] { return raw_blocking(request, after, until, then); });
    return serve_until(pending);
  }
  static inline int port_for_raw = 0;

  // The next message, taken while serving or after.
  runtime_api::Message message() {
    if (taken_.empty()) return wait_message();
    auto m = std::move(taken_.front());
    taken_.pop_front();
    return m;
  }

  // GET /next for an event delivered once the runtime is waiting.
  httplib::Result next_with(runtime_api::Event event) {
    auto pending = std::async(std::launch::async,
                              [this] { return client_->Get("/2018-06-01/runtime/invocation/next"); });
    EXPECT_EQ(message().kind, MessageKind::next_requested);
    server_->deliver(std::move(event));
    return serve_until(pending);
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
  std::deque<runtime_api::Message> taken_;
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
  auto wrong = post("/2018-06-01/runtime/invocation/other/response", "{}");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_EQ(wrong->body, R"({"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"})");
  auto ok = post("/2018-06-01/runtime/invocation/req-2/response", R"({"ok":true})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  EXPECT_EQ(ok->body, R"({"status":"OK"})");
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::response);
  EXPECT_EQ(m.request_id, "req-2");
  EXPECT_EQ(m.body, R"({"ok":true})");
  // A second answer is a state transition Lambda refuses, not an unknown id.
  auto again = post("/2018-06-01/runtime/invocation/req-2/response", "{}");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 403);
  EXPECT_EQ(
      again->body,
      R"({"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for )"
      R"(runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"})");
  auto error_after = post("/2018-06-01/runtime/invocation/req-2/error", "{}");
  ASSERT_TRUE(error_after);
  EXPECT_EQ(error_after->status, 403);
}

// Lambda's router: a known path with another method is 405; the query
// string plays no part in the route.
TEST_F(RuntimeApiTest, RoutesAreMatchedOnThePathWithTheirMethods) {
  auto post_next = post("/2018-06-01/runtime/invocation/next", "{}");
  ASSERT_TRUE(post_next);
  EXPECT_EQ(post_next->status, 405);
  auto pending = std::async(
      std::launch::async, [this] { return client_->Get("/2018-06-01/runtime/invocation/some-id/response"); });
  auto get_response = serve_until(pending);
  ASSERT_TRUE(get_response);
  EXPECT_EQ(get_response->status, 405);
  auto unknown = post("/2018-06-01/runtime/elsewhere", "{}");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  ASSERT_TRUE(next_with(event("queried")));
  auto ok = post("/2018-06-01/runtime/invocation/queried/response?x=1", R"("fine")");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  EXPECT_EQ(message().body, R"("fine")");
}

TEST_F(RuntimeApiTest, ErrorCarriesTheErrorTypeHeader) {
  ASSERT_TRUE(next_with(event("req-3")));
  httplib::Headers headers{{"Lambda-Runtime-Function-Error-Type", "Function.Bad"}};
  auto res = post("/2018-06-01/runtime/invocation/req-3/error",
                  R"({"errorMessage":"bad","errorType":"Function.Bad"})", headers);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::error);
  EXPECT_EQ(m.error_type, "Function.Bad");
  EXPECT_EQ(m.body, R"({"errorMessage":"bad","errorType":"Function.Bad"})");
}

TEST_F(RuntimeApiTest, SixMegabyteLimitIsExactAndAnswered413) {
  ASSERT_TRUE(next_with(event("big-1")));
  std::string at_limit(runtime_api::kMaxPayloadBytes, 'x');
  auto ok = post("/2018-06-01/runtime/invocation/big-1/response", at_limit);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::response);
  EXPECT_EQ(m.body.size(), runtime_api::kMaxPayloadBytes);
}

// An error is a payload for the caller too: past the limit, it is refused
// as a response is.
TEST_F(RuntimeApiTest, OverLimitResponseOrErrorIs413WithLambdasBody) {
  const std::string over(runtime_api::kMaxPayloadBytes + 1, 'x');
  for (const std::string what : {"response", "error"}) {
    ASSERT_TRUE(next_with(event("big-" + what)));
    auto res = post("/2018-06-01/runtime/invocation/big-" + what + "/" + what, over);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413) << what;
    EXPECT_EQ(
        res->body,
        R"({"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"})");
    auto m = message();
    EXPECT_EQ(m.kind, MessageKind::response_too_large) << what;
    EXPECT_EQ(m.size, runtime_api::kMaxPayloadBytes + 1);
  }
}

TEST_F(RuntimeApiTest, InitErrorIsAcceptedOnlyDuringInit) {
  httplib::Headers headers{{"Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError"}};
  auto res = post("/2018-06-01/runtime/init/error", R"({"errorMessage":"no config"})", headers);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::init_error);
  EXPECT_EQ(m.error_type, "Runtime.ConfigError");
  ASSERT_TRUE(next_with(event("after-init")));
  auto late = post("/2018-06-01/runtime/init/error", "{}");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 403);
}

TEST_F(RuntimeApiTest, ChunkedRequestBodyIsAccepted) {
  ASSERT_TRUE(next_with(event("chunked")));
  std::string answer =
      raw("POST /2018-06-01/runtime/invocation/chunked/response HTTP/1.1\r\nHost: x\r\n"
          "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
          "202");
  EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  auto m = message();
  EXPECT_EQ(m.body, "hello world");
}

// curl asks before it sends a body over 1 KB, and waits a second for the go.
TEST_F(RuntimeApiTest, ExpectContinueIsAnsweredAtOnce) {
  ASSERT_TRUE(next_with(event("expect")));
  const std::string body(2000, 'x');
  std::string answer =
      raw("POST /2018-06-01/runtime/invocation/expect/response HTTP/1.1\r\nHost: x\r\n"
          "Expect: 100-continue\r\nContent-Length: 2000\r\n\r\n",
          "100 Continue", body, "202");
  EXPECT_EQ(answer.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202", 0), 0u) << answer;
  EXPECT_EQ(message().body, body);
}

// A response and the next GET /next in one write: the response is taken, and
// the GET waits for the next event.
TEST_F(RuntimeApiTest, PipelinedNextWaitsForTheNextEvent) {
  ASSERT_TRUE(next_with(event("first")));
  std::promise<std::string> got;
  std::thread runtime([&] {
    port_for_raw = server_->port();
    got.set_value(
        raw_blocking("POST /2018-06-01/runtime/invocation/first/response HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 2\r\n\r\n{}GET /2018-06-01/runtime/invocation/next "
                     "HTTP/1.1\r\nHost: x\r\n\r\n",
                     "", "second-body"));
  });
  EXPECT_EQ(message().kind, MessageKind::response);
  EXPECT_EQ(message().kind, MessageKind::next_requested);
  server_->deliver(event("second", "second-body"));
  auto answers = got.get_future();
  std::string both = serve_until(answers);
  runtime.join();
  EXPECT_NE(both.find("HTTP/1.1 202"), std::string::npos) << both;
  EXPECT_NE(both.find("Lambda-Runtime-Aws-Request-Id: second"), std::string::npos) << both;
}

// Two connections wait on GET /next and the second's request is read while
// the event is delivered: it takes the event, and the first keeps waiting
// for the next one (a flooding runtime made the engine hand out an event
// it no longer had).
TEST_F(RuntimeApiTest, AnEventGoesToOneWaitingNextOnly) {
  auto read_answer = [](int fd) {
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  };
  const std::string next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
  int first = connect_to(server_->port());
  ASSERT_GE(first, 0);
  ASSERT_EQ(::write(first, next.data(), next.size()), static_cast<ssize_t>(next.size()));
  EXPECT_EQ(message().kind, MessageKind::next_requested);  // the first waits
  int second = connect_to(server_->port());
  ASSERT_GE(second, 0);
  for (int i = 0; i < 20; ++i) (void)server_->take();  // accepted, nothing read yet
  ASSERT_EQ(::write(second, next.data(), next.size()), static_cast<ssize_t>(next.size()));
  ::usleep(20000);
  server_->deliver(event("only"));
  EXPECT_NE(read_answer(second).find("Request-Id: only"), std::string::npos);
  server_->deliver(event("later"));
  EXPECT_NE(read_answer(first).find("Request-Id: later"), std::string::npos);
  ::close(first);
  ::close(second);
}

// Python's urllib asks for a connection per request.
TEST_F(RuntimeApiTest, ConnectionCloseGetsItsEventAndTheConnectionEnds) {
  port_for_raw = server_->port();
  auto pending = std::async(std::launch::async, [] {
    return raw_blocking(
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "", "");
  });
  EXPECT_EQ(message().kind, MessageKind::next_requested);
  server_->deliver(event("closing", "{\"b\":2}"));
  std::string answer = serve_until(pending);  // read until the server closed
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_EQ(answer.substr(answer.size() - 7), "{\"b\":2}") << answer;
}

// A runtime needs a connection or two: a function opening many cannot make
// the engine hold a body of up to 6 MB for each. A client that opens one per
// request and keeps the old ones loses its oldest idle one, not the request.
TEST_F(RuntimeApiTest, ConnectionsBeyondEightReplaceTheOldestIdleOne) {
  std::vector<int> fds;
  for (int i = 0; i < 9; ++i) {
    int fd = connect_to(server_->port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    for (int turn = 0; turn < 20 && !server_->take(); ++turn) {
      pollfd p{server_->notify_fd(), POLLIN, 0};
      ::poll(&p, 1, 5);
    }
  }
  timeval second{1, 0};
  ::setsockopt(fds.front(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  char byte = 0;
  EXPECT_EQ(::read(fds.front(), &byte, 1), 0) << "the oldest idle connection is closed";
  const std::string next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(fds.back(), next.data(), next.size()), static_cast<ssize_t>(next.size()));
  EXPECT_EQ(message().kind, MessageKind::next_requested) << "the ninth serves";
  for (int fd : fds) ::close(fd);
}

// A client whose GET /next timed out closes that connection and asks again
// on a new one: the event goes to the request that still waits for it.
TEST_F(RuntimeApiTest, AnEventSkipsANextItsClientGaveUpOn) {
  const std::string next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
  int abandoned = connect_to(server_->port());
  ASSERT_GE(abandoned, 0);
  ASSERT_EQ(::write(abandoned, next.data(), next.size()), static_cast<ssize_t>(next.size()));
  EXPECT_EQ(message().kind, MessageKind::next_requested);
  ::close(abandoned);
  port_for_raw = server_->port();
  auto pending = std::async(std::launch::async, [&] { return raw_blocking(next, "", "{\"a\":1}"); });
  EXPECT_EQ(message().kind, MessageKind::next_requested);
  server_->deliver(event("kept"));
  std::string answer = serve_until(pending);
  EXPECT_NE(answer.find("Lambda-Runtime-Aws-Request-Id: kept"), std::string::npos) << answer;
}

// Response streaming: an error after the stream began comes in trailers
// (Lambda-Runtime-Function-Error-Type, -Error-Body in base64).
TEST_F(RuntimeApiTest, AStreamedResponseThatFailsIsTheInvocationsError) {
  ASSERT_TRUE(next_with(event("streamed")));
  const std::string request =
      "POST /2018-06-01/runtime/invocation/streamed/response HTTP/1.1\r\nHost: x\r\n"
      "Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n"
      "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n"
      "6\r\npart1,\r\n0\r\nLambda-Runtime-Function-Error-Type: Function.StreamFailed\r\n"
      "Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJsb3N0In0=\r\n\r\n";
  std::string answer = raw(request, "\r\n\r\n{");
  EXPECT_EQ(answer.rfind("HTTP/1.1 202", 0), 0u) << answer;
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::error);
  EXPECT_EQ(m.error_type, "Function.StreamFailed");
  EXPECT_EQ(m.body, R"({"errorMessage":"lost"})");
}

TEST_F(RuntimeApiTest, AnUnknownResponseModeIsRefused) {
  ASSERT_TRUE(next_with(event("moded")));
  auto res = post("/2018-06-01/runtime/invocation/moded/response", "{}",
                  {{"Lambda-Runtime-Function-Response-Mode", "bogus"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("InvalidFunctionResponseMode"), std::string::npos) << res->body;
  // The invocation fails at once with Lambda's error, not at its timeout.
  auto m = message();
  EXPECT_EQ(m.kind, MessageKind::error);
  EXPECT_EQ(m.request_id, "moded");
  EXPECT_EQ(m.error_type, "Runtime.InvalidResponseModeHeader");
  EXPECT_EQ(
      m.body,
      R"({"errorMessage":"Invalid function response mode: bogus","errorType":"Runtime.InvalidResponseModeHeader"})");
}

// A client context is JSON, which may hold line breaks: in a header they
// would end the head and make the rest the body.
TEST_F(RuntimeApiTest, AClientContextWithLineBreaksStaysOneHeader) {
  auto e = event("context");
  e.client_context = "{\n  \"custom\": {\"k\": \"v\"},\r\n\n  \"env\": {}\n}";
  auto res = next_with(e);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, R"({"a":1})");
  EXPECT_EQ(res->get_header_value("Lambda-Runtime-Client-Context"),
            R"({   "custom": {"k": "v"},     "env": {} })");
}

// `printf 'GET ...' | nc -N` ends its side once the request is sent.
TEST_F(RuntimeApiTest, AHalfClosedNextIsStillAnswered) {
  port_for_raw = server_->port();
  auto pending = std::async(std::launch::async, [] {
    return raw_blocking("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n", "", "", "",
                        true);
  });
  EXPECT_EQ(message().kind, MessageKind::next_requested);
  server_->deliver(event("half", "{\"c\":3}"));
  std::string answer = serve_until(pending);  // read until the server closed
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("{\"c\":3}"), std::string::npos) << answer;
}

TEST_F(RuntimeApiTest, MalformedRequestIsAnswered400AndClosed) {
  std::string answer = raw("GARBAGE\x01 / HTTP/1.1\r\n\r\n", "");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
}

TEST_F(RuntimeApiTest, KeepAliveServesManyInvocationsOnOneConnection) {
  for (int i = 0; i < 20; ++i) {
    std::string id = "k-" + std::to_string(i);
    ASSERT_TRUE(next_with(event(id)));
    auto res = post("/2018-06-01/runtime/invocation/" + id + "/response", "{}");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202);
    EXPECT_EQ(message().kind, MessageKind::response);
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
