#include "http_message.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace cpputils::http {
namespace {

inline std::string_view trim(std::string_view s) {
  const char* begin = s.data();
  const char* end = begin + s.size();
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (begin < end && blank(*begin)) ++begin;
  while (end > begin && blank(end[-1])) --end;
  return {begin, static_cast<std::size_t>(end - begin)};
}

// A header value without its blanks. Servers write ": value": that one blank
// is dropped without a loop; anything else is trimmed in full.
inline std::string_view header_value(std::string_view raw) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (raw.size() > 1 && raw.front() == ' ' && !blank(raw[1]) && !blank(raw.back())) return raw.substr(1);
  return trim(raw);
}

// RFC 9110 tchar, as a table: every byte of every header name is checked.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// Four bytes a step without a branch per byte: header names are most of the
// bytes of a Runtime API head.
bool is_token(std::string_view name) {
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  const std::size_t n = name.size();
  bool ok = true;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ok &= kTokenChars[p[i]] & kTokenChars[p[i + 1]] & kTokenChars[p[i + 2]] & kTokenChars[p[i + 3]];
  }
  for (; i < n; ++i) ok &= kTokenChars[p[i]];
  return ok;
}

// Whether `name` is one every Runtime API response carries, as servers
// write it.
bool is_common(std::string_view name) {
  switch (name.size()) {
    case 4:
      return name == "Date";
    case 10:
      return name == "Connection";
    case 12:
      return name == "Content-Type";
    case 14:
      return name == "Content-Length";
    case 17:
      return name == "Transfer-Encoding";
    default:
      return false;
  }
}

// The value of eight ASCII digits read at once (SWAR, as simdjson does);
// false if any byte is not a digit.
bool eight_digits(std::uint64_t x, std::uint64_t& value) {
  constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0;
  if (((x & kHigh) | (((x + 0x0606060606060606) & kHigh) >> 4)) != 0x3333333333333333) return false;
  x -= 0x3030303030303030;
  x = (x * 10) + (x >> 8);  // pairs of digits
  constexpr std::uint64_t kPairs = 0x000000FF000000FF;
  value =
      (((x & kPairs) * (100 + (1000000ULL << 32))) + (((x >> 16) & kPairs) * (1 + (10000ULL << 32)))) >> 32;
  return true;
}

std::uint64_t load_word(const char* text) {
  static_assert(std::endian::native == std::endian::little);
  std::uint64_t x = 0;
  std::memcpy(&x, text, sizeof x);
  return x;
}

}  // namespace

// Eight digits at once, then the rest with the eight bytes that end the
// text, those already read replaced by '0'. No loop: at most three words.
std::optional<std::size_t> parse_long_decimal(std::string_view text) {
  static constexpr std::array<std::size_t, 8> kPowers = {1,      10,      100,       1'000,
                                                         10'000, 100'000, 1'000'000, 10'000'000};
  std::uint64_t value = 0;
  if (!eight_digits(load_word(text.data()), value)) return std::nullopt;
  std::size_t done = 8;
  if (text.size() >= 16) {
    std::uint64_t eight = 0;
    if (!eight_digits(load_word(text.data() + 8), eight)) return std::nullopt;
    value = value * 100'000'000 + eight;
    done = 16;
  }
  if (std::size_t tail = text.size() - done; tail > 0) {
    std::uint64_t read = ~std::uint64_t{0} >> (8 * tail);  // the low bytes: the first in memory
    std::uint64_t x = (load_word(text.data() + text.size() - 8) & ~read) | (0x3030303030303030 & read);
    std::uint64_t last = 0;
    if (!eight_digits(x, last)) return std::nullopt;
    value = value * kPowers[tail] + last;
  }
  return value;
}

namespace {

// Splits off the text before the first CRLF; false when there is none.
inline bool take_line(std::string_view& rest, std::string_view& line) {
  const char* begin = rest.data();
  const char* end = begin + rest.size();
  for (const char* at = begin; at < end;) {
    const auto* cr = static_cast<const char*>(std::memchr(at, '\r', static_cast<std::size_t>(end - at)));
    if (cr == nullptr || cr + 1 == end) return false;
    if (cr[1] == '\n') {
      line = std::string_view(begin, static_cast<std::size_t>(cr - begin));
      rest = std::string_view(cr + 2, static_cast<std::size_t>(end - cr - 2));
      return true;
    }
    at = cr + 1;
  }
  return false;
}

// Whether a comma-separated header value lists `token` (any case).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

Parse invalid(std::string& error, std::string message) {
  error = std::move(message);
  return Parse::invalid;
}

bool parse_status_line(std::string_view line, ResponseHead& head, bool& http10) {
  // "HTTP/1.1 200 OK": the reason phrase may be empty.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  if (line[7] != '0' && line[7] != '1') return false;
  http10 = line[7] == '0';
  auto digit = [&line](std::size_t i) { return static_cast<unsigned>(line[i]) - '0'; };  // > 9 if none
  const unsigned hundreds = digit(9);
  const unsigned tens = digit(10);
  const unsigned ones = digit(11);
  if (hundreds > 9 || tens > 9 || ones > 9) return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  head.status = static_cast<int>((hundreds * 100) + (tens * 10) + ones);
  return head.status >= 100;
}

// The head has no blank line yet: wait for more bytes, unless there cannot be
// any end within the limit.
Parse head_incomplete(std::string_view bytes, std::string& error) {
  if (bytes.size() >= kMaxHeadSize) {
    return invalid(error, "response head exceeds " + std::to_string(kMaxHeadSize) + " bytes");
  }
  return Parse::incomplete;
}

}  // namespace

std::string_view ResponseHead::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

bool ResponseHead::has_header(std::string_view name) const {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return true;
  }
  return false;
}

// One pass over the lines: a head that has not fully arrived is found
// incomplete at its last line, without searching for the blank line first.
Parse parse_response_head(std::string_view bytes, ResponseHead& head, std::string& error,
                          const KnownNames& known) {
  head.status = 0;
  head.size = 0;
  head.headers.clear();
  head.content_length.reset();
  head.chunked = false;
  head.close = false;
  std::string_view rest = bytes.substr(0, kMaxHeadSize);
  std::string_view line;
  if (!take_line(rest, line)) return head_incomplete(bytes, error);
  bool http10 = false;
  if (!parse_status_line(line, head, http10)) {
    return invalid(error, "malformed status line '" + std::string(line.substr(0, 80)) + "'");
  }
  bool keep_alive = false;
  for (;;) {
    if (!take_line(rest, line)) return head_incomplete(bytes, error);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return invalid(error, "malformed header line '" + std::string(line.substr(0, 80)) + "'");
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = header_value(line.substr(colon + 1));
    // The fast path: a name we read or a common one, written as servers
    // write it, is a token without checking it byte by byte.
    int index = known.exact(name);
    if (index < 0 && !is_common(name)) {
      if (!is_token(name)) return invalid(error, "malformed header name '" + std::string(name) + "'");
      index = known.any_case(name);
    }
    // Names as servers write them: an exact match is the fast path of iequals.
    if (iequals(name, "Content-Length")) {
      auto length = parse_decimal(value);
      if (!length || (head.content_length && *head.content_length != *length)) {
        return invalid(error, "invalid Content-Length '" + std::string(value) + "'");
      }
      head.content_length = length;
    } else if (iequals(name, "Transfer-Encoding")) {
      head.chunked = lists_token(value, "chunked");
      if (!head.chunked) return invalid(error, "unsupported Transfer-Encoding '" + std::string(value) + "'");
    } else if (iequals(name, "Connection")) {
      head.close = head.close || lists_token(value, "close");
      keep_alive = keep_alive || lists_token(value, "keep-alive");
    }
    if (index >= 0 || known.keeps_others()) head.headers.push_back(Header{name, value, index});
  }
  head.size = static_cast<std::size_t>(rest.data() - bytes.data());
  if (http10 && !keep_alive) head.close = true;
  if (head.chunked) head.content_length.reset();  // RFC 9112 6.3: chunked wins
  return Parse::complete;
}

HeadResult parse_response_head(std::string_view bytes) {
  HeadResult result;
  result.state = parse_response_head(bytes, result.head, result.error);
  return result;
}

ChunkedScanner::Result ChunkedScanner::scan(std::string_view data) {
  Result result;
  while (next_ <= data.size()) {
    std::string_view rest = data.substr(next_);
    std::string_view line;
    if (!take_line(rest, line)) return result;  // incomplete
    std::size_t line_size = line.size() + 2;
    if (in_trailers_) {
      next_ += line_size;
      if (line.empty()) {
        result.state = Parse::complete;
        result.consumed = next_;
        return result;
      }
      continue;
    }
    std::string_view digits = trim(line.substr(0, line.find(';')));  // drop chunk extensions
    std::size_t size = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      result.state = Parse::invalid;
      result.error = "malformed chunk size '" + std::string(line.substr(0, 40)) + "'";
      return result;
    }
    if (size == 0) {
      in_trailers_ = true;
      next_ += line_size;
      continue;
    }
    if (rest.size() < 2 || size > rest.size() - 2) return result;  // incomplete
    if (rest.substr(size, 2) != "\r\n") {
      result.state = Parse::invalid;
      result.error = "chunk data not followed by CRLF";
      return result;
    }
    chunks_.push_back({next_ + line_size, size});
    next_ += line_size + size + 2;
  }
  return result;
}

std::size_t ChunkedScanner::assemble(char* data) const {
  std::size_t size = 0;
  for (const Span& chunk : chunks_) {
    std::memmove(data + size, data + chunk.offset, chunk.size);
    size += chunk.size;
  }
  return size;
}

}  // namespace cpputils::http
