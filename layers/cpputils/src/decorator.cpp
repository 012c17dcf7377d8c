// The handler decorator: one JSON log line per invocation.
//
// A decorated invocation runs only code that the runtime client touches
// anyway, or little more: a page of a shared library that is touched once
// stays resident, and the kernel maps its neighbours with it (fault-around,
// 64 KB at a time). Measured with bench/runtime_client.sh (DECORATED=1),
// the decorator used to cost 0.28 MB of peak RSS; now about 0.06 MB, the
// page of glibc that reads the clock. So:
// - No <iostream>: its static initialisation (the standard streams and their
//   locale) would run in every process that loads the layer (about 0.6 MB).
// - No printf for durationMs: "%.3f" brings in glibc's floating-point
//   formatting.
// - The default log line goes to fd 1 with write(2), not through stdio;
//   stdio's stdout is flushed first when the handler left output in it, so
//   the lines stay in order with what printf and a synchronised std::cout
//   print.
// - The clock is read with clock_gettime, not steady_clock::now(), which is
//   out of line in libstdc++, alone in its 64 KB.
#include "cpputils/decorator.hpp"

#include <stdio_ext.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

#include "json.hpp"

namespace cpputils {
namespace {

// CLOCK_MONOTONIC, the clock std::chrono::steady_clock reads.
std::chrono::nanoseconds monotonic_now() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

// The log line, built on the stack: it fits unless the function's name, the
// request id or an error message is long, and only then goes to the heap.
// No allocation per invocation.
class LineBuilder {  // NOLINT(cppcoreguidelines-pro-type-member-init): see the constructor
 public:
  // The stack buffer is left unfilled: every byte is written before it is read.
  LineBuilder() = default;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  LineBuilder(const LineBuilder&) = delete;
  LineBuilder& operator=(const LineBuilder&) = delete;

  LineBuilder& append(std::string_view text) {
    if (text.size() > capacity_ - size_) grow(text.size());
    std::memcpy(data_ + size_, text.data(), text.size());
    size_ += text.size();
    return *this;
  }
  // Escaped for a JSON string; plain text (a request id) is copied as it is.
  LineBuilder& append_escaped(std::string_view text) {
    return json_plain(text) ? append(text) : escape(text);
  }
  // Room for `n` bytes written in place, then commit() what was written.
  char* room(std::size_t n) {
    if (n > capacity_ - size_) grow(n);
    return data_ + size_;
  }
  void commit(std::size_t n) { size_ += n; }
  std::string_view view() const { return {data_, size_}; }

 private:
  LineBuilder& escape(std::string_view text) {
    std::string escaped;
    append_json_escaped(escaped, text);
    return append(escaped);
  }

  void grow(std::size_t more) {
    std::size_t capacity = std::max(2 * capacity_, size_ + more);
    auto heap = std::make_unique_for_overwrite<char[]>(capacity);
    std::memcpy(heap.get(), data_, size_);
    heap_ = std::move(heap);
    data_ = heap_.get();
    capacity_ = capacity;
  }

  std::array<char, 512> stack_;
  std::unique_ptr<char[]> heap_;
  char* data_ = stack_.data();
  std::size_t capacity_ = stack_.size();
  std::size_t size_ = 0;
};

// Milliseconds with three decimals (as "%.3f" prints them), to the nearest
// microsecond.
void append_milliseconds(LineBuilder& out, std::chrono::nanoseconds elapsed) {
  auto micros = static_cast<unsigned long long>((std::max(elapsed.count(), std::int64_t{0}) + 500) / 1000);
  constexpr std::size_t kMost = 24;  // 20 digits, the point and three decimals
  char* text = out.room(kMost);
  char* end = std::to_chars(text, text + kMost - 4, micros / 1000).ptr;
  auto fraction = static_cast<unsigned>(micros % 1000);
  *end++ = '.';
  *end++ = static_cast<char>('0' + fraction / 100);
  *end++ = static_cast<char>('0' + fraction / 10 % 10);
  *end++ = static_cast<char>('0' + fraction % 10);
  out.commit(static_cast<std::size_t>(end - text));
}

// `function_field` is the line from the function's name to the requestId's
// opening quote, built once at decorate().
void build_log_line(LineBuilder& line, const std::string& function_field, std::string_view request_id,
                    std::chrono::nanoseconds elapsed, const InvocationResponse& result) {
  if (result.is_success()) {  // each a constant: copied inline
    line.append("{\"level\":\"INFO\"");
  } else {
    line.append("{\"level\":\"ERROR\"");
  }
  line.append(function_field).append_escaped(request_id);
  line.append("\",\"durationMs\":");
  append_milliseconds(line, elapsed);
  if (result.is_success()) {
    line.append(",\"outcome\":\"success\"}\n");
  } else {
    line.append(",\"outcome\":\"error\",\"errorType\":\"").append_escaped(result.error_type());
    line.append("\",\"errorMessage\":\"").append_escaped(result.error_message());
    line.append("\"}\n");
  }
}

// Whether the handler left output in stdio's stdout buffer. glibc's FILE
// has public write pointers: reading them costs nothing, while __fpending
// sits with the rest of stdio in glibc.
bool stdout_has_pending_output() {
#if defined(__GLIBC__)
  if (stdout->_mode <= 0) return stdout->_IO_write_ptr > stdout->_IO_write_base;  // byte-oriented
#endif
  return __fpending(stdout) > 0;
}

// A log line that cannot be written is lost; the invocation goes on.
void write_stdout(std::string_view line) {
  if (stdout_has_pending_output()) std::fflush(stdout);
  while (!line.empty()) {
    ssize_t written = ::write(STDOUT_FILENO, line.data(), line.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    line.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Flushed at once: the function may be frozen right after it answers.
void write_line(std::ostream* log, std::string_view line) {
  if (log != nullptr) {
    log->write(line.data(), static_cast<std::streamsize>(line.size()));
    log->flush();
  } else {
    write_stdout(line);
  }
}

}  // namespace

// `options` by value is the layer's ABI (decorator.hpp).
Handler decorate(Handler handler, DecoratorOptions options) {  // NOLINT(performance-unnecessary-value-param)
  // The name is escaped once, not in every log line.
  std::string function_field = ",\"function\":\"" + json_escape(options.name) + "\",\"requestId\":\"";
  return [handler = std::move(handler), function_field = std::move(function_field),
          log = options.log](const InvocationRequest& request) {
    std::chrono::nanoseconds start = monotonic_now();
    InvocationResponse result = [&] {
      try {
        return handler(request);
      } catch (...) {
        return failure_from_exception(std::current_exception());
      }
    }();
    LineBuilder line;
    build_log_line(line, function_field, request.request_id, monotonic_now() - start, result);
    write_line(log, line.view());
    return result;
  };
}

}  // namespace cpputils
