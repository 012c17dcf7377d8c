#include "model/model.hpp"

namespace layered::model {

std::string Function::display_name() const { return construct_path.empty() ? name : construct_path; }

std::string layer_display_name(const std::string& arn) {
  const auto at = arn.find(":layer:");
  return at == std::string::npos ? arn : arn.substr(at + 7);
}

}  // namespace layered::model
