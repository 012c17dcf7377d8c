// Lambda's ClientContext: base64 of a JSON object, passed decoded to the
// runtime (see invoke.hpp).
#include <nlohmann/json.hpp>

#include "invoke/invoke.hpp"

namespace layered::invoke {

Result<std::string> decode_client_context(std::string_view base64) {
  if (base64.size() > kMaxClientContextBytes) {
    return make_error(
        "1 validation error detected: Value at 'clientContext' failed to satisfy constraint: "
        "Member must have length less than or equal to " +
        std::to_string(kMaxClientContextBytes));
  }
  auto json = base64_decode(base64);
  if (!json || !nlohmann::json::parse(*json, nullptr, false).is_object())
    return make_error("Client context must be a valid Base64-encoded JSON object.");
  return std::move(*json);
}

}  // namespace layered::invoke
