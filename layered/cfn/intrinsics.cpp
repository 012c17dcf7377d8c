// Intrinsic functions: Ref, Fn::GetAtt, Fn::Sub and the dispatch of the
// others (list and condition functions live in functions.cpp).
#include <algorithm>

#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

const char* const kUnresolved = "Template format error: Unresolved resource dependencies [";

std::string unresolved(const std::string& name, const char* block = "Resources") {
  return kUnresolved + name + "] in the " + block + " block of the template";
}

}  // namespace

const std::vector<std::string>& supported_functions() {
  static const std::vector<std::string> names = {"Ref",
                                                 "Fn::GetAtt",
                                                 "Fn::Join",
                                                 "Fn::Sub",
                                                 "Fn::Select",
                                                 "Fn::Split",
                                                 "Fn::ImportValue",
                                                 "Fn::GetStackOutput",
                                                 "Fn::If",
                                                 "Fn::Equals",
                                                 "Fn::And",
                                                 "Fn::Or",
                                                 "Fn::Not",
                                                 "Fn::FindInMap",
                                                 "Fn::Base64",
                                                 "Fn::GetAZs",
                                                 "Fn::Contains",
                                                 "Fn::EachMemberEquals",
                                                 "Fn::EachMemberIn",
                                                 "Fn::ToJsonString",
                                                 "Fn::Length",
                                                 "Condition"};
  return names;
}

Result<Value> Evaluator::Impl::eval(const Json& v, const std::string& where, Context ctx) const {
  if (v.is_array()) {
    Json out = Json::array();
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto item = eval(v[i], where + "[" + std::to_string(i) + "]", ctx);
      if (!item) return std::move(item.error());
      if (*item) out.push_back(std::move(**item));
    }
    return Value(std::move(out));
  }
  if (!v.is_object()) {
    LAYERED_TRY(charge(v.is_string() ? v.get_ref<const std::string&>().size() : sizeof(Json), where));
    return Value(v);
  }
  for (const auto& [key, arg] : v.items()) {
    const bool function = key == "Ref" || key.rfind("Fn::", 0) == 0 ||
                          (key == "Condition" && (ctx == Context::condition || ctx == Context::rule));
    if (!function) continue;
    if (v.size() != 1) {
      return make_error("'" + key + "' must be the only key of its object", where);
    }
    auto out = call(key, arg, where, ctx);
    // What a function returns is new (Fn::If passes on what its branch made).
    if (out && *out && key != "Fn::If") LAYERED_TRY(charge(approximate_size(**out), where));
    return out;
  }
  Json out = Json::object();
  for (const auto& [key, x] : v.items()) {
    auto item = eval(x, where + "." + key, ctx);
    if (!item) return std::move(item.error());
    if (*item) out[key] = std::move(**item);
  }
  return Value(std::move(out));
}

Result<std::string> Evaluator::Impl::eval_string(const Json& v, const std::string& where, Context ctx) const {
  auto value = eval(v, where, ctx);
  if (!value) return std::move(value.error());
  if (!*value) return make_error("AWS::NoValue cannot be used here", where);
  auto s = scalar_string(**value);
  if (!s) return make_error("expected a string, got " + (*value)->dump(), where);
  return *s;
}

Result<bool> Evaluator::Impl::eval_bool(const Json& v, const std::string& where, Context ctx) const {
  auto value = eval(v, where, ctx);
  if (!value) return std::move(value.error());
  if (*value && (*value)->is_boolean()) return (*value)->get<bool>();
  if (*value && (*value)->is_string()) {
    const std::string s = (*value)->get<std::string>();
    if (s == "true" || s == "false") return s == "true";
  }
  return make_error(
      "expected a condition (true or false), got " + (*value ? (*value)->dump() : "AWS::NoValue"), where);
}

Result<Value> Evaluator::Impl::call(const std::string& fn, const Json& arg, const std::string& where,
                                    Context ctx) const {
  const std::string inner = where + "." + fn;
  if (fn == "Ref") {
    if (!arg.is_string()) return make_error("'Ref' needs a logical id or parameter name", where);
    return ref(arg.get<std::string>(), where, ctx);
  }
  if (fn == "Fn::GetAtt") return get_att(arg, where, ctx);
  if (fn == "Fn::Sub") return sub(arg, where, ctx);
  if (fn == "Fn::ImportValue") return import_value(arg, where, ctx);
  if (fn == "Fn::GetStackOutput") return get_stack_output(arg, where, ctx);
  if (fn == "Fn::Base64") {
    auto text = eval_string(arg, inner, ctx);
    if (!text) return std::move(text.error());
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    LAYERED_TRY(check_string((text->size() + 2) / 3 * 4, where));
    std::string out;
    const std::string& s = *text;
    for (std::size_t i = 0; i < s.size(); i += 3) {
      unsigned n = static_cast<unsigned>(static_cast<unsigned char>(s[i])) << 16;
      if (i + 1 < s.size()) n |= static_cast<unsigned>(static_cast<unsigned char>(s[i + 1])) << 8;
      if (i + 2 < s.size()) n |= static_cast<unsigned char>(s[i + 2]);
      out += alphabet[(n >> 18) & 63];
      out += alphabet[(n >> 12) & 63];
      out += i + 1 < s.size() ? alphabet[(n >> 6) & 63] : '=';
      out += i + 2 < s.size() ? alphabet[n & 63] : '=';
    }
    return Value(out);
  }
  if (fn == "Fn::GetAZs") {
    auto region = eval_string(arg, inner, ctx);
    if (!region) return std::move(region.error());
    const std::string r = region->empty() ? env.region : *region;
    // us-east-1 has six zones (a to f) in an account as AWS creates it;
    // for other regions three stand for what the account would see.
    Json zones = Json::array();
    for (const char* letter : {"a", "b", "c", "d", "e", "f"}) {
      if (zones.size() == (r == "us-east-1" ? 6u : 3u)) break;
      zones.push_back(r + letter);
    }
    return Value(std::move(zones));
  }
  if (fn == "Fn::If" || fn == "Fn::Equals" || fn == "Fn::And" || fn == "Fn::Or" || fn == "Fn::Not" ||
      fn == "Condition" || fn == "Fn::Contains" || fn == "Fn::EachMemberEquals" || fn == "Fn::EachMemberIn") {
    return condition_fn(fn, arg, where, ctx);
  }
  if (fn == "Fn::Join" || fn == "Fn::Select" || fn == "Fn::Split" || fn == "Fn::FindInMap" ||
      fn == "Fn::ToJsonString" || fn == "Fn::Length") {
    return list_fn(fn, arg, where, ctx);
  }
  if (fn == "Fn::Cidr" || fn == "Fn::Transform" || fn == "Fn::ValueOf" || fn == "Fn::ValueOfAll" ||
      fn == "Fn::RefAll") {
    return make_error("function '" + fn + "' is not emulated by layered", where,
                      "replace it with a literal value for local runs");
  }
  std::string hint = did_you_mean(fn, supported_functions());
  std::string names;
  for (const std::string& n : supported_functions()) names += (names.empty() ? "" : ", ") + n;
  hint += (hint.empty() ? "" : " ") + std::string("supported functions: ") + names;
  return make_error("encountered unsupported function '" + fn + "'", where, hint);
}

Result<Value> Evaluator::Impl::ref(const std::string& name, const std::string& where, Context ctx) const {
  if (name == "AWS::AccountId") return Value(env.account_id);
  if (name == "AWS::Region") return Value(env.region);
  if (name == "AWS::Partition") return Value(env.partition);
  if (name == "AWS::URLSuffix") return Value(env.url_suffix);
  if (name == "AWS::StackName") return Value(env.stack_name.empty() ? tpl->stack_name : env.stack_name);
  if (name == "AWS::StackId") return Value(env.stack_id);
  if (name == "AWS::NotificationARNs") return Value(Json(env.notification_arns));
  if (name == "AWS::NoValue") return Value(std::nullopt);
  if (auto p = params.find(name); p != params.end()) return Value(p->second);
  const Resource* resource = tpl->find_resource(name);
  std::vector<std::string> candidates;
  for (const auto& [n, v] : params) candidates.push_back(n);
  if (ctx == Context::condition || ctx == Context::rule) {
    return make_error(
        unresolved(name, ctx == Context::rule ? "Rules" : "Conditions"), where,
        resource ? "conditions and rules can reference only parameters" : did_you_mean(name, candidates));
  }
  for (const Resource& r : tpl->resources) candidates.push_back(r.logical_id);
  if (!resource) return make_error(unresolved(name), where, did_you_mean(name, candidates));
  if (!conditions.count(resource->condition) && !resource->condition.empty()) {
    return make_error(unresolved(name), where);
  }
  if (!resource->condition.empty() && !conditions.at(resource->condition)) {
    return make_error(unresolved(name), where,
                      "'" + name + "' is not created because condition '" + resource->condition +
                          "' is false; reference it inside Fn::If on that condition");
  }
  if (!env.resources.ref) return make_error("resource '" + name + "' cannot be referenced here", where);
  auto id = env.resources.ref(name);
  if (!id) {
    Error e = std::move(id.error());
    if (e.where.empty()) e.where = where;
    return e;
  }
  return Value(*id);
}

Result<Value> Evaluator::Impl::get_att(const Json& arg, const std::string& where, Context ctx) const {
  std::string id, attribute;
  if (arg.is_string()) {
    const std::string s = arg.get<std::string>();
    const auto dot = s.find('.');
    if (dot == std::string::npos) return make_error("'Fn::GetAtt' needs \"LogicalId.Attribute\"", where);
    id = s.substr(0, dot);
    attribute = s.substr(dot + 1);
  } else if (arg.is_array() && arg.size() == 2 && arg[0].is_string()) {
    id = arg[0].get<std::string>();
    auto a = eval_string(arg[1], where + ".Fn::GetAtt[1]", ctx);
    if (!a) return std::move(a.error());
    attribute = *a;
  } else {
    return make_error("'Fn::GetAtt' needs [LogicalId, Attribute] or \"LogicalId.Attribute\"", where);
  }
  const Resource* resource = tpl->find_resource(id);
  if (!resource || ctx == Context::condition || ctx == Context::rule) {
    std::vector<std::string> ids;
    for (const Resource& r : tpl->resources) ids.push_back(r.logical_id);
    return make_error("Template error: instance of Fn::GetAtt references undefined resource " + id, where,
                      did_you_mean(id, ids));
  }
  if (!resource->condition.empty() && !conditions.at(resource->condition)) {
    return make_error(unresolved(id), where,
                      "'" + id + "' is not created because condition '" + resource->condition + "' is false");
  }
  if (!env.resources.get_att) return make_error("resource '" + id + "' cannot be referenced here", where);
  auto value = env.resources.get_att(id, attribute);
  if (!value) {
    Error e = std::move(value.error());
    if (e.where.empty()) e.where = where;
    return e;
  }
  return Value(std::move(*value));
}

Result<Value> Evaluator::Impl::sub(const Json& arg, const std::string& where, Context ctx) const {
  const std::string inner = where + ".Fn::Sub";
  const Json* text = &arg;
  std::map<std::string, std::string> locals;
  if (arg.is_array()) {
    if (arg.size() != 2 || !arg[1].is_object()) {
      return make_error("'Fn::Sub' needs a string or [string, {variables}]", where);
    }
    text = &arg[0];
    for (const auto& [name, value] : arg[1].items()) {
      auto s = eval_string(value, inner + "[1]." + name, ctx);
      if (!s) return std::move(s.error());
      locals[name] = *s;
    }
  }
  if (!text->is_string()) return make_error("'Fn::Sub' needs a string", where);
  const std::string& s = text->get<std::string>();
  std::string out;
  std::size_t pos = 0;
  for (std::size_t i = s.find("${"); i != std::string::npos; i = s.find("${", pos)) {
    out += s.substr(pos, i - pos);
    const std::size_t end = s.find('}', i);
    if (end == std::string::npos) return make_error("unterminated '${' in 'Fn::Sub'", where);
    const std::string var = s.substr(i + 2, end - i - 2);
    pos = end + 1;
    if (!var.empty() && var[0] == '!') {
      out += "${" + var.substr(1) + "}";
      continue;
    }
    Result<Value> value = Value(std::nullopt);
    if (auto l = locals.find(var); l != locals.end()) {
      value = Value(l->second);
    } else if (var.find('.') != std::string::npos) {
      value = get_att(Json(var), where, ctx);
    } else {
      value = ref(var, where, ctx);
    }
    if (!value) return std::move(value.error());
    auto piece = *value ? scalar_string(**value) : std::nullopt;
    if (!piece) return make_error("variable '" + var + "' of 'Fn::Sub' is not a string", where);
    LAYERED_TRY(check_string(out.size() + piece->size(), where));
    out += *piece;
  }
  LAYERED_TRY(check_string(out.size() + s.size() - pos, where));
  out += s.substr(pos);
  return Value(out);
}

}  // namespace layered::cfn
