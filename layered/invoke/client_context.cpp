// Lambda's ClientContext: base64 of a JSON object, passed decoded to the
// runtime (see invoke.hpp).
#include <array>
#include <nlohmann/json.hpp>

#include "invoke/invoke.hpp"

namespace layered::invoke {

namespace {

// Standard base64 with padding; nullopt on any other character or length.
std::optional<std::string> decode_base64(std::string_view text) {
  static const std::array<int, 256> value = [] {
    std::array<int, 256> v{};
    v.fill(-1);
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i)
      v[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    return v;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t at = 0; at < text.size(); at += 4) {
    const bool last = at + 4 == text.size();
    unsigned bits = 0;
    int pad = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = text[at + i];
      if (c == '=' && last && i >= 2 && (i == 3 || text[at + 3] == '=')) {
        ++pad;
        bits <<= 6;
        continue;
      }
      const int v = value[static_cast<unsigned char>(c)];
      if (v < 0 || pad > 0) return std::nullopt;
      bits = (bits << 6) | static_cast<unsigned>(v);
    }
    out += static_cast<char>((bits >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

}  // namespace

Result<std::string> decode_client_context(std::string_view base64) {
  if (base64.size() > kMaxClientContextBytes) {
    return make_error(
        "1 validation error detected: Value at 'clientContext' failed to satisfy constraint: "
        "Member must have length less than or equal to " +
        std::to_string(kMaxClientContextBytes));
  }
  auto json = decode_base64(base64);
  if (!json || !nlohmann::json::accept(*json) || !nlohmann::json::parse(*json).is_object())
    return make_error("Client context must be a valid Base64-encoded JSON object.");
  return std::move(*json);
}

}  // namespace layered::invoke
