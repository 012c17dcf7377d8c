// CloudFormation's template quotas (docs/cloudformation-limits.md), checked
// on the raw JSON before anything is copied into the model, and the bounds
// on evaluation that keep a hostile template from growing without end.
#include <vector>

#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

const char* const kFormatError = "Template format error: ";

bool alphanumeric(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

const Json* find_object(const Json& tpl, const char* section) {
  auto it = tpl.find(section);
  return it != tpl.end() && it->is_object() ? &*it : nullptr;
}

// "Resource", "Output", "Parameter", "Mapping": names are logical ids, at
// most 255 characters of [A-Za-z0-9].
Status check_names(const Json& section, const char* kind, const std::string& where) {
  for (const auto& [name, value] : section.items()) {
    if (name.size() > kMaxNameLength) {
      return make_error(std::string(kFormatError) + kind + " name " + name.substr(0, 40) + "... is " +
                            std::to_string(name.size()) + " characters long; the maximum is " +
                            std::to_string(kMaxNameLength),
                        where);
    }
    if (!alphanumeric(name)) {
      return make_error(std::string(kFormatError) + kind + " name " + name + " is non alphanumeric.", where,
                        "logical ids use only the letters A-Z, a-z and the digits 0-9");
    }
  }
  return Ok{};
}

Status check_counts(const Json& tpl, const std::string& stack) {
  const std::string split =
      "split the template into several stacks (or nested stacks), as CloudFormation requires";
  if (const Json* r = find_object(tpl, "Resources"); r && r->size() > kMaxResources) {
    return make_error(std::string(kFormatError) + "Number of resources, " + std::to_string(r->size()) +
                          ", is greater than maximum allowed, " + std::to_string(kMaxResources),
                      stack, split);
  }
  if (const Json* o = find_object(tpl, "Outputs"); o && o->size() > kMaxOutputs) {
    return make_error(std::string(kFormatError) + "Outputs count " + std::to_string(o->size()) +
                          " is greater than max allowed " + std::to_string(kMaxOutputs),
                      stack, split);
  }
  if (const Json* p = find_object(tpl, "Parameters"); p && p->size() > kMaxParameters) {
    return make_error(std::string(kFormatError) + "Parameter count " + std::to_string(p->size()) +
                          " is greater than max allowed " + std::to_string(kMaxParameters),
                      stack, "use mappings, or list parameters that hold several values");
  }
  if (const Json* m = find_object(tpl, "Mappings")) {
    if (m->size() > kMaxMappings) {
      return make_error(std::string(kFormatError) + "Mappings count " + std::to_string(m->size()) +
                            " is greater than max allowed " + std::to_string(kMaxMappings),
                        stack, split);
    }
    for (const auto& [name, mapping] : m->items()) {
      if (mapping.is_object() && mapping.size() > kMaxMappingAttributes) {
        return make_error(std::string(kFormatError) + "Mapping attributes count " +
                              std::to_string(mapping.size()) + " is greater than max allowed " +
                              std::to_string(kMaxMappingAttributes),
                          stack + "/Mappings/" + name, "split the attributes into several mappings");
      }
    }
  }
  return Ok{};
}

// The deepest nesting of `root`, walked with a stack of our own: this runs
// before anything recursive may touch the template.
std::size_t nesting_depth(const Json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const Json*, std::size_t>> todo{{&root, 1}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, depth);
    if (depth > kMaxJsonDepth) break;
    for (const Json& child : *v) todo.emplace_back(&child, depth + 1);
  }
  return deepest;
}

}  // namespace

Status check_template_limits(const Json& tpl, const std::string& stack) {
  if (nesting_depth(tpl) > kMaxJsonDepth) {
    return make_error(
        "the template nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) + " levels",
        stack, "CloudFormation templates nest a few levels deep; fix what generated this one");
  }
  LAYERED_TRY(check_counts(tpl, stack));
  const std::pair<const char*, const char*> sections[] = {
      {"Resources", "Resource"}, {"Outputs", "Output"}, {"Parameters", "Parameter"}, {"Mappings", "Mapping"}};
  for (const auto& [section, kind] : sections) {
    if (const Json* s = find_object(tpl, section)) LAYERED_TRY(check_names(*s, kind, stack + "/" + section));
  }
  if (auto d = tpl.find("Description");
      d != tpl.end() && d->is_string() && d->get_ref<const std::string&>().size() > kMaxDescriptionBytes) {
    return make_error(std::string(kFormatError) + "the template description is " +
                          std::to_string(d->get_ref<const std::string&>().size()) +
                          " bytes; the maximum is " + std::to_string(kMaxDescriptionBytes),
                      stack + "/Description");
  }
  return Ok{};
}

std::size_t approximate_size(const Json& root) {
  // Strings by their bytes, every other node by what nlohmann keeps for it.
  constexpr std::size_t kNode = 16;
  std::size_t total = 0;
  std::vector<const Json*> todo{&root};
  while (!todo.empty()) {
    const Json* v = todo.back();
    todo.pop_back();
    total += kNode;
    if (v->is_string()) total += v->get_ref<const std::string&>().size();
    if (v->is_object()) {
      for (const auto& [key, child] : v->items()) {
        total += key.size();
        todo.push_back(&child);
      }
    } else if (v->is_array()) {
      for (const Json& child : *v) todo.push_back(&child);
    }
  }
  return total;
}

Status Evaluator::Impl::check_string(std::size_t bytes, const std::string& where) const {
  if (bytes <= kMaxValueBytes) return Ok{};
  return make_error(
      "a string evaluates to " + std::to_string(bytes) + " bytes; layered evaluates none over " +
          std::to_string(kMaxValueBytes) + " bytes (the largest template CloudFormation takes)",
      where, "a template that multiplies a string through nested functions (Fn::Join, Fn::Sub) is refused");
}

Status Evaluator::Impl::charge(std::size_t bytes, const std::string& where) const {
  produced += bytes;
  if (produced <= kMaxEvaluationBytes) return Ok{};
  return make_error("evaluating the template produced over " + std::to_string(kMaxEvaluationBytes) +
                        " bytes of values; layered stops here",
                    where,
                    "a template that multiplies values through nested functions (Fn::Join, Fn::Sub, "
                    "Fn::FindInMap) is refused");
}

}  // namespace layered::cfn
