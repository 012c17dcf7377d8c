#include "common/common.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace layered
