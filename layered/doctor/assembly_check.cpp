// `layered doctor [FUNCTION...]`: every Lambda function of a cloud assembly,
// with its layers resolved statically from the templates (no deploy needed).
#include <nlohmann/json.hpp>

#include "assembly/assembly.hpp"
#include "doctor/doctor.hpp"

namespace layered::doctor {

namespace {

using nlohmann::json;

struct LayerRef {
  const assembly::Stack* stack = nullptr;
  std::string logical_id;
};

const json* resource(const assembly::Stack& stack, const std::string& id) {
  auto all = stack.template_json.find("Resources");
  if (all == stack.template_json.end() || !all->is_object()) return nullptr;
  auto it = all->find(id);
  return it == all->end() ? nullptr : &*it;
}

bool is_type(const json* r, const char* type) { return r && r->is_object() && r->value("Type", "") == type; }

// {"Ref": L} where L is a LayerVersion of `stack`.
std::optional<LayerRef> layer_ref(const assembly::Stack& stack, const json& value) {
  if (!value.is_object() || !value.contains("Ref") || !value["Ref"].is_string()) return std::nullopt;
  std::string id = value["Ref"];
  if (!is_type(resource(stack, id), "AWS::Lambda::LayerVersion")) return std::nullopt;
  return LayerRef{&stack, id};
}

std::optional<LayerRef> via_export(const assembly::Assembly& app, const std::string& name) {
  for (const auto& stack : app.stacks()) {
    const json outputs = stack.template_json.value("Outputs", json::object());
    for (const auto& [id, output] : outputs.items()) {
      const json& exp = output.value("Export", json::object());
      if (exp.value("Name", json()).is_string() && exp["Name"] == name && output.contains("Value"))
        return layer_ref(stack, output["Value"]);
    }
  }
  return std::nullopt;
}

std::optional<LayerRef> via_ssm(const assembly::Assembly& app, const std::string& parameter_name) {
  for (const auto& stack : app.stacks()) {
    const json resources = stack.template_json.value("Resources", json::object());
    for (const auto& [id, r] : resources.items()) {
      if (!is_type(&r, "AWS::SSM::Parameter")) continue;
      const json& props = r.value("Properties", json::object());
      if (props.value("Name", json()).is_string() && props["Name"] == parameter_name &&
          props.contains("Value"))
        return layer_ref(stack, props["Value"]);
    }
  }
  return std::nullopt;
}

std::optional<LayerRef> resolve_layer(const assembly::Assembly& app, const assembly::Stack& stack,
                                      const json& v) {
  if (auto direct = layer_ref(stack, v)) return direct;
  if (v.is_object() && v.contains("Fn::ImportValue") && v["Fn::ImportValue"].is_string())
    return via_export(app, v["Fn::ImportValue"]);
  if (v.is_object() && v.contains("Ref") && v["Ref"].is_string()) {
    const json& params = stack.template_json.value("Parameters", json::object());
    auto p = params.find(v["Ref"].get<std::string>());
    if (p != params.end() && p->value("Type", "") == "AWS::SSM::Parameter::Value<String>" &&
        p->value("Default", json()).is_string())
      return via_ssm(app, (*p)["Default"]);
  }
  return std::nullopt;
}

const assembly::Asset* asset_of(const assembly::Assembly& app, const assembly::Stack& stack,
                                const std::string& id, const char* property) {
  if (const auto* a = app.find_asset_by_metadata(stack, id)) return a;
  const json* r = resource(stack, id);
  if (!r) return nullptr;
  const json& key =
      r->value("Properties", json::object()).value(property, json::object()).value("S3Key", json());
  return key.is_string() ? app.find_asset_by_object_key(key.get<std::string>()) : nullptr;
}

struct Candidate {
  Package package;
  std::vector<std::string> names;   // what FUNCTION may say
  std::vector<Finding> unresolved;  // layers we could not follow
};

Result<Candidate> describe(const assembly::Assembly& app, const assembly::Stack& stack, const std::string& id,
                           const json& r) {
  Candidate c;
  const json& props = r.value("Properties", json::object());
  std::string path = assembly::construct_path(r);
  c.package.function_name = path.empty() ? stack.name + "/" + id : path;
  c.names = {id, c.package.function_name};
  if (props.value("FunctionName", json()).is_string()) c.names.push_back(props["FunctionName"]);
  c.package.runtime =
      props.value("Runtime", json()).is_string() ? props["Runtime"].get<std::string>() : "provided.al2023";
  if (props.value("Handler", json()).is_string()) c.package.handler = props["Handler"];
  const json& archs = props.value("Architectures", json::array());
  if (archs.is_array() && !archs.empty() && archs[0].is_string()) c.package.architecture = archs[0];
  if (const auto* code = asset_of(app, stack, id, "Code")) c.package.function_dir = code->path;
  const json& layers = props.value("Layers", json::array());
  for (std::size_t i = 0; layers.is_array() && i < layers.size(); ++i) {
    std::string where = stack.name + "/" + id + ".Properties.Layers[" + std::to_string(i) + "]";
    auto ref = resolve_layer(app, stack, layers[i]);
    const assembly::Asset* content = ref ? asset_of(app, *ref->stack, ref->logical_id, "Content") : nullptr;
    if (!content) {
      c.unresolved.push_back(
          {Severity::info, "layer.unresolved", where, "",
           "layer " + layers[i].dump() + " cannot be resolved from the assembly, so it was not checked",
           "refer to the layer with a Ref, an Fn::ImportValue of an exported Ref, or an SSM "
           "parameter whose value is the Ref"});
      continue;
    }
    const json* lr = resource(*ref->stack, ref->logical_id);
    const json& lname = lr->value("Properties", json::object()).value("LayerName", json());
    c.package.layers.push_back(
        {lname.is_string() ? lname.get<std::string>() : ref->logical_id, content->path});
  }
  return c;
}

}  // namespace

Result<Report> check_assembly(const std::filesystem::path& app_dir,
                              const std::vector<std::string>& functions) {
  auto app = assembly::load(app_dir);
  if (!app) return app.error();
  std::vector<Candidate> all;
  for (const auto& stack : app->stacks()) {
    const json resources = stack.template_json.value("Resources", json::object());
    for (const auto& [id, r] : resources.items()) {
      if (!is_type(&r, "AWS::Lambda::Function")) continue;
      auto c = describe(*app, stack, id, r);
      if (!c) return c.error();
      all.push_back(std::move(*c));
    }
  }
  std::vector<const Candidate*> chosen;
  for (const auto& want : functions) {
    std::vector<std::string> known;
    const Candidate* match = nullptr;
    for (const auto& c : all) {
      known.insert(known.end(), c.names.begin(), c.names.end());
      for (const auto& n : c.names)
        if (n == want) match = &c;
    }
    if (!match) {
      std::string hint = did_you_mean(want, known);
      return make_error("no function '" + want + "' in the cloud assembly", app_dir.string(),
                        hint.empty() ? "run 'layered doctor' without names to check every function" : hint);
    }
    chosen.push_back(match);
  }
  if (functions.empty())
    for (const auto& c : all) chosen.push_back(&c);
  if (chosen.empty())
    return make_error("the cloud assembly has no Lambda functions", app_dir.string(),
                      "check a package directly with --layer DIR|ZIP ... --function DIR|ZIP");
  Report report;
  for (const Candidate* c : chosen) {
    auto r = check(c->package);
    if (!r) return r.error();
    auto& fr = r->functions.front();
    fr.findings.insert(fr.findings.end(), c->unresolved.begin(), c->unresolved.end());
    report.functions.push_back(std::move(fr));
  }
  return report;
}

}  // namespace layered::doctor
