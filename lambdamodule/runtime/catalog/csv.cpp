#include "csv.hpp"

#include <stdexcept>

namespace catalog {

namespace {

std::runtime_error csv_error(std::string_view source, int line, std::string_view what) {
  return std::runtime_error(std::string(source) + ":" + std::to_string(line) + ": " + std::string(what));
}

}  // namespace

std::vector<CsvRow> parse_csv(std::string_view text, std::string_view source) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;
  int line = 1;
  int row_line = 1;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    if (!rows.empty() && row.size() != rows.front().size()) {
      throw csv_error(
          source, row_line,
          "expected " + std::to_string(rows.front().size()) + " fields, found " + std::to_string(row.size()));
    }
    rows.push_back(std::move(row));
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        line += c == '\n';
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      end_row();
      row_line = ++line;
    } else if (c != '\r') {
      field += c;
    }
  }
  if (quoted) throw csv_error(source, row_line, "unterminated quoted field");
  if (!field.empty() || !row.empty()) end_row();
  return rows;
}

}  // namespace catalog
