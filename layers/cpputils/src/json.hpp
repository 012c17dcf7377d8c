// JSON string escaping into a caller's buffer. Internal to cpputils.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cpputils {

// Appends `text` escaped for a JSON string literal (without the quotes): the
// log lines and error bodies are built in one string, no temporary per field.
void append_json_escaped(std::string& out, std::string_view text);

// The high bit of some byte of `word` is set when one of its eight bytes
// needs escaping in a JSON string (SWAR). A byte below 0x20 or a quote: with
// bit 1 flipped (x ^ 0x02), the bytes below 0x20 stay below it and the quote
// (0x22) becomes 0x20, while no other byte falls below 0x21. A backslash: a
// zero byte of x ^ '\\'. Both tests are exact for "some byte of the word".
inline std::uint64_t json_special_bytes(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  auto has_byte_below = [](std::uint64_t x, std::uint64_t n) { return (x - kOnes * n) & ~x & kHigh; };
  return has_byte_below(word ^ (kOnes * 0x02), 0x21) | has_byte_below(word ^ (kOnes * '\\'), 1);
}

inline std::uint64_t json_load_word(const char* bytes) {
  std::uint64_t word = 0;
  std::memcpy(&word, bytes, sizeof word);
  return word;
}

// Whether `text` stands in a JSON string as it is (a request id does): its
// words are tested together, without a branch each. Inline: the decorator
// asks it of every request id.
inline bool json_plain(std::string_view text) {
  if (text.size() < 8) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\'; });
  }
  std::uint64_t special = json_special_bytes(json_load_word(text.data() + text.size() - 8));  // overlapping
  for (std::size_t at = 0; at + 8 < text.size(); at += 8)
    special |= json_special_bytes(json_load_word(text.data() + at));
  return special == 0;
}

// The length of the start of `text` that stands in a JSON string as it is:
// all of it for a request id and most messages.
std::size_t json_plain_prefix(std::string_view text);

}  // namespace cpputils
