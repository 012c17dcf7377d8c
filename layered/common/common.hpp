// Shared vocabulary of the engine: one error type, returned as a value.
#pragma once

#include <cassert>
#include <string>
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

}  // namespace layered

// Propagates an error from an expression returning Result<T>/Status.
#define LAYERED_TRY(expr)                                                         \
  do {                                                                            \
    auto layered_try_result_ = (expr);                                            \
    if (!layered_try_result_.ok()) return std::move(layered_try_result_.error()); \
  } while (0)
