// Shared vocabulary of the engine: one error type, returned as a value.
#pragma once

#include <cassert>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace layered {

// What went wrong, where (a file, a stack, or a template path such as
// `Stack/Resource.Properties.Layers[1]`), and what the user can do about it.
struct Error {
  std::string message;
  std::string where;
  std::string hint;
};

// `layered: error: <where>: <message>` and, when there is a hint, a second
// line `  <hint>`. No trailing newline.
std::string format_error(const Error& error);

// Builds an Error; `where` and `hint` are optional.
Error make_error(std::string message, std::string where = {}, std::string hint = {});

// A value or an Error (std::expected is C++23; we target C++20).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(data_);
  }
  Error& error() {
    assert(!ok());
    return std::get<1>(data_);
  }

 private:
  std::variant<T, Error> data_;
};

struct Ok {};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}                                                     // NOLINT(google-explicit-constructor)
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }
  Error& error() {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word` if it is close enough to be a likely typo,
// else an empty string.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// `did you mean 'x'?` or an empty string.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// Names for a message, each in its own quotes, so that a list never reads
// as one name: "'A'", "'A' and 'B'", "'A', 'B' and 'C'".
std::string quoted_names(const std::vector<std::string>& names);

// ---- bounded input -------------------------------------------------------

// What a bounded read got: the bytes, or only the news that there were more
// than the limit (the rest is never read).
struct BoundedRead {
  std::string bytes;
  bool over_limit = false;
};

// Reads at most `limit` bytes of `path`. A regular file larger than `limit`
// is refused by its size, unread; anything else (a pipe, a device such as
// /dev/zero) is read up to `limit + 1` bytes and then left. Errors name
// `shown` (how the user named the file).
Result<BoundedRead> read_bounded(const std::filesystem::path& path, std::size_t limit,
                                 const std::string& shown);
// The same for an open descriptor (stdin), which is not closed.
Result<BoundedRead> read_bounded(int fd, std::size_t limit, const std::string& shown);

// Standard base64 with padding (RFC 4648): the Invoke API's log tail and
// CodeSha256 out, its ClientContext in. Decoding refuses anything else.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// The deepest nesting of arrays and objects in JSON text, counting brackets
// outside strings, in one pass and no memory, whatever the bytes are. Lets a
// caller refuse input that a recursive walk (a copy, a dump, an evaluator)
// would overflow the stack on, before it is parsed.
std::size_t json_nesting_depth(std::string_view text);

// How deep JSON that layered reads (templates, events, responses) may nest.
// Real CDK templates stay under 20 levels; the recursive walks over parsed
// JSON (nlohmann's copy and dump, the template evaluator) need a few
// hundred bytes to a few kilobytes of stack per level.
inline constexpr std::size_t kMaxJsonDepth = 256;

// An nlohmann::json exception's text without its "[json.exception.x.n] "
// tag: what a user reads.
std::string json_exception_text(const std::exception& e);

}  // namespace layered

// Propagates an error from an expression returning Result<T>/Status.
#define LAYERED_TRY(expr)                                                         \
  do {                                                                            \
    auto layered_try_result_ = (expr);                                            \
    if (!layered_try_result_.ok()) return std::move(layered_try_result_.error()); \
  } while (0)
