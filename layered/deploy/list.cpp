// `layered list`: one inventory, rendered for people or as JSON.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "deploy/deploy.hpp"

namespace layered::deploy {

using Json = nlohmann::json;

Result<Inventory> inventory(const state::State& state) {
  Inventory inv;
  inv.settings = state.settings();
  auto stacks = state.stacks();
  if (!stacks.ok()) return stacks.error();
  inv.stacks = std::move(*stacks);
  auto not_emulated = state.not_emulated_resources();
  if (!not_emulated.ok()) return not_emulated.error();
  inv.not_emulated = std::move(*not_emulated);
  auto functions = state.functions();
  if (!functions.ok()) return functions.error();
  inv.functions = std::move(*functions);
  auto versions = state.function_versions();
  if (!versions.ok()) return versions.error();
  inv.function_versions = std::move(*versions);
  auto aliases = state.aliases();
  if (!aliases.ok()) return aliases.error();
  inv.aliases = std::move(*aliases);
  std::map<std::string, std::vector<std::string>> users;
  for (const auto& f : inv.functions) {
    for (const auto& l : f.layers) users[l.arn].push_back(f.name);
  }
  for (const auto& v : inv.function_versions) {
    for (const auto& l : v.function.layers)
      users[l.arn].push_back(v.function.name + ":" + v.function.version);
  }
  auto layers = state.layer_versions();
  if (!layers.ok()) return layers.error();
  for (auto& l : *layers) {
    auto used = users[l.arn];
    if (l.deleted && used.empty()) continue;  // gone, as on Lambda
    inv.layer_versions.push_back(LayerVersionEntry{std::move(l), std::move(used)});
  }
  auto exports = state.exports();
  if (!exports.ok()) return exports.error();
  inv.exports = std::move(*exports);
  auto ssm = state.ssm_parameters();
  if (!ssm.ok()) return ssm.error();
  inv.ssm_parameters = std::move(*ssm);
  return inv;
}

namespace {

// "    version 1: <arn>  (published ...)" and "    alias live -> 2 (10% to 3)"
// lines under the function they belong to.
void versions_text(std::ostringstream& out, const Inventory& inv, const std::string& function) {
  for (const auto& v : inv.function_versions) {
    if (v.function.name != function) continue;
    out << "    version " << v.version << ": " << v.arn
        << (v.description.empty() ? "" : "  (" + v.description + ")") << "\n";
  }
  for (const auto& a : inv.aliases) {
    if (a.function != function) continue;
    out << "    alias " << a.name << " -> " << a.function_version;
    for (const auto& [version, weight] : a.routing) {
      out << " (" << std::lround(weight * 100) << "% to " << version << ")";
    }
    out << ": " << a.arn << "\n";
  }
}

Json versions_json(const Inventory& inv) {
  Json out = Json::array();
  for (const auto& v : inv.function_versions) {
    Json layers = Json::array();
    for (const auto& l : v.function.layers) layers.push_back(l.arn);
    out.push_back({{"function", v.function.name},
                   {"version", v.version},
                   {"arn", v.arn},
                   {"description", v.description},
                   {"stack", v.stack},
                   {"logical_id", v.logical_id},
                   {"published_at", v.published_at},
                   {"runtime", v.function.runtime},
                   {"handler", v.function.handler},
                   {"code_dir", v.function.code_dir},
                   {"layers", layers}});
  }
  return out;
}

Json aliases_json(const Inventory& inv) {
  Json out = Json::array();
  for (const auto& a : inv.aliases) {
    Json weights = Json::object();
    for (const auto& [version, weight] : a.routing) weights[version] = weight;
    out.push_back({{"function", a.function},
                   {"name", a.name},
                   {"arn", a.arn},
                   {"function_version", a.function_version},
                   {"additional_version_weights", weights},
                   {"description", a.description},
                   {"stack", a.stack},
                   {"logical_id", a.logical_id}});
  }
  return out;
}

}  // namespace

std::string render_text(const Inventory& inv) {
  std::ostringstream out;
  if (inv.stacks.empty()) {
    out << "no stacks deployed (state account " << inv.settings.account_id << ", region "
        << inv.settings.region << "); run 'layered deploy'\n";
    // What stacks retained (layer versions), or --layer gave, outlives them.
    if (inv.functions.empty() && inv.layer_versions.empty() && inv.ssm_parameters.empty()) return out.str();
  } else {
    out << "Stacks:\n";
  }
  for (const auto& s : inv.stacks) {
    const auto env = state::resolve_environment(inv.settings, s.account_id, s.region);
    out << "  " << s.name << "  " << s.status << "  " << s.deployed_at << "  aws://" << env.account_id << "/"
        << env.region << "\n";
  }
  if (!inv.functions.empty()) out << "Functions:\n";
  for (const auto& f : inv.functions) {
    out << "  " << (f.construct_path.empty() ? f.stack + "/" + f.logical_id : f.construct_path)
        << (f.stack.empty() ? "  (retained: its stack is gone)" : "") << "\n";
    out << "    name: " << f.name << "\n    arn: " << f.arn
        << "\n    runtime: " << model::to_string(f.runtime) << " (" << model::to_string(f.architecture)
        << "), handler: " << f.handler << ", memory: " << f.memory_mb << " MB, timeout: " << f.timeout_s
        << " s\n";
    for (const auto& l : f.layers) out << "    layer: " << l.arn << "\n";
    versions_text(out, inv, f.name);
  }
  if (!inv.layer_versions.empty()) out << "Layer versions:\n";
  for (const auto& e : inv.layer_versions) {
    out << "  " << e.layer.arn << (e.layer.deleted ? "  (deleted, still serving its functions)" : "")
        << (e.layer.stack.empty() ? "  (provided with --layer)" : "") << "\n";
  }
  if (!inv.exports.empty()) out << "Exports:\n";
  for (const auto& e : inv.exports) {
    out << "  " << e.name << " = " << e.value << "  (from " << e.stack << ")";
    for (std::size_t i = 0; i < e.importers.size(); ++i)
      out << (i ? ", " : "  imported by ") << e.importers[i];
    out << "\n";
  }
  if (!inv.ssm_parameters.empty()) out << "SSM parameters:\n";
  for (const auto& p : inv.ssm_parameters) {
    out << "  " << p.name << " = " << p.value << "  (" << p.type << ", version " << p.version
        << (p.stack.empty() ? "" : ", from " + p.stack) << ")\n";
  }
  if (!inv.not_emulated.empty()) out << "Not emulated (recorded only):\n";
  for (const auto& r : inv.not_emulated)
    out << "  " << r.stack << "/" << r.logical_id << "  " << r.type << "\n";
  return out.str();
}

std::string render_json(const Inventory& inv) {
  Json j;
  j["account_id"] = inv.settings.account_id;
  j["region"] = inv.settings.region;
  j["stacks"] = Json::array();
  for (const auto& s : inv.stacks) {
    Json outputs = Json::object();
    for (const auto& [k, v] : s.outputs) outputs[k] = v;
    const auto env = state::resolve_environment(inv.settings, s.account_id, s.region);
    j["stacks"].push_back({{"name", s.name},
                           {"status", s.status},
                           {"account_id", env.account_id},
                           {"region", env.region},
                           {"deployed_at", s.deployed_at},
                           {"template_digest", s.template_digest},
                           {"outputs", outputs}});
  }
  j["functions"] = Json::array();
  for (const auto& f : inv.functions) {
    Json layers = Json::array();
    for (const auto& l : f.layers) layers.push_back(l.arn);
    Json env = Json::object();
    for (const auto& [k, v] : f.environment) env[k] = v;
    j["functions"].push_back({{"name", f.name},
                              {"arn", f.arn},
                              {"stack", f.stack},
                              {"logical_id", f.logical_id},
                              {"construct_path", f.construct_path},
                              {"runtime", model::to_string(f.runtime)},
                              {"handler", f.handler},
                              {"architecture", model::to_string(f.architecture)},
                              {"memory_mb", f.memory_mb},
                              {"timeout_s", f.timeout_s},
                              {"ephemeral_mb", f.ephemeral_mb},
                              {"environment", env},
                              {"layers", layers},
                              {"code_dir", f.code_dir}});
  }
  j["function_versions"] = versions_json(inv);
  j["aliases"] = aliases_json(inv);
  j["layer_versions"] = Json::array();
  for (const auto& e : inv.layer_versions) {
    const auto& l = e.layer;
    j["layer_versions"].push_back({{"arn", l.arn},
                                   {"layer_name", l.layer_name},
                                   {"version", l.version},
                                   {"stack", l.stack},
                                   {"logical_id", l.logical_id},
                                   {"deleted", l.deleted},
                                   {"compatible_runtimes", l.compatible_runtimes},
                                   {"compatible_architectures", l.compatible_architectures},
                                   {"description", l.description},
                                   {"content_key", l.content_key},
                                   {"used_by", e.used_by}});
  }
  j["exports"] = Json::array();
  for (const auto& e : inv.exports) {
    j["exports"].push_back(
        {{"name", e.name}, {"value", e.value}, {"stack", e.stack}, {"imported_by", e.importers}});
  }
  j["not_emulated"] = Json::array();
  for (const auto& r : inv.not_emulated) {
    j["not_emulated"].push_back({{"stack", r.stack}, {"logical_id", r.logical_id}, {"type", r.type}});
  }
  j["ssm_parameters"] = Json::array();
  for (const auto& p : inv.ssm_parameters) {
    j["ssm_parameters"].push_back(
        {{"name", p.name}, {"type", p.type}, {"value", p.value}, {"version", p.version}, {"stack", p.stack}});
  }
  // Names and paths are bytes, not always UTF-8: replace what is not (U+FFFD).
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace layered::deploy
