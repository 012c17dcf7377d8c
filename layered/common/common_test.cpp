#include "common/common.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace layered {
namespace {

TEST(FormatError, PutsWhereBeforeMessageAndHintOnSecondLine) {
  Error e = make_error("no export named 'X' found", "App/Fn.Properties.Layers[0]",
                       "deploy the stack that exports 'X' first");
  EXPECT_EQ(format_error(e),
            "layered: error: App/Fn.Properties.Layers[0]: no export named 'X' found\n"
            "  deploy the stack that exports 'X' first");
}

TEST(FormatError, OmitsEmptyParts) { EXPECT_EQ(format_error(make_error("boom")), "layered: error: boom"); }

Result<int> half(int x) {
  if (x % 2) return make_error("odd");
  return x / 2;
}

Status chain(int x, int* out) {
  auto h = half(x);
  if (!h) return h.error();
  *out = *h;
  return Ok{};
}

TEST(Result, CarriesValueOrError) {
  int out = 0;
  EXPECT_TRUE(chain(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = chain(3, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "odd");
}

TEST(DidYouMean, SuggestsCloseNamesOnly) {
  std::vector<std::string> names{"deploy", "destroy", "invoke"};
  EXPECT_EQ(did_you_mean("deplyo", names), "did you mean 'deploy'?");
  EXPECT_EQ(did_you_mean("zzzzzzzz", names), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(QuotedNames, QuotesEachNameOfAList) {
  EXPECT_EQ(quoted_names({}), "");
  EXPECT_EQ(quoted_names({"A"}), "'A'");
  EXPECT_EQ(quoted_names({"A", "B"}), "'A' and 'B'");
  EXPECT_EQ(quoted_names({"A", "B", "C"}), "'A', 'B' and 'C'");
}

TEST(ReadBounded, StopsAtTheLimitWithoutReadingTheRest) {
  // /dev/zero never ends: the read must, one byte past the limit.
  auto r = read_bounded("/dev/zero", 1000, "/dev/zero");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->over_limit);
  EXPECT_TRUE(r->bytes.empty());
}

TEST(ReadBounded, ReadsAFileUpToTheLimitAndRefusesALargerOneBySize) {
  const std::string path = ::testing::TempDir() + "read-bounded.txt";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("0123456789", f);
    std::fclose(f);
  }
  auto exact = read_bounded(path, 10, "f");
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->over_limit);
  EXPECT_EQ(exact->bytes, "0123456789");
  auto small = read_bounded(path, 9, "f");
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(small->over_limit);
  auto missing = read_bounded(path + ".missing", 9, "shown");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot read the file: No such file or directory");
  EXPECT_EQ(missing.error().where, "shown");
  std::remove(path.c_str());
}

TEST(JsonNestingDepth, CountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(json_nesting_depth("1"), 0u);
  EXPECT_EQ(json_nesting_depth(R"({"a": [1, {"b": []}]})"), 4u);
  EXPECT_EQ(json_nesting_depth(R"(["[[[{", "\"[[", "]]]"])"), 1u);
  EXPECT_EQ(json_nesting_depth(std::string(100000, '[')), 100000u);
  EXPECT_EQ(json_nesting_depth("]]]}}[\xff\x00"), 1u);  // any bytes, never negative
}

TEST(Base64, EncodesWithPaddingAndDecodesOnlyWhatItWouldWrite) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  for (const std::string& bytes :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x80", 3)})
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  for (const char* bad : {"Zg=", "Z===", "Zg=a", "e30=e30=", "not base64", "Zm9v\n"})
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
}

}  // namespace
}  // namespace layered
