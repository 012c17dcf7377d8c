#include "http_message.hpp"

#include <charconv>
#include <cstring>

namespace cpputils::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// Splits off the text before the first CRLF; false when there is none.
bool take_line(std::string_view& rest, std::string_view& line) {
  std::size_t end = rest.find("\r\n");
  if (end == std::string_view::npos) return false;
  line = rest.substr(0, end);
  rest.remove_prefix(end + 2);
  return true;
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

std::optional<std::size_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

HeadResult invalid(std::string error) {
  HeadResult result;
  result.state = Parse::invalid;
  result.error = std::move(error);
  return result;
}

bool parse_status_line(std::string_view line, ResponseHead& head, bool& http10) {
  // "HTTP/1.1 200 OK": the reason phrase may be empty.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
  if (line[7] != '0' && line[7] != '1') return false;
  http10 = line[7] == '0';
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return false;
  head.status = status;
  return status >= 100;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

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

HeadResult parse_response_head(std::string_view bytes) {
  std::size_t end = bytes.substr(0, max_head_size).find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() >= max_head_size) {
      return invalid("response head exceeds " + std::to_string(max_head_size) + " bytes");
    }
    return {};
  }
  HeadResult result;
  ResponseHead& head = result.head;
  head.size = end + 4;
  std::string_view rest = bytes.substr(0, end + 2);  // every line ends with CRLF
  std::string_view line;
  take_line(rest, line);
  bool http10 = false;
  if (!parse_status_line(line, head, http10)) {
    return invalid("malformed status line '" + std::string(line.substr(0, 80)) + "'");
  }
  bool keep_alive = false;
  while (take_line(rest, line)) {
    std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      return invalid("malformed header line '" + std::string(line.substr(0, 80)) + "'");
    }
    Header h{line.substr(0, colon), trim(line.substr(colon + 1))};
    for (char c : h.name) {
      if (!is_token_char(c)) return invalid("malformed header name '" + std::string(h.name) + "'");
    }
    if (iequals(h.name, "content-length")) {
      auto length = parse_decimal(h.value);
      if (!length || (head.content_length && *head.content_length != *length)) {
        return invalid("invalid Content-Length '" + std::string(h.value) + "'");
      }
      head.content_length = length;
    } else if (iequals(h.name, "transfer-encoding")) {
      head.chunked = lists_token(h.value, "chunked");
      if (!head.chunked) return invalid("unsupported Transfer-Encoding '" + std::string(h.value) + "'");
    } else if (iequals(h.name, "connection")) {
      head.close = head.close || lists_token(h.value, "close");
      keep_alive = keep_alive || lists_token(h.value, "keep-alive");
    }
    head.headers.push_back(h);
  }
  if (http10 && !keep_alive) head.close = true;
  if (head.chunked) head.content_length.reset();  // RFC 9112 6.3: chunked wins
  result.state = Parse::complete;
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
