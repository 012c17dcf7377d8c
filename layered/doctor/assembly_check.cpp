// `layered doctor [FUNCTION...]`: every Lambda function of a cloud assembly,
// its runtime, handler and layers evaluated with the cfn module exactly as
// `layered deploy` evaluates them (Conditions, Fn::If, Fn::ImportValue, SSM
// parameters), so that the two never disagree about a function.
#include <climits>
#include <map>
#include <nlohmann/json.hpp>

#include "assembly/assembly.hpp"
#include "cfn/cfn.hpp"
#include "doctor/assembly_run.hpp"
#include "doctor/doctor.hpp"
#include "doctor/internal.hpp"
#include "state/state.hpp"

namespace layered::doctor {

namespace {

// The asset behind Code/Content: by the resource's metadata, else by its
// S3Key as deploy evaluates it (the legacy synthesizer builds the key from
// asset parameters).
const assembly::Asset* asset_of(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r,
                                const char* property) {
  if (const auto* a = run.app.find_asset_by_metadata(run.stack, r.logical_id)) return a;
  auto p = r.properties.find(property);
  if (p == r.properties.end() || !p->is_object() || !p->contains("S3Key")) return nullptr;
  auto key = ev.evaluate((*p)["S3Key"], run.stack.name + "/" + r.logical_id + ".Properties." + property);
  if (!key || !key->is_string()) return nullptr;
  return run.app.find_asset_by_object_key(key->get<std::string>());
}

// An ARN that is neither a layer of this app nor one the local state has
// (a public layer, say): fine on AWS, not checkable here.
Finding unresolved(const std::string& where, const std::string& why) {
  return {Severity::info,
          "layer.unresolved",
          where,
          "",
          "the layer cannot be resolved before deploy (" + why + "), so it was not checked",
          "deploy the stack that publishes it (one published elsewhere: 'layered deploy --layer "
          "ARN=DIR|ZIP'), or check the layer's content with 'layered doctor --layer DIR|ZIP'"};
}

// One entry of the evaluated Layers list: a layer of this assembly, or one
// the local state has published.
std::optional<model::Layer> layer_of(const StackRun& run, const std::string& arn) {
  if (auto it = run.known.layers.find(arn); it != run.known.layers.end()) return it->second;
  if (!run.state) return std::nullopt;
  auto found = run.state->find_layer_version(arn);
  if (!found.ok() || !found->has_value()) return std::nullopt;
  return model::Layer{arn, (*found)->content_dir, model::layer_display_name(arn)};
}

void layer_not_checked(const std::string& at, const std::string& shown, const std::string& why,
                       Candidate& c) {
  c.findings.push_back(unresolved(at, why));
  c.unchecked.push_back(shown);
}

// One evaluated entry of Layers: its dynamic references resolved as deploy
// resolves them, then the layer it names.
void add_layer(const StackRun& run, const cfn::Evaluator& ev, const Json& value, const std::string& at,
               Candidate& c) {
  const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
  auto arn = ev.resolve_dynamic_references(value, at);
  if (!arn) {
    layer_not_checked(at, shown, arn.error().message, c);
    return;
  }
  auto layer = arn->is_string() ? layer_of(run, arn->get<std::string>()) : std::nullopt;
  if (layer) {
    c.function.layers.push_back(std::move(*layer));
    return;
  }
  const std::string named = arn->is_string() ? arn->get<std::string>() : arn->dump();
  layer_not_checked(at, named, "'" + named + "' is neither a layer of this app nor one deployed locally", c);
}

void resolve_layers(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r, Candidate& c) {
  auto raw = r.properties.find("Layers");
  if (raw == r.properties.end()) return;
  const std::string where = run.stack.name + "/" + r.logical_id + ".Properties.Layers";
  auto layers = ev.evaluate(*raw, where);
  if (layers) {
    if (!layers->is_array()) return;
    for (std::size_t i = 0; i < layers->size(); ++i)
      add_layer(run, ev, (*layers)[i], where + "[" + std::to_string(i) + "]", c);
    return;
  }
  // Deploy stops here too, with the same error; the entries that do
  // evaluate are still checked, and the others are layers not checked.
  const Error& e = layers.error();
  c.findings.push_back({Severity::error, "template.error", e.where.empty() ? where : e.where, "", e.message,
                        e.hint.empty() ? "'layered deploy' fails the same way: fix the template" : e.hint});
  if (!raw->is_array()) {
    c.unchecked.push_back(raw->dump());
    return;
  }
  for (std::size_t i = 0; i < raw->size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    auto one = ev.evaluate((*raw)[i], at);
    if (!one)
      c.unchecked.push_back((*raw)[i].dump());
    else if (!one->is_null())
      add_layer(run, ev, *one, at, c);
  }
}

// The properties doctor needs, each evaluated as deploy evaluates it.
std::optional<std::string> evaluated_string(const StackRun& run, const cfn::Evaluator& ev,
                                            const cfn::Resource& r, const char* key, Candidate& c) {
  auto raw = r.properties.find(key);
  if (raw == r.properties.end()) return std::nullopt;
  auto value = ev.evaluate(*raw, run.stack.name + "/" + r.logical_id + ".Properties." + key);
  if (!value) {
    const Error& e = value.error();
    c.findings.push_back({Severity::error, "template.error", e.where, "", e.message, e.hint});
    return std::nullopt;
  }
  if (value->is_array() && !value->empty() && (*value)[0].is_string()) return (*value)[0].get<std::string>();
  return value->is_string() ? std::optional<std::string>(value->get<std::string>()) : std::nullopt;
}

// Code.ZipFile, evaluated: the function's source when it is inline.
std::optional<std::string> inline_code(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r,
                                       Candidate& c) {
  auto code = r.properties.find("Code");
  if (code == r.properties.end() || !code->is_object() || !code->contains("ZipFile")) return std::nullopt;
  const std::string where = run.stack.name + "/" + r.logical_id + ".Properties.Code.ZipFile";
  auto value = ev.evaluate((*code)["ZipFile"], where);
  if (!value) {
    c.findings.push_back({Severity::error, "template.error", value.error().where, "", value.error().message,
                          value.error().hint});
    return std::nullopt;
  }
  return value->is_string() ? std::optional<std::string>(value->get<std::string>()) : std::nullopt;
}

// Environment.Variables, evaluated, for the checks that read one
// (AWS_LAMBDA_EXEC_WRAPPER); what does not evaluate is deploy's to report.
model::Pairs variables(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r) {
  model::Pairs out;
  auto env = r.properties.find("Environment");
  if (env == r.properties.end() || !env->is_object() || !env->contains("Variables")) return out;
  auto value =
      ev.evaluate((*env)["Variables"], run.stack.name + "/" + r.logical_id + ".Properties.Environment");
  if (!value || !value->is_object()) return out;
  for (const auto& [name, v] : value->items())
    if (v.is_string()) out.emplace_back(name, v.get<std::string>());
  return out;
}

Candidate describe(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r, const Json& raw) {
  Candidate c;
  model::Function& f = c.function;
  const std::string path = assembly::construct_path(raw);
  f.stack = run.stack.name;
  f.logical_id = r.logical_id;
  f.construct_path = path.empty() ? run.stack.name + "/" + r.logical_id : path;
  f.name = literal_or(r.properties, "FunctionName", f.construct_path);
  c.names = {r.logical_id, f.construct_path, f.name};
  const std::string where = run.stack.name + "/" + r.logical_id + ".Properties.Runtime";
  if (assembly::is_image_package(r.properties)) {
    c.findings.push_back(
        {Severity::warning, "package.image", run.stack.name + "/" + r.logical_id + ".Properties.Code", "",
         "function '" + f.construct_path +
             "' is a container image: layered deploys it as a record but cannot run it "
             "(it runs no containers)",
         "to run it here, package it as a zip (lambda.Code.fromAsset) with a managed runtime"});
    c.checkable = false;
    return c;
  }
  const std::string runtime = evaluated_string(run, ev, r, "Runtime", c).value_or("");
  if (auto parsed = model::parse_runtime(runtime)) {
    f.runtime = *parsed;
  } else {
    Error e = runtime.empty() ? make_error("function '" + f.construct_path + "' has no Runtime", where,
                                           "set Runtime (Lambda requires it for a zip package)")
                              : model::unknown_runtime(f.construct_path, runtime, where);
    c.findings.push_back({Severity::error, "runtime.unknown", where, "", e.message, e.hint});
    c.checkable = false;
  }
  f.handler = evaluated_string(run, ev, r, "Handler", c).value_or("");
  f.environment = variables(run, ev, r);
  const auto arch = evaluated_string(run, ev, r, "Architectures", c).value_or("x86_64");
  f.architecture = model::parse_architecture(arch).value_or(model::Architecture::x86_64);
  if (const auto* code = asset_of(run, ev, r, "Code")) f.code_dir = code->path.string();
  if (f.code_dir.empty()) f.inline_code = inline_code(run, ev, r, c).value_or("");
  resolve_layers(run, ev, r, c);
  return c;
}

// The layer versions this stack publishes, for its own functions and later stacks'.
void record_layers(StackRun& run, const cfn::Template& tpl, const cfn::Evaluator& ev,
                   const cfn::Environment& env) {
  for (const auto& r : tpl.resources) {
    if (r.type != "AWS::Lambda::LayerVersion" || !ev.is_active(r.logical_id)) continue;
    const std::string name = literal_or(r.properties, "LayerName", r.logical_id);
    if (const auto* content = asset_of(run, ev, r, "Content"))
      run.known.layers[assembly_layer_arn(env, name)] = model::Layer{"", content->path.string(), name};
  }
}

// The SSM parameters, exports and outputs this stack makes for the stacks after it.
void record_products(StackRun& run, const cfn::Template& tpl, const cfn::Evaluator& ev,
                     const cfn::Environment& env) {
  for (const auto& r : tpl.resources) {
    if (!ev.is_active(r.logical_id)) continue;
    if (r.type == "AWS::SSM::Parameter") {
      auto name = ev.evaluate(r.properties.value("Name", Json()), run.stack.name + "/" + r.logical_id);
      auto value = ev.evaluate(r.properties.value("Value", Json()), run.stack.name + "/" + r.logical_id);
      if (name && value && name->is_string() && value->is_string())
        run.known.ssm[scoped(env, *name)] = *value;
    }
  }
  auto& [where, outputs] = run.known.stacks[run.stack.name];
  where = env.account_id + "/" + env.region;
  for (const auto& o : tpl.outputs) {
    if (!o.condition.empty() && !ev.condition(o.condition)) continue;
    auto value = ev.evaluate(o.value, run.stack.name + "/Outputs/" + o.logical_id);
    if (!value || !value->is_string()) continue;
    outputs.emplace_back(o.logical_id, *value);
    if (o.export_name.is_null()) continue;
    auto name = ev.evaluate(o.export_name, run.stack.name + "/Outputs/" + o.logical_id);
    if (name && name->is_string()) run.known.exports[scoped(env, *name)] = *value;
  }
}

// Outputs of the nested stacks evaluated so far, by their resource's logical
// id: what deploy's Fn::GetAtt "Outputs.<Name>" reads from the nested stack
// it has just deployed.
using NestedOutputs = std::map<std::string, state::Pairs>;

Status describe_stack(StackRun run, std::vector<Candidate>& out);

// A nested stack (AWS::CloudFormation::Stack, CDK's NestedStack): its
// functions are the app's too, and its outputs are its parent's to read.
// What cannot be evaluated is left to deploy.
void describe_nested(const StackRun& run, const cfn::Evaluator& ev, const cfn::Resource& r,
                     std::vector<Candidate>& out, NestedOutputs& outputs) {
  const std::string where = run.stack.name + "/" + r.logical_id + ".Properties";
  auto url = ev.evaluate(r.properties.value("TemplateURL", Json("")), where + ".TemplateURL");
  auto nested =
      run.app.nested_stack(run.stack, r.logical_id, url && url->is_string() ? url->get<std::string>() : "",
                           run.stack.name + "/" + r.logical_id);
  if (!nested) return;
  auto given = ev.evaluate(r.properties.value("Parameters", Json::object()), where + ".Parameters");
  if (given && given->is_object())
    for (const auto& [name, value] : given->items())
      nested->asset_parameters[name] = cfn::parameter_string(value);
  (void)describe_stack(StackRun{run.app, *nested, run.state, run.known}, out);
  if (auto it = run.known.stacks.find(nested->name); it != run.known.stacks.end())
    outputs[r.logical_id] = it->second.second;
}

// Fn::GetAtt "Outputs.<Name>" of a nested stack evaluated before (as deploy
// deploys it before what reads it), else `inner`'s answer.
cfn::ResourceResolver with_nested_outputs(cfn::ResourceResolver inner, const cfn::Template& tpl,
                                          const NestedOutputs& nested) {
  inner.get_att = [get_att = inner.get_att, &tpl, &nested](const std::string& id,
                                                           const std::string& attribute) -> Result<Json> {
    const cfn::Resource* r = tpl.find_resource(id);
    auto it = nested.find(id);
    if (!r || r->type != "AWS::CloudFormation::Stack" || it == nested.end()) return get_att(id, attribute);
    for (const auto& [name, value] : it->second)
      if (attribute == "Outputs." + name) return Json(value);
    return make_error("Template error: resource " + id + " does not support attribute type " + attribute +
                      " in Fn::GetAtt");
  };
  return inner;
}

// The resources in the order deploy creates them (each after what it
// references, so a nested stack before its outputs' readers); the
// template's order when that order cannot be had (deploy reports why).
std::vector<const cfn::Resource*> deploy_order(const cfn::Template& tpl, const cfn::Evaluator& ev,
                                               bool prepared) {
  std::vector<const cfn::Resource*> out;
  if (prepared) {
    if (auto order = ev.resource_order()) {
      for (const auto& id : *order) out.push_back(tpl.find_resource(id));
      return out;
    }
  }
  for (const auto& r : tpl.resources) out.push_back(&r);
  return out;
}

Status describe_stack(StackRun run, std::vector<Candidate>& out) {
  auto tpl = cfn::parse(run.stack.template_json, run.stack.name);
  if (!tpl) return tpl.error();
  NestedOutputs nested;
  cfn::Environment env = environment(run, *tpl);
  env.resources = with_nested_outputs(std::move(env.resources), *tpl, nested);
  cfn::Evaluator ev(*tpl, env);
  const Status prepared = ev.prepare();
  const Json& raw_resources = run.stack.template_json["Resources"];
  if (prepared) record_layers(run, *tpl, ev, env);
  for (const cfn::Resource* resource : deploy_order(*tpl, ev, prepared.ok())) {
    const cfn::Resource& r = *resource;
    if (r.type == "AWS::CloudFormation::Stack" && prepared && ev.is_active(r.logical_id))
      describe_nested(run, ev, r, out, nested);
    // A template deploy refuses (a SAM Transform, say) still names its
    // functions, each with deploy's error, rather than "no functions".
    const bool sam = r.type == "AWS::Serverless::Function" && !tpl->transforms.empty();
    if (r.type != "AWS::Lambda::Function" && !(sam && !prepared)) continue;
    if (!prepared) {
      Candidate c;
      c.function.construct_path = assembly::construct_path(raw_resources[r.logical_id]);
      c.names = {r.logical_id, c.function.construct_path};
      const Error& e = prepared.error();
      c.findings.push_back({Severity::error, "template.error", e.where, "", e.message, e.hint});
      c.checkable = false;
      out.push_back(std::move(c));
      continue;
    }
    if (ev.is_active(r.logical_id)) out.push_back(describe(run, ev, r, raw_resources[r.logical_id]));
  }
  if (prepared) record_products(run, *tpl, ev, env);
  return Ok{};
}

Result<std::vector<const Candidate*>> choose(const std::vector<Candidate>& all,
                                             const std::vector<std::string>& wanted,
                                             const std::filesystem::path& app_dir) {
  std::vector<const Candidate*> chosen;
  std::vector<std::string> known;
  for (const auto& c : all) known.insert(known.end(), c.names.begin(), c.names.end());
  for (const auto& want : wanted) {
    const Candidate* match = nullptr;
    for (const auto& c : all)
      if (std::find(c.names.begin(), c.names.end(), want) != c.names.end()) match = &c;
    if (!match) {
      std::string hint = did_you_mean(want, known);
      return make_error("no function '" + want + "' in the cloud assembly", app_dir.string(),
                        hint.empty() ? "run 'layered doctor' without names to check every function" : hint);
    }
    chosen.push_back(match);
  }
  if (wanted.empty())
    for (const auto& c : all) chosen.push_back(&c);
  if (chosen.empty())
    return make_error("the cloud assembly has no Lambda functions", app_dir.string(),
                      "check a package directly with --layer DIR|ZIP ... --function DIR|ZIP");
  return chosen;
}

Result<FunctionReport> report_of(const Candidate& c) {
  FunctionReport fr;
  if (c.checkable) {
    auto r = check(c.function, c.unchecked);
    if (!r) return r.error();
    fr = std::move(r->functions.front());
  } else {
    fr.function_name = c.function.display_name();
  }
  fr.findings.insert(fr.findings.end(), c.findings.begin(), c.findings.end());
  std::stable_sort(fr.findings.begin(), fr.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
  return fr;
}

}  // namespace

Result<Report> check_assembly(const std::filesystem::path& app_dir, const std::vector<std::string>& functions,
                              const state::State* state) {
  auto app = assembly::load(app_dir);
  if (!app) return app.error();
  auto order = app->in_dependency_order();
  if (!order) return order.error();
  Known known;
  std::vector<Candidate> all;
  for (const assembly::Stack* stack : *order) LAYERED_TRY(describe_stack({*app, *stack, state, known}, all));
  auto chosen = choose(all, functions, app_dir);
  if (!chosen) return chosen.error();
  Report report;
  for (const Candidate* c : *chosen) {
    auto fr = report_of(*c);
    if (!fr) return fr.error();
    report.functions.push_back(std::move(*fr));
  }
  return report;
}

}  // namespace layered::doctor
