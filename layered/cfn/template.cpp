// The template model: parsing and shape checks, and the static walks that
// need no evaluation (references, literal imports).
#include <algorithm>

#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

std::string string_field(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (auto s = scalar_string(*it)) return *s;
  return {};
}

Result<Json> section(const Json& tpl, const char* name, const std::string& stack) {
  auto it = tpl.find(name);
  if (it == tpl.end() || it->is_null()) return Json::object();
  if (!it->is_object()) {
    return make_error(std::string("template format error: '") + name + "' must be an object", stack);
  }
  return *it;
}

Result<Parameter> parse_parameter(const std::string& name, const Json& p, const std::string& where) {
  if (!p.is_object()) return make_error("parameter '" + name + "' must be an object", where);
  Parameter out;
  out.name = name;
  out.type = string_field(p, "Type");
  if (out.type.empty()) return make_error("parameter '" + name + "' has no 'Type'", where);
  if (p.contains("Default")) {
    const Json& d = p["Default"];
    if (d.is_array()) {  // CommaDelimitedList defaults are sometimes written as lists
      out.default_value = parameter_string(d);
    } else {
      out.default_value = scalar_string(d);
    }
  }
  if (auto it = p.find("AllowedValues"); it != p.end() && it->is_array()) {
    for (const Json& v : *it) out.allowed_values.push_back(scalar_string(v).value_or(""));
  }
  out.allowed_pattern = string_field(p, "AllowedPattern");
  auto number = [&](const char* key) -> std::optional<double> {
    std::string s = string_field(p, key);
    if (s.empty()) return std::nullopt;
    try {
      return std::stod(s);
    } catch (...) {
      return std::nullopt;
    }
  };
  out.min_value = number("MinValue");
  out.max_value = number("MaxValue");
  if (auto v = number("MinLength")) out.min_length = static_cast<std::size_t>(*v);
  if (auto v = number("MaxLength")) out.max_length = static_cast<std::size_t>(*v);
  out.description = string_field(p, "Description");
  out.no_echo = string_field(p, "NoEcho") == "true";
  return out;
}

Result<Resource> parse_resource(const std::string& id, const Json& r, const std::string& where) {
  if (!r.is_object()) return make_error("resource '" + id + "' must be an object", where);
  Resource out;
  out.logical_id = id;
  out.type = string_field(r, "Type");
  if (out.type.empty()) {
    return make_error("template format error: resource '" + id + "' has no 'Type'", where);
  }
  if (auto it = r.find("Properties"); it != r.end() && !it->is_null()) {
    if (!it->is_object()) return make_error("'Properties' must be an object", where + ".Properties");
    out.properties = *it;
  }
  if (auto it = r.find("DependsOn"); it != r.end()) {
    if (it->is_string()) {
      out.depends_on.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const Json& d : *it) {
        if (!d.is_string()) return make_error("'DependsOn' must list logical ids", where + ".DependsOn");
        out.depends_on.push_back(d.get<std::string>());
      }
    } else {
      return make_error("'DependsOn' must be a logical id or a list of them", where + ".DependsOn");
    }
  }
  out.condition = string_field(r, "Condition");
  out.deletion_policy = string_field(r, "DeletionPolicy");
  out.update_replace_policy = string_field(r, "UpdateReplacePolicy");
  if (auto it = r.find("Metadata"); it != r.end() && it->is_object()) out.metadata = *it;
  return out;
}

Result<Rule> parse_rule(const std::string& name, const Json& r, const std::string& where) {
  if (!r.is_object()) return make_error("rule '" + name + "' must be an object", where);
  Rule out;
  out.name = name;
  if (auto it = r.find("RuleCondition"); it != r.end()) out.rule_condition = *it;
  auto assertions = r.find("Assertions");
  if (assertions == r.end() || !assertions->is_array()) {
    return make_error("rule '" + name + "' needs a list of 'Assertions'", where);
  }
  for (const Json& a : *assertions) {
    if (!a.is_object() || !a.contains("Assert")) {
      return make_error("every assertion of rule '" + name + "' needs an 'Assert'", where);
    }
    out.assertions.emplace_back(a["Assert"], string_field(a, "AssertDescription"));
  }
  return out;
}

Status check_references(const Template& t) {
  std::vector<std::string> ids;
  for (const Resource& r : t.resources) ids.push_back(r.logical_id);
  for (const Resource& r : t.resources) {
    for (const std::string& d : r.depends_on) {
      if (!t.find_resource(d)) {
        return make_error("Template format error: Unresolved resource dependencies [" + d +
                              "] in the Resources block of the template",
                          t.stack_name + "/" + r.logical_id + ".DependsOn", did_you_mean(d, ids));
      }
    }
    if (!r.condition.empty() && !t.conditions.count(r.condition)) {
      std::vector<std::string> names;
      for (const auto& [n, c] : t.conditions) names.push_back(n);
      return make_error("condition '" + r.condition + "' is not defined",
                        t.stack_name + "/" + r.logical_id + ".Condition", did_you_mean(r.condition, names));
    }
  }
  return Ok{};
}

}  // namespace

const Resource* Template::find_resource(const std::string& logical_id) const {
  for (const Resource& r : resources) {
    if (r.logical_id == logical_id) return &r;
  }
  return nullptr;
}

const Parameter* Template::find_parameter(const std::string& name) const {
  for (const Parameter& p : parameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<Template> parse(const Json& tpl, const std::string& stack_name) {
  if (!tpl.is_object())
    return make_error("template format error: a template must be a JSON object", stack_name);
  LAYERED_TRY(check_template_limits(tpl, stack_name));
  Template out;
  out.stack_name = stack_name;
  const std::string prefix = stack_name + "/";

  auto params = section(tpl, "Parameters", stack_name);
  if (!params) return std::move(params.error());
  for (const auto& [name, p] : params->items()) {
    auto parsed = parse_parameter(name, p, prefix + "Parameters/" + name);
    if (!parsed) return std::move(parsed.error());
    out.parameters.push_back(std::move(*parsed));
  }
  auto conditions = section(tpl, "Conditions", stack_name);
  if (!conditions) return std::move(conditions.error());
  for (const auto& [name, c] : conditions->items()) out.conditions[name] = c;
  auto mappings = section(tpl, "Mappings", stack_name);
  if (!mappings) return std::move(mappings.error());
  out.mappings = std::move(*mappings);
  auto rules = section(tpl, "Rules", stack_name);
  if (!rules) return std::move(rules.error());
  for (const auto& [name, r] : rules->items()) {
    auto parsed = parse_rule(name, r, prefix + "Rules/" + name);
    if (!parsed) return std::move(parsed.error());
    out.rules.push_back(std::move(*parsed));
  }
  auto resources = section(tpl, "Resources", stack_name);
  if (!resources) return std::move(resources.error());
  for (const auto& [id, r] : resources->items()) {
    auto parsed = parse_resource(id, r, prefix + id);
    if (!parsed) return std::move(parsed.error());
    out.resources.push_back(std::move(*parsed));
  }
  auto outputs = section(tpl, "Outputs", stack_name);
  if (!outputs) return std::move(outputs.error());
  for (const auto& [id, o] : outputs->items()) {
    if (!o.is_object() || !o.contains("Value")) {
      return make_error("template format error: output '" + id + "' has no 'Value'",
                        prefix + "Outputs/" + id);
    }
    Output output{id, o["Value"], nullptr, string_field(o, "Description"), string_field(o, "Condition")};
    if (auto e = o.find("Export"); e != o.end()) {
      if (!e->is_object() || !e->contains("Name")) {
        return make_error("'Export' must have a 'Name'", prefix + "Outputs/" + id + ".Export");
      }
      output.export_name = (*e)["Name"];
    }
    out.outputs.push_back(std::move(output));
  }
  if (auto t = tpl.find("Transform"); t != tpl.end()) {
    if (t->is_string()) out.transforms.push_back(t->get<std::string>());
    if (t->is_array()) {
      for (const Json& x : *t) out.transforms.push_back(scalar_string(x).value_or("?"));
    }
  }
  LAYERED_TRY(check_references(out));
  return out;
}

std::optional<std::string> scalar_string(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  return std::nullopt;
}

std::vector<std::string> sub_variables(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = text.find("${"); i != std::string::npos; i = text.find("${", i + 2)) {
    std::size_t end = text.find('}', i + 2);
    if (end == std::string::npos) break;
    if (text[i + 2] != '!') out.push_back(text.substr(i + 2, end - i - 2));
  }
  return out;
}

void collect_references(const Json& v, std::set<std::string>& out) {
  if (v.is_array()) {
    for (const Json& x : v) collect_references(x, out);
    return;
  }
  if (!v.is_object()) return;
  if (v.size() == 1) {
    const std::string& key = v.begin().key();
    const Json& arg = v.begin().value();
    if (key == "Ref" && arg.is_string()) {
      out.insert(arg.get<std::string>());
      return;
    }
    if (key == "Fn::GetAtt") {
      if (arg.is_string()) out.insert(arg.get<std::string>().substr(0, arg.get<std::string>().find('.')));
      if (arg.is_array() && !arg.empty() && arg[0].is_string()) out.insert(arg[0].get<std::string>());
      return;
    }
    if (key == "Fn::Sub") {
      const Json* text = arg.is_string() ? &arg : (arg.is_array() && !arg.empty() ? &arg[0] : nullptr);
      std::set<std::string> locals;
      if (arg.is_array() && arg.size() > 1 && arg[1].is_object()) {
        for (const auto& [name, value] : arg[1].items()) {
          locals.insert(name);
          collect_references(value, out);
        }
      }
      if (text && text->is_string()) {
        for (const std::string& var : sub_variables(text->get<std::string>())) {
          if (!locals.count(var)) out.insert(var.substr(0, var.find('.')));
        }
      }
      return;
    }
  }
  for (const auto& [key, x] : v.items()) collect_references(x, out);
}

namespace {

void walk_imports(const Json& v, std::set<std::string>& out) {
  if (v.is_array()) {
    for (const Json& x : v) walk_imports(x, out);
  } else if (v.is_object()) {
    for (const auto& [key, x] : v.items()) {
      if (key == "Fn::ImportValue" && x.is_string()) out.insert(x.get<std::string>());
      walk_imports(x, out);
    }
  }
}

}  // namespace

std::set<std::string> literal_imports(const Json& template_json) {
  std::set<std::string> out;
  if (!template_json.is_object()) return out;
  for (const char* name : {"Resources", "Outputs"}) {
    if (auto it = template_json.find(name); it != template_json.end()) walk_imports(*it, out);
  }
  return out;
}

}  // namespace layered::cfn
