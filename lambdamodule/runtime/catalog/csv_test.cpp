#include "csv.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using catalog::CsvRow;
using catalog::parse_csv;

TEST(Csv, ParsesQuotedFieldsWithCommasQuotesAndNewlines) {
  const auto rows = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z", "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (CsvRow{"a", "b"}));
  EXPECT_EQ(rows[1], (CsvRow{"x, y", "say \"hi\""}));
  EXPECT_EQ(rows[2], (CsvRow{"two\nlines", "z"}));
}

TEST(Csv, KeepsEmptyFields) { EXPECT_EQ(parse_csv("a,b,c\n,,\n", "t.csv").at(1), (CsvRow{"", "", ""})); }

TEST(Csv, NamesTheLineOfARaggedRow) {
  try {
    parse_csv("a,b\n1,2\n1,2,3\n", "data/catalog.csv");
    FAIL() << "accepted a ragged row";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "data/catalog.csv:3: expected 2 fields, found 3");
  }
}

TEST(Csv, NamesTheLineOfAnUnterminatedQuote) {
  try {
    parse_csv("a\n\"open\n", "t.csv");
    FAIL() << "accepted an unterminated quote";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "t.csv:2: unterminated quoted field");
  }
}

}  // namespace
