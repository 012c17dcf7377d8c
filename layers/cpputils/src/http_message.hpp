// Parsing of HTTP/1.1 responses from the Runtime API. Internal to cpputils.
//
// Everything here works on views of the receive buffer and checks every
// read against its bounds (the bytes come from a socket: a broken or hostile
// peer must produce an error, never a read past the end).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cpputils::http {

// ASCII case-insensitive comparison: HTTP header names are case-insensitive.
// Inline and exact-match first: the client compares every header name of
// every response against the few it knows, and servers send them as written.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    auto lower = static_cast<unsigned char>(x | 0x20);
    if ((x ^ y) != 0x20 || lower < 'a' || lower > 'z') return false;
  }
  return true;
}

// A decimal number of 8 to 19 digits (SWAR); nullopt if any is not a digit.
std::optional<std::size_t> parse_long_decimal(std::string_view text);

// A decimal number of digits only (no sign, no blanks), as Content-Length
// and Lambda-Runtime-Deadline-Ms are written; nullopt otherwise. At most 19
// digits: the value cannot overflow. Inline for the few digits of a
// Content-Length; a deadline in milliseconds has 13.
inline std::optional<std::size_t> parse_decimal(std::string_view text) {
  if (text.size() >= 8) return text.size() <= 19 ? parse_long_decimal(text) : std::nullopt;
  if (text.empty()) return std::nullopt;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

struct Header {
  std::string_view name;
  std::string_view value;  // leading and trailing blanks removed
  int known = -1;          // index of the name among the parser's KnownNames, -1 if none
};

enum class Parse { complete, incomplete, invalid };

struct ResponseHead {
  int status = 0;
  std::size_t size = 0;         // bytes of the head, including the blank line
  std::vector<Header> headers;  // all, or only the known ones (KnownNames::Others)
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool close = false;  // the server will close the connection after this response

  // The value of the first header called `name` (any case), "" if absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Whether the response carries no body whatever its headers say (1xx, 204, 304).
  bool bodyless() const { return (status >= 100 && status < 200) || status == 204 || status == 304; }
};

// A head larger than this is refused (Lambda's headers are a few KB at most;
// Client-Context is at most 3,583 bytes of base64).
inline constexpr std::size_t kMaxHeadSize = std::size_t{256} * 1024;

struct HeadResult {
  Parse state = Parse::incomplete;
  ResponseHead head;
  std::string error;  // when invalid
};

// Parses the status line and headers at the start of `bytes` into `head`,
// reusing its storage (no allocation per response once warm); `error` says
// why when the result is invalid. `head` is meaningful only when complete.
// Header names a caller reads, in canonical case (at most 16 names of fewer
// than 64 characters), indexed by length once, at compile time where the
// names are constants: matching a header then costs one comparison.
// A caller that reads nothing else has the other headers checked but not
// kept in ResponseHead::headers (Others::dropped).
class KnownNames {
 public:
  enum class Others { kept, dropped };

  constexpr KnownNames() { by_length_.fill(kNone); }
  constexpr explicit KnownNames(std::span<const std::string_view> names, Others others = Others::kept)
      : names_(names), keep_others_(others == Others::kept) {
    by_length_.fill(kNone);
    next_.fill(kNone);
    if (names.size() > next_.size()) throw std::length_error("too many known header names");
    for (std::size_t i = names.size(); i-- > 0;) {  // each length chains its names in order
      if (names[i].size() >= by_length_.size()) throw std::length_error("known header name too long");
      next_[i] = by_length_[names[i].size()];
      by_length_[names[i].size()] = static_cast<std::uint8_t>(i);
    }
  }
  bool keeps_others() const { return keep_others_; }
  // The index of `name` written exactly as known, -1 if none.
  int exact(std::string_view name) const {
    if (name.size() >= by_length_.size()) return -1;
    for (std::uint8_t i = by_length_[name.size()]; i != kNone; i = next_[i]) {
      if (names_[i] == name) return i;
    }
    return -1;
  }
  // The index of `name` in any case, -1 if none.
  int any_case(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (iequals(name, names_[i])) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  static constexpr std::uint8_t kNone = 0xFF;
  std::span<const std::string_view> names_;
  bool keep_others_ = true;
  std::array<std::uint8_t, 64> by_length_{};  // first name of each length
  std::array<std::uint8_t, 16> next_{};       // next name of the same length
};

// No names: constants, not a table filled at every call.
inline constexpr KnownNames kNoKnownNames;
inline constexpr KnownNames kNoHeadersKept({}, KnownNames::Others::dropped);

// `known` are names the caller reads: each header is matched against them
// (any case) in the same pass and marked with its index (Header::known).
Parse parse_response_head(std::string_view bytes, ResponseHead& head, std::string& error,
                          const KnownNames& known = kNoKnownNames);

// The same, into a fresh result (tests, fuzzing).
HeadResult parse_response_head(std::string_view bytes);

// Finds the end of a chunked body incrementally: feed it the bytes after the
// head each time more have arrived; it resumes where it stopped, so a large
// body costs O(size) in total. When complete, `assemble` moves the chunk data
// together in place so that the body is contiguous at the start of the data.
class ChunkedScanner {
 public:
  struct Result {
    Parse state = Parse::incomplete;
    std::size_t consumed = 0;  // bytes of the chunked encoding, when complete
    std::string error;
  };
  Result scan(std::string_view data);
  // Compacts the chunks of `data` (the same bytes given to scan) to its start;
  // returns the body size.
  std::size_t assemble(char* data) const;

 private:
  struct Span {
    std::size_t offset;
    std::size_t size;
  };
  std::size_t next_ = 0;  // offset of the next chunk-size line
  bool in_trailers_ = false;
  std::vector<Span> chunks_;
};

}  // namespace cpputils::http
