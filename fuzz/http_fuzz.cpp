// libFuzzer target for the cpputils Runtime API client's response parser:
// bytes from a socket must give complete/incomplete/invalid, never a crash
// or a read past the end.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto head = cpputils::http::parse_response_head(bytes);
  if (head.state != cpputils::http::Parse::complete || !head.head.chunked) return 0;
  // Feed the body in two steps, as the client does when data trickles in.
  std::string body = bytes.substr(head.head.size);
  cpputils::http::ChunkedScanner scanner;
  auto first = scanner.scan(std::string_view(body).substr(0, body.size() / 2));
  if (first.state == cpputils::http::Parse::invalid) return 0;
  auto done = scanner.scan(body);
  if (done.state == cpputils::http::Parse::complete) (void)scanner.assemble(body.data());
  return 0;
}
