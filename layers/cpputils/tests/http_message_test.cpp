#include "http_message.hpp"

#include <gtest/gtest.h>

namespace cpputils::http {
namespace {

TEST(ParseResponseHead, ReadsStatusHeadersAndLength) {
  std::string bytes =
      "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: abc\r\nContent-Length:  5 \r\n\r\nhello";
  HeadResult r = parse_response_head(bytes);
  ASSERT_EQ(r.state, Parse::complete) << r.error;
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(r.head.size, bytes.size() - 5);
  EXPECT_EQ(r.head.header("Lambda-Runtime-Aws-Request-Id"), "abc");  // any case
  EXPECT_EQ(r.head.content_length, 5u);
  EXPECT_FALSE(r.head.chunked);
  EXPECT_FALSE(r.head.close);
  EXPECT_EQ(r.head.header("Missing"), "");
  EXPECT_FALSE(r.head.has_header("Missing"));
}

TEST(ParseResponseHead, MarksTheKnownNamesInAnyCaseAndStillChecksTheOthers) {
  static constexpr std::string_view kNames[] = {"Lambda-Runtime-Aws-Request-Id", "Content-Type"};
  constexpr KnownNames kKnown(kNames);
  ResponseHead head;
  std::string error;
  std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: a\r\nDate: b\r\nlambda-runtime-aws-request-id: c\r\n\r\n";
  ASSERT_EQ(parse_response_head(bytes, head, error, kKnown), Parse::complete) << error;
  ASSERT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(head.headers[0].known, 1);
  EXPECT_EQ(head.headers[1].known, -1);
  EXPECT_EQ(head.headers[2].known, 0);
  EXPECT_EQ(head.headers[2].value, "c");
  // The same storage is reused for the next response.
  ASSERT_EQ(parse_response_head("HTTP/1.1 202 Accepted\r\nBad Name: x\r\n\r\n", head, error, kKnown),
            Parse::invalid);
  EXPECT_EQ(error, "malformed header name 'Bad Name'");
}

TEST(ParseResponseHead, KeepsOnlyTheKnownHeadersWhenTheCallerReadsNothingElse) {
  static constexpr std::string_view kNames[] = {"Lambda-Runtime-Aws-Request-Id"};
  constexpr KnownNames kKnown(kNames, KnownNames::Others::dropped);
  ResponseHead head;
  std::string error;
  std::string bytes =
      "HTTP/1.1 200 OK\r\nDate: b\r\nlambda-runtime-aws-request-id: c\r\nConnection: close\r\n"
      "X-Other: d\r\nContent-Length: 2\r\n\r\nhi";
  ASSERT_EQ(parse_response_head(bytes, head, error, kKnown), Parse::complete) << error;
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.headers[0].known, 0);
  EXPECT_EQ(head.headers[0].value, "c");
  // The framing headers still count, and the others are still checked.
  EXPECT_EQ(head.content_length, 2u);
  EXPECT_TRUE(head.close);
  ASSERT_EQ(parse_response_head("HTTP/1.1 202 Accepted\r\nBad Name: x\r\n\r\n", head, error, kNoHeadersKept),
            Parse::invalid);
  EXPECT_EQ(error, "malformed header name 'Bad Name'");
  ASSERT_EQ(parse_response_head("HTTP/1.1 202 Accepted\r\nDate: x\r\n\r\n", head, error, kNoHeadersKept),
            Parse::complete);
  EXPECT_TRUE(head.headers.empty());
}

TEST(ParseResponseHead, IsIncompleteUntilTheBlankLine) {
  std::string bytes = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(parse_response_head(std::string_view(bytes).substr(0, n)).state, Parse::incomplete) << n;
  }
  EXPECT_EQ(parse_response_head(bytes).state, Parse::complete);
}

TEST(ParseResponseHead, EmptyReasonAndConnectionClose) {
  HeadResult r = parse_response_head("HTTP/1.1 500\r\nConnection: keep-alive, Close\r\n\r\n");
  ASSERT_EQ(r.state, Parse::complete) << r.error;
  EXPECT_EQ(r.head.status, 500);
  EXPECT_TRUE(r.head.close);
  EXPECT_TRUE(parse_response_head("HTTP/1.0 200 OK\r\n\r\n").head.close);
  EXPECT_FALSE(parse_response_head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").head.close);
}

TEST(ParseResponseHead, ChunkedWinsOverContentLength) {
  HeadResult r =
      parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(r.state, Parse::complete);
  EXPECT_TRUE(r.head.chunked);
  EXPECT_FALSE(r.head.content_length);
}

TEST(ParseResponseHead, RejectsMalformedHeads) {
  struct Case {
    const char* bytes;
    const char* error;
  };
  for (const Case& c : {
           Case{"HTTP/2 200 OK\r\n\r\n", "malformed status line 'HTTP/2 200 OK'"},
           Case{"HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line 'HTTP/1.1 2x0 OK'"},
           Case{"HTTP/1.1 200OK\r\n\r\n", "malformed status line 'HTTP/1.1 200OK'"},
           Case{"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "malformed header line 'NoColon'"},
           Case{"HTTP/1.1 200 OK\r\n: empty\r\n\r\n", "malformed header line ': empty'"},
           Case{"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header name 'Bad Name'"},
           Case{"HTTP/1.1 200 OK\r\n folded\r\n\r\n", "malformed header line ' folded'"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length '-1'"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "invalid Content-Length '99999999999999999999'"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "invalid Content-Length '2'"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding 'gzip'"},
       }) {
    HeadResult r = parse_response_head(c.bytes);
    EXPECT_EQ(r.state, Parse::invalid) << c.bytes;
    EXPECT_EQ(r.error, c.error);
  }
}

TEST(ParseResponseHead, RefusesAnEndlessHead) {
  std::string bytes = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxHeadSize, 'a');
  HeadResult r = parse_response_head(bytes);
  EXPECT_EQ(r.state, Parse::invalid);
  EXPECT_EQ(r.error, "response head exceeds 262144 bytes");
}

TEST(ParseDecimal, DigitsOnlyUpToNineteen) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("12345678"), 12345678u);
  EXPECT_EQ(parse_decimal("1764370000123"), 1764370000123u);
  EXPECT_EQ(parse_decimal("9999999999999999999"), 9999999999999999999u);
  EXPECT_EQ(parse_decimal("00000000000000000042"), std::nullopt);  // 20 digits
  EXPECT_EQ(parse_decimal(""), std::nullopt);
  for (const char* bad : {"-1", "+1", " 1", "1 ", "0x10", "1e3"})
    EXPECT_EQ(parse_decimal(bad), std::nullopt) << bad;
  // A wrong byte anywhere, inside an eight-digit step or after it.
  std::string digits = "1234567890123";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    for (char c : {'/', ':', 'a', '\0', '\xb0'}) {
      std::string bad = digits;
      bad[i] = c;
      EXPECT_EQ(parse_decimal(bad), std::nullopt) << i << " " << static_cast<int>(c);
    }
  }
}

TEST(ChunkedScanner, AssemblesChunksInPlaceAndResumes) {
  std::string bytes = "5;name=value\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  ChunkedScanner scanner;
  // Feed it one byte more each time, as a socket might.
  std::size_t complete_at = 0;
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    ChunkedScanner::Result r = scanner.scan(std::string_view(bytes).substr(0, n));
    ASSERT_NE(r.state, Parse::invalid) << r.error;
    if (r.state == Parse::complete) {
      complete_at = n;
      EXPECT_EQ(r.consumed, bytes.size() - 4);
      break;
    }
  }
  EXPECT_EQ(complete_at, bytes.size() - 4);
  std::size_t size = scanner.assemble(bytes.data());
  EXPECT_EQ(bytes.substr(0, size), "hello, world");
}

TEST(ChunkedScanner, EmptyBody) {
  ChunkedScanner scanner;
  std::string bytes = "0\r\n\r\n";
  ChunkedScanner::Result r = scanner.scan(bytes);
  ASSERT_EQ(r.state, Parse::complete);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(scanner.assemble(bytes.data()), 0u);
}

TEST(ChunkedScanner, RejectsBadSizesAndMissingCrlf) {
  ChunkedScanner bad_size;
  ChunkedScanner::Result r = bad_size.scan("zz\r\nhello\r\n");
  EXPECT_EQ(r.state, Parse::invalid);
  EXPECT_EQ(r.error, "malformed chunk size 'zz'");
  ChunkedScanner huge;
  r = huge.scan("ffffffffffffffffff\r\n");
  EXPECT_EQ(r.state, Parse::invalid);
  ChunkedScanner no_crlf;
  r = no_crlf.scan("2\r\nhiXX0\r\n\r\n");
  EXPECT_EQ(r.state, Parse::invalid);
  EXPECT_EQ(r.error, "chunk data not followed by CRLF");
  ChunkedScanner truncated;
  EXPECT_EQ(truncated.scan("ffff\r\nabc").state, Parse::incomplete);  // waits, never reads past the end
}

}  // namespace
}  // namespace cpputils::http
