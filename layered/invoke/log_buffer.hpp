// An environment's log as the engine keeps it (internal to invoke): bounded
// whatever the function writes. The first and the last bytes are kept (the
// start of a failure and Lambda's 4 KB tail with END and REPORT), with one
// marker where the middle was dropped.
#pragma once

#include <cstddef>
#include <string>

namespace layered::invoke {

class LogBuffer {
 public:
  static constexpr std::size_t kHeadBytes = 512 * 1024;
  static constexpr std::size_t kTailBytes = 512 * 1024;

  void append(const char* data, std::size_t size);
  // Appends `text` and a newline, on a line of its own.
  void line(const std::string& text);
  bool empty() const { return head_.empty(); }
  std::size_t dropped() const { return dropped_; }
  // The log so far (head, marker, tail), and a fresh start.
  std::string take();

 private:
  std::string head_;
  std::string tail_;  // a ring of kTailBytes once full
  std::size_t tail_start_ = 0;
  std::size_t dropped_ = 0;
  char last_ = '\n';
};

}  // namespace layered::invoke
