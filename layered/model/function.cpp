#include <algorithm>
#include <cctype>

#include "model/model.hpp"

namespace layered::model {

std::string Function::display_name() const { return construct_path.empty() ? name : construct_path; }

std::string layer_display_name(const std::string& arn) {
  const auto at = arn.find(":layer:");
  return at == std::string::npos ? arn : arn.substr(at + 7);
}

namespace {

std::vector<std::string> fields_of(const std::string& arn) {
  std::vector<std::string> fields(1);
  for (char c : arn) {
    if (c == ':') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// Non-empty, each character passing `test` or in `also`.
bool made_of(const std::string& text, int (*test)(int), std::string_view also = "") {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return test(static_cast<unsigned char>(c)) || also.find(c) != std::string_view::npos;
  });
}

}  // namespace

std::optional<LayerVersionId> parse_layer_version_arn(const std::string& arn) {
  const auto f = fields_of(arn);
  const bool ok = f.size() == 8 && f[0] == "arn" && f[1].starts_with("aws") && f[2] == "lambda" &&
                  made_of(f[3], std::isalnum, "-") && f[4].size() == 12 && made_of(f[4], std::isdigit) &&
                  f[5] == "layer" && f[6].size() <= 140 && made_of(f[6], std::isalnum, "-_") &&
                  f[7].size() <= 9 && made_of(f[7], std::isdigit);
  if (!ok) return std::nullopt;
  return LayerVersionId{f[6], std::stoi(f[7])};
}

}  // namespace layered::model
