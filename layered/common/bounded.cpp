// Reading untrusted input with a bound, and measuring JSON nesting before a
// parser builds it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/common.hpp"

namespace layered {

namespace {

Error read_error(const std::string& shown) {
  return make_error(std::string("cannot read the file: ") + std::strerror(errno), shown);
}

}  // namespace

Result<BoundedRead> read_bounded(int fd, std::size_t limit, const std::string& shown) {
  BoundedRead out;
  std::string& bytes = out.bytes;
  constexpr std::size_t kChunk = std::size_t{64} * 1024;
  while (bytes.size() <= limit) {
    const std::size_t want = std::min(kChunk, limit + 1 - bytes.size());
    const std::size_t used = bytes.size();
    bytes.resize(used + want);
    const ssize_t got = ::read(fd, bytes.data() + used, want);
    if (got < 0 && errno == EINTR) {
      bytes.resize(used);
      continue;
    }
    if (got < 0) return read_error(shown);
    bytes.resize(used + static_cast<std::size_t>(got));
    if (got == 0) return out;
  }
  out.over_limit = true;
  bytes.clear();
  bytes.shrink_to_fit();
  return out;
}

Result<BoundedRead> read_bounded(const std::filesystem::path& path, std::size_t limit,
                                 const std::string& shown) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return read_error(shown);
  struct stat st {};
  const bool known = ::fstat(fd, &st) == 0;
  Result<BoundedRead> out = BoundedRead{};
  if (known && S_ISDIR(st.st_mode)) {
    out = make_error("is a directory, not a file", shown);
  } else if (known && S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > limit) {
    out->over_limit = true;
  } else {
    out = read_bounded(fd, limit, shown);
  }
  ::close(fd);
  return out;
}

std::size_t json_nesting_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string json_exception_text(const std::exception& e) {
  std::string text = e.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    const auto end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

}  // namespace layered
