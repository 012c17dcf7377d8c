// serve's connection loop (http_server.cpp), on loopback.
#include "invoke_api/http_server.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <re2/re2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace layered::invoke_api {
namespace {

// serve's connection loop, with an echo route and a raw client.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  int connect() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
  }
  static void send_all(int fd, const std::string& data) {
    ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
  }
  // Reads until `last` arrived, the connection closed, or 2 s passed.
  static std::string receive(int fd, const std::string& last) {
    std::string got;
    char buf[4096];
    while (got.find(last) == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
  static std::string post(const std::string& body, const std::string& extra = "") {
    return "POST /echo HTTP/1.1\r\nHost: x\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }
  HttpServer server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  int fd = connect();
  send_all(fd, post("one") + post("two") + post("three"));
  const std::string got = receive(fd, "three");
  ::close(fd);
  const auto one = got.find("one"), two = got.find("two"), three = got.find("three");
  ASSERT_NE(three, std::string::npos) << got;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST_F(HttpServerTest, SaysContinueBeforeItWaitsForTheBody) {
  int fd = connect();
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_NE(receive(fd, "\r\n\r\n").find("100 Continue"), std::string::npos);
  send_all(fd, "body");
  EXPECT_NE(receive(fd, "body").find("200 OK"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, KeepsTheConnectionAndClosesItWhenAsked) {
  int fd = connect();
  for (const char* body : {"a", "b", "c"}) {
    send_all(fd, post(body));
    EXPECT_NE(receive(fd, std::string("\r\n\r\n") + body).find("200 OK"), std::string::npos);
  }
  send_all(fd, post("last", "Connection: close\r\n"));
  EXPECT_NE(receive(fd, "last").find("Connection: close"), std::string::npos);
  char byte = 0;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << "closed after the answer";
  ::close(fd);
}

// Node's agent reuses a free socket for exactly the Keep-Alive timeout the
// server advertises: a request it sends just then must not meet the close.
TEST_F(HttpServerTest, KeepsAnIdleConnectionLongerThanItAdvertises) {
  int fd = connect();
  send_all(fd, post("first"));
  const std::string first = receive(fd, "first");
  ASSERT_NE(first.find("200 OK"), std::string::npos) << first;
  std::string hinted;
  ASSERT_TRUE(re2::RE2::PartialMatch(first, R"(\r\nKeep-Alive: timeout=(\d+))", &hinted)) << first;
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(hinted)) + std::chrono::milliseconds(500));
  send_all(fd, post("after the hint"));
  EXPECT_NE(receive(fd, "after the hint").find("200 OK"), std::string::npos)
      << "a request sent half a second past the advertised timeout is answered";
  ::close(fd);
}

TEST_F(HttpServerTest, StillClosesAnIdleConnectionSoonAfterTheHint) {
  int fd = connect();
  send_all(fd, post("once"));
  ASSERT_NE(receive(fd, "once").find("200 OK"), std::string::npos);
  const auto answered = std::chrono::steady_clock::now();
  timeval timeout{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char byte = 0;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << "closed by the server";
  EXPECT_LT(std::chrono::steady_clock::now() - answered, std::chrono::seconds(10));
  ::close(fd);
}

// A kept-alive connection holds a thread while it waits; a client beyond a
// fixed pool's threads used to wait for one of them to idle out (5 s).
TEST_F(HttpServerTest, AnswersANewClientWhileHundredsOfOthersStayConnected) {
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    int fd = connect();
    if (i % 2 == 0) {
      send_all(fd, post("kept"));
      EXPECT_NE(receive(fd, "kept").find("200 OK"), std::string::npos);
    } else {
      send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\npart");  // never finished
    }
    idle.push_back(fd);
  }
  const auto started = std::chrono::steady_clock::now();
  int fd = connect();
  send_all(fd, post("new client"));
  EXPECT_NE(receive(fd, "new client").find("200 OK"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  ::close(fd);
  for (int kept : idle) ::close(kept);
}

TEST(HttpDate, IsRfc9110sFixdate) {
  EXPECT_EQ(http_date(1796666400), "Mon, 07 Dec 2026 18:00:00 GMT");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date_now().size(), 29U);
}

// Its own answers (a route it lacks, a head it cannot read) as well as the
// handlers'.
TEST_F(HttpServerTest, DatesEveryAnswer) {
  for (const std::string& request : {post("dated"), std::string("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"),
                                     std::string("GARBAGE\r\n\r\n")}) {
    int fd = connect();
    send_all(fd, request);
    const std::string got = receive(fd, "\r\n\r\n");
    ::close(fd);
    EXPECT_TRUE(
        re2::RE2::PartialMatch(got, R"(\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n)"))
        << got;
  }
}

TEST(HttpServerAfterAnswer, RunsOnlyOnceTheAnswerHasLeft) {
  std::promise<void> answered;
  std::atomic<bool> ran{false};
  HttpServer server;
  server.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    // Deferred work that waits for the client to have its answer: run
    // before the answer is sent, it would hold it back for good.
    HttpServer::after_answer([&, done = answered.get_future().share()] {
      done.wait_for(std::chrono::seconds(3));
      ran = true;
    });
    res.set_content("ok", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(2, 0);
  auto res = client.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "ok");
  EXPECT_FALSE(ran) << "the work waits for the answer to be out, not the reverse";
  answered.set_value();
  server.stop();
  thread.join();
  EXPECT_TRUE(ran);
}

TEST(HttpServerStop, DoesNotWaitForAnIdleKeptAliveClient) {
  HttpServer server;
  server.Get("/",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  ASSERT_TRUE(client.Get("/"));
  const auto started = std::chrono::steady_clock::now();
  server.stop();
  thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

}  // namespace
}  // namespace layered::invoke_api
