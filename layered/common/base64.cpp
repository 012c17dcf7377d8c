// Standard base64 with padding (RFC 4648 section 4), both ways.
#include <array>

#include "common/common.hpp"

namespace layered {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
  static const std::array<int, 256> values = [] {
    std::array<int, 256> v{};
    v.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
      v[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    return v;
  }();
  return values[static_cast<unsigned char>(c)];
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16U;
    if (left > 1) n |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
    if (left > 2) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += left > 1 ? kAlphabet[(n >> 6U) & 63U] : '=';
    out += left > 2 ? kAlphabet[n & 63U] : '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t at = 0; at < text.size(); at += 4) {
    // '=' only ends the last group: "xx==" or "xxx=".
    const bool last = at + 4 == text.size();
    const int pad = !last ? 0 : text[at + 3] != '=' ? 0 : text[at + 2] == '=' ? 2 : 1;
    unsigned bits = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const int v = i < 4U - static_cast<std::size_t>(pad) ? value_of(text[at + i]) : 0;
      if (v < 0) return std::nullopt;
      bits = (bits << 6U) | static_cast<unsigned>(v);
    }
    out += static_cast<char>((bits >> 16U) & 0xffU);
    if (pad < 2) out += static_cast<char>((bits >> 8U) & 0xffU);
    if (pad < 1) out += static_cast<char>(bits & 0xffU);
  }
  return out;
}

}  // namespace layered
