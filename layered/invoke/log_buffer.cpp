#include "invoke/log_buffer.hpp"

#include <algorithm>

namespace layered::invoke {

void LogBuffer::append(const char* data, std::size_t size) {
  if (size == 0) return;
  last_ = data[size - 1];
  std::size_t to_head = std::min(size, kHeadBytes - head_.size());
  head_.append(data, to_head);
  data += to_head;
  size -= to_head;
  if (size == 0) return;
  // Only the last kTailBytes of what is left can survive.
  if (size > kTailBytes) {
    dropped_ += size - kTailBytes + tail_.size();
    data += size - kTailBytes;
    size = kTailBytes;
    tail_.assign(data, size);
    tail_start_ = 0;
    return;
  }
  std::size_t room = kTailBytes - tail_.size();
  std::size_t to_fill = std::min(size, room);
  tail_.append(data, to_fill);
  data += to_fill;
  size -= to_fill;
  // Full: overwrite the oldest bytes in place (size <= kTailBytes here).
  dropped_ += size;
  std::size_t first = std::min(size, kTailBytes - tail_start_);
  tail_.replace(tail_start_, first, data, first);
  tail_.replace(0, size - first, data + first, size - first);
  tail_start_ = (tail_start_ + size) % kTailBytes;
}

void LogBuffer::line(const std::string& text) {
  if (last_ != '\n') append("\n", 1);
  append(text.data(), text.size());
  append("\n", 1);
}

std::string LogBuffer::take() {
  std::string out = std::move(head_);
  if (dropped_ > 0) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "[layered: " + std::to_string(dropped_) + " bytes of output dropped here]\n";
  }
  out.append(tail_, tail_start_, std::string::npos);
  out.append(tail_, 0, tail_start_);
  *this = LogBuffer{};
  return out;
}

}  // namespace layered::invoke
