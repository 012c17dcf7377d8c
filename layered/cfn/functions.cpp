// Condition functions (Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not,
// Condition, and the rule functions Fn::Contains, Fn::EachMemberEquals,
// Fn::EachMemberIn) and list/string functions (Fn::Join, Fn::Select,
// Fn::Split, Fn::FindInMap, Fn::ToJsonString, Fn::Length).
#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

bool same(const Json& a, const Json& b) {
  auto sa = scalar_string(a);
  auto sb = scalar_string(b);
  if (sa && sb) return *sa == *sb;
  return a == b;
}

std::string at(const std::string& where, const std::string& fn, std::size_t i) {
  return where + "." + fn + "[" + std::to_string(i) + "]";
}

}  // namespace

Result<bool> Evaluator::Impl::condition_value(const std::string& name, const std::string& where) const {
  if (auto done = conditions.find(name); done != conditions.end()) return done->second;
  auto it = tpl->conditions.find(name);
  if (it == tpl->conditions.end()) {
    std::vector<std::string> names;
    for (const auto& [n, c] : tpl->conditions) names.push_back(n);
    return make_error("condition '" + name + "' is not defined", where, did_you_mean(name, names));
  }
  if (evaluating.count(name)) {
    return make_error("circular dependency between conditions: '" + name + "'",
                      prefix() + "Conditions/" + name);
  }
  evaluating.insert(name);
  auto value = eval_bool(it->second, prefix() + "Conditions/" + name, Context::condition);
  evaluating.erase(name);
  if (!value) return std::move(value.error());
  conditions[name] = *value;
  return *value;
}

Result<Value> Evaluator::Impl::condition_fn(const std::string& fn, const Json& arg, const std::string& where,
                                            Context ctx) const {
  if (fn == "Condition") {
    if (!arg.is_string()) return make_error("'Condition' needs a condition name", where);
    auto value = condition_value(arg.get<std::string>(), where);
    if (!value) return std::move(value.error());
    return Value(*value);
  }
  if (fn == "Fn::If") {
    if (!arg.is_array() || arg.size() != 3 || !arg[0].is_string()) {
      return make_error("'Fn::If' needs [condition name, value if true, value if false]", where);
    }
    auto value = condition_value(arg[0].get<std::string>(), at(where, fn, 0));
    if (!value) return std::move(value.error());
    const std::size_t branch = *value ? 1 : 2;
    return eval(arg[branch], at(where, fn, branch), ctx);
  }
  if (fn == "Fn::Not") {
    if (!arg.is_array() || arg.size() != 1) return make_error("'Fn::Not' needs [condition]", where);
    auto value = eval_bool(arg[0], at(where, fn, 0), ctx);
    if (!value) return std::move(value.error());
    return Value(!*value);
  }
  if (fn == "Fn::And" || fn == "Fn::Or") {
    if (!arg.is_array() || arg.size() < 2 || arg.size() > 10) {
      return make_error("'" + fn + "' needs a list of 2 to 10 conditions", where);
    }
    const bool is_and = fn == "Fn::And";
    for (std::size_t i = 0; i < arg.size(); ++i) {
      auto value = eval_bool(arg[i], at(where, fn, i), ctx);
      if (!value) return std::move(value.error());
      if (*value != is_and) return Value(!is_and);
    }
    return Value(is_and);
  }
  if (!arg.is_array() || arg.size() != 2) return make_error("'" + fn + "' needs two parameters", where);
  auto left = eval(arg[0], at(where, fn, 0), ctx);
  if (!left) return std::move(left.error());
  auto right = eval(arg[1], at(where, fn, 1), ctx);
  if (!right) return std::move(right.error());
  const Json a = left->value_or(Json());
  const Json b = right->value_or(Json());
  if (fn == "Fn::Equals") return Value(same(a, b));
  if (!a.is_array())
    return make_error("the first parameter of '" + fn + "' must be a list", at(where, fn, 0));
  if (fn == "Fn::Contains") {
    for (const Json& x : a) {
      if (same(x, b)) return Value(true);
    }
    return Value(false);
  }
  if (fn == "Fn::EachMemberEquals") {
    for (const Json& x : a) {
      if (!same(x, b)) return Value(false);
    }
    return Value(true);
  }
  // Fn::EachMemberIn
  if (!b.is_array())
    return make_error("the second parameter of '" + fn + "' must be a list", at(where, fn, 1));
  for (const Json& x : a) {
    bool found = false;
    for (const Json& y : b) found = found || same(x, y);
    if (!found) return Value(false);
  }
  return Value(true);
}

Result<Value> Evaluator::Impl::list_fn(const std::string& fn, const Json& arg, const std::string& where,
                                       Context ctx) const {
  if (fn == "Fn::ToJsonString" || fn == "Fn::Length") {
    auto value = eval(arg, where + "." + fn, ctx);
    if (!value) return std::move(value.error());
    const Json v = value->value_or(Json());
    if (fn == "Fn::ToJsonString") {
      std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
      LAYERED_TRY(check_string(text.size(), where));
      return Value(std::move(text));
    }
    if (!v.is_array()) return make_error("'Fn::Length' needs a list", where);
    return Value(Json(v.size()));
  }
  if (fn == "Fn::FindInMap") {
    if (!arg.is_array() || arg.size() < 3 || arg.size() > 4) {
      return make_error("'Fn::FindInMap' needs [MapName, TopLevelKey, SecondLevelKey]", where);
    }
    std::string keys[3];
    for (std::size_t i = 0; i < 3; ++i) {
      auto key = eval_string(arg[i], at(where, fn, i), ctx);
      if (!key) return std::move(key.error());
      keys[i] = *key;
    }
    const Json& m = tpl->mappings;
    if (m.contains(keys[0]) && m[keys[0]].is_object() && m[keys[0]].contains(keys[1]) &&
        m[keys[0]][keys[1]].is_object() && m[keys[0]][keys[1]].contains(keys[2])) {
      return Value(m[keys[0]][keys[1]][keys[2]]);
    }
    if (arg.size() == 4 && arg[3].is_object() && arg[3].contains("DefaultValue")) {
      return eval(arg[3]["DefaultValue"], at(where, fn, 3), ctx);
    }
    return make_error(
        "Template error: Unable to get mapping for " + keys[0] + "::" + keys[1] + "::" + keys[2], where);
  }
  if (!arg.is_array() || arg.size() != 2) return make_error("'" + fn + "' needs two parameters", where);
  if (fn == "Fn::Join") {
    auto delimiter = eval_string(arg[0], at(where, fn, 0), ctx);
    if (!delimiter) return std::move(delimiter.error());
    auto list = eval(arg[1], at(where, fn, 1), ctx);
    if (!list) return std::move(list.error());
    if (!*list || !(*list)->is_array()) {
      return make_error("'Fn::Join' needs a delimiter and a list of values", where);
    }
    std::vector<std::string> pieces;
    std::size_t total = 0;
    for (std::size_t i = 0; i < (*list)->size(); ++i) {
      auto piece = scalar_string((**list)[i]);
      if (!piece)
        return make_error("'Fn::Join' can join only strings",
                          at(where, fn, 1) + "[" + std::to_string(i) + "]");
      total += piece->size() + (i ? delimiter->size() : 0);
      pieces.push_back(std::move(*piece));
    }
    // Sized before it is built: a delimiter of a megabyte joining a long
    // list must not allocate gigabytes first.
    LAYERED_TRY(check_string(total, where));
    std::string out;
    out.reserve(total);
    for (std::size_t i = 0; i < pieces.size(); ++i) out += (i ? *delimiter : "") + pieces[i];
    return Value(out);
  }
  if (fn == "Fn::Split") {
    auto delimiter = eval_string(arg[0], at(where, fn, 0), ctx);
    if (!delimiter) return std::move(delimiter.error());
    auto source = eval_string(arg[1], at(where, fn, 1), ctx);
    if (!source) return std::move(source.error());
    if (delimiter->empty()) return make_error("'Fn::Split' needs a non-empty delimiter", where);
    Json out = Json::array();
    std::size_t pos = 0;
    for (std::size_t i = source->find(*delimiter); i != std::string::npos;
         i = source->find(*delimiter, pos)) {
      out.push_back(source->substr(pos, i - pos));
      pos = i + delimiter->size();
    }
    out.push_back(source->substr(pos));
    return Value(out);
  }
  // Fn::Select
  auto index = eval_string(arg[0], at(where, fn, 0), ctx);
  if (!index) return std::move(index.error());
  auto list = eval(arg[1], at(where, fn, 1), ctx);
  if (!list) return std::move(list.error());
  if (!*list || !(*list)->is_array()) return make_error("'Fn::Select' needs an index and a list", where);
  std::size_t n = 0;
  bool numeric = !index->empty() && index->find_first_not_of("0123456789") == std::string::npos;
  if (numeric) n = std::stoul(*index);
  if (!numeric || n >= (*list)->size()) {
    return make_error("Template error: Fn::Select cannot select nonexistent value at index " + *index, where);
  }
  return Value((**list)[n]);
}

}  // namespace layered::cfn
