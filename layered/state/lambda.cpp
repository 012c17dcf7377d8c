// Layer versions and functions: what Lambda itself would hold.
#include <algorithm>
#include <unordered_map>

#include "state/impl.hpp"
#include "state/state.hpp"

namespace layered::state {

using detail::Statement;

namespace {

constexpr const char* kLayerColumns =
    "SELECT arn, layer_name, version, content_key, content_dir, compatible_runtimes, "
    "compatible_architectures, description, stack, logical_id, deleted FROM layer_versions ";

constexpr const char* kFunctionColumns =
    "SELECT name, arn, stack, logical_id, construct_path, runtime, handler, architecture, memory_mb, "
    "timeout_s, ephemeral_mb, environment, code_key, code_dir FROM functions ";

model::Layer layer_of(const std::string& arn, std::string dir) {
  return model::Layer{arn, std::move(dir), model::layer_display_name(arn)};
}

LayerVersionRecord read_layer(const Statement& q, const State::Impl& impl) {
  LayerVersionRecord r;
  r.arn = q.text(0);
  r.layer_name = q.text(1);
  r.version = static_cast<int>(q.number(2));
  r.content_key = q.text(3);
  r.content_dir = impl.from_stored_path(q.text(4));
  r.compatible_runtimes = detail::list_from_json(q.text(5));
  r.compatible_architectures = detail::list_from_json(q.text(6));
  r.description = q.text(7);
  r.stack = q.text(8);
  r.logical_id = q.text(9);
  r.deleted = q.number(10) != 0;
  return r;
}

}  // namespace

// A runtime or architecture the enums do not know can only come from a state
// written by an older layered that accepted it: say so rather than guess.
Result<FunctionRecord> detail::read_function(const Statement& q, const State::Impl& impl) {
  FunctionRecord f;
  f.name = q.text(0);
  f.arn = q.text(1);
  f.stack = q.text(2);
  f.logical_id = q.text(3);
  f.construct_path = q.text(4);
  auto runtime = model::parse_runtime(q.text(5));
  if (!runtime) {
    return model::unknown_runtime(f.name, q.text(5), "the local state (" + f.stack + ")");
  }
  f.runtime = *runtime;
  f.handler = q.text(6);
  f.architecture = model::parse_architecture(q.text(7)).value_or(model::Architecture::x86_64);
  f.memory_mb = static_cast<int>(q.number(8));
  f.timeout_s = static_cast<int>(q.number(9));
  f.ephemeral_mb = static_cast<int>(q.number(10));
  f.environment = detail::pairs_from_json(q.text(11));
  f.code_key = q.text(12);
  f.code_dir = impl.from_stored_path(q.text(13));
  return f;
}

Statement& detail::bind_function(Statement& q, const FunctionRecord& f, const State::Impl& impl) {
  return q.bind(1, f.name)
      .bind(2, f.arn)
      .bind(3, f.stack)
      .bind(4, f.logical_id)
      .bind(5, f.construct_path)
      .bind(6, std::string(model::to_string(f.runtime)))
      .bind(7, f.handler)
      .bind(8, std::string(model::to_string(f.architecture)))
      .bind(9, f.memory_mb)
      .bind(10, f.timeout_s)
      .bind(11, f.ephemeral_mb)
      .bind(12, detail::to_json(f.environment))
      .bind(13, f.code_key)
      .bind(14, impl.to_stored_path(f.code_dir));
}

namespace {

Status load_layers(const State::Impl& impl, FunctionRecord& f) {
  auto q = impl.query(
      "SELECT l.arn, l.content_dir FROM function_layers fl JOIN layer_versions l ON l.arn = fl.layer_arn "
      "WHERE fl.function = ?1 ORDER BY fl.position");
  q.bind(1, f.name);
  LAYERED_TRY(q.each([&] { f.layers.push_back(layer_of(q.text(0), impl.from_stored_path(q.text(1)))); }));
  return Ok{};
}

Result<std::vector<FunctionRecord>> select_functions(const State::Impl& impl, const std::string& where,
                                                     const std::string& key) {
  auto q = impl.query(std::string(kFunctionColumns) + where);
  if (!key.empty()) q.bind(1, key);
  std::vector<FunctionRecord> out;
  std::optional<Error> bad;
  LAYERED_TRY(q.each([&] {
    auto f = detail::read_function(q, impl);
    if (f.ok())
      out.push_back(std::move(*f));
    else if (!bad)
      bad = f.error();
  }));
  if (bad) return *bad;
  for (auto& f : out) LAYERED_TRY(load_layers(impl, f));
  return out;
}

// Every function with its layers: two queries, however many functions.
Result<std::vector<FunctionRecord>> all_functions(const State::Impl& impl) {
  auto q = impl.query(std::string(kFunctionColumns) + "ORDER BY stack, name");
  std::vector<FunctionRecord> out;
  std::unordered_map<std::string, std::size_t> index;
  std::optional<Error> bad;
  LAYERED_TRY(q.each([&] {
    auto f = detail::read_function(q, impl);
    if (!f.ok()) {
      if (!bad) bad = f.error();
      return;
    }
    out.push_back(std::move(*f));
    index.emplace(out.back().name, out.size() - 1);
  }));
  if (bad) return *bad;
  auto layers = impl.query(
      "SELECT fl.function, l.arn, l.content_dir FROM function_layers fl "
      "JOIN layer_versions l ON l.arn = fl.layer_arn ORDER BY fl.function, fl.position");
  LAYERED_TRY(layers.each([&] {
    auto it = index.find(layers.text(0));
    if (it != index.end()) {
      out[it->second].layers.push_back(layer_of(layers.text(1), impl.from_stored_path(layers.text(2))));
    }
  }));
  return out;
}

// `arn:...:function:name[:qualifier]` -> name; the qualifier must be $LATEST.
Result<std::string> name_from_arn(const std::string& arn) {
  auto at = arn.find(":function:");
  std::string rest = arn.substr(at + 10);
  auto colon = rest.find(':');
  if (colon == std::string::npos) return rest;
  std::string qualifier = rest.substr(colon + 1);
  if (qualifier != "$LATEST") {
    return make_error("function version or alias '" + qualifier + "' does not exist locally", arn,
                      "only $LATEST is deployed locally; use the ARN without ':" + qualifier + "'");
  }
  return rest.substr(0, colon);
}

}  // namespace

Result<std::vector<LayerVersionRecord>> State::layer_versions() const {
  auto q = impl_->query(std::string(kLayerColumns) + "ORDER BY layer_name, version");
  std::vector<LayerVersionRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_layer(q, *impl_)); }));
  return out;
}

Result<std::optional<LayerVersionRecord>> State::find_layer_version(const std::string& arn) const {
  auto q = impl_->query(std::string(kLayerColumns) + "WHERE arn = ?1");
  q.bind(1, arn);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<LayerVersionRecord>{};
  return std::optional<LayerVersionRecord>{read_layer(q, *impl_)};
}

Result<int> State::next_layer_version(const std::string& layer_name) const {
  auto q = impl_->query("SELECT COALESCE(MAX(version), 0) + 1 FROM layer_versions WHERE layer_name = ?1");
  q.bind(1, layer_name);
  auto row = q.step();
  if (!row.ok()) return row.error();
  return static_cast<int>(q.number(0));
}

Result<int> State::reserve_layer_version(const std::string& layer_name) {
  // The floor covers states written before the counters existed.
  auto floor = next_layer_version(layer_name);
  if (!floor.ok()) return floor.error();
  auto number = reserve_number("layer:" + layer_name, *floor);
  if (!number.ok()) return number.error();
  return static_cast<int>(*number);
}

Status State::put_layer_version(const LayerVersionRecord& r) {
  return impl_
      ->query(
          "INSERT INTO layer_versions(arn, layer_name, version, content_key, content_dir, "
          "compatible_runtimes, "
          "compatible_architectures, description, stack, logical_id, deleted) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
      .bind(1, r.arn)
      .bind(2, r.layer_name)
      .bind(3, r.version)
      .bind(4, r.content_key)
      .bind(5, impl_->to_stored_path(r.content_dir))
      .bind(6, detail::to_json(r.compatible_runtimes))
      .bind(7, detail::to_json(r.compatible_architectures))
      .bind(8, r.description)
      .bind(9, r.stack)
      .bind(10, r.logical_id)
      .bind(11, r.deleted)
      .run();
}

Status State::put_provided_layer_version(const LayerVersionRecord& r) {
  return impl_
      ->query(
          "INSERT INTO layer_versions(arn, layer_name, version, content_key, content_dir, "
          "compatible_runtimes, "
          "compatible_architectures, description, stack, logical_id, deleted) "
          "VALUES(?1, ?2, ?3, ?4, ?5, '[]', '[]', ?6, '', '', 0) "
          "ON CONFLICT(arn) DO UPDATE SET content_key = excluded.content_key, "
          "content_dir = excluded.content_dir, description = excluded.description")
      .bind(1, r.arn)
      .bind(2, r.layer_name)
      .bind(3, r.version)
      .bind(4, r.content_key)
      .bind(5, impl_->to_stored_path(r.content_dir))
      .bind(6, r.description)
      .run();
}

Status State::mark_layer_version_deleted(const std::string& arn) {
  return impl_->query("UPDATE layer_versions SET deleted = 1 WHERE arn = ?1").bind(1, arn).run();
}

Result<std::vector<FunctionRecord>> State::functions() const { return all_functions(*impl_); }

Result<std::optional<FunctionRecord>> State::function(const std::string& name) const {
  auto found = select_functions(*impl_, "WHERE name = ?1", name);
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<FunctionRecord>{};
  return std::optional<FunctionRecord>{std::move(found->front())};
}

Status State::put_function(const FunctionRecord& f) {
  LAYERED_TRY(delete_function(f.name));
  auto insert = impl_->query(
      "INSERT INTO functions(name, arn, stack, logical_id, construct_path, runtime, handler, "
      "architecture, memory_mb, timeout_s, ephemeral_mb, environment, code_key, code_dir) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  detail::bind_function(insert, f, *impl_);
  LAYERED_TRY(insert.run());
  for (std::size_t i = 0; i < f.layers.size(); ++i) {
    LAYERED_TRY(impl_->query("INSERT INTO function_layers(function, position, layer_arn) VALUES(?1, ?2, ?3)")
                    .bind(1, f.name)
                    .bind(2, static_cast<int>(i))
                    .bind(3, f.layers[i].arn)
                    .run());
  }
  return Ok{};
}

Status State::delete_function(const std::string& name) {
  return impl_->query("DELETE FROM functions WHERE name = ?1").bind(1, name).run();
}

namespace {

// The container image function deployed under `name` (recorded, not run).
Result<std::optional<ResourceRecord>> image_function(const State& state, const std::string& name) {
  auto recorded = state.not_emulated_resources();
  if (!recorded.ok()) return recorded.error();
  for (auto& r : *recorded) {
    if (r.type == "AWS::Lambda::Function" && r.physical_id == name)
      return std::optional<ResourceRecord>(std::move(r));
  }
  return std::optional<ResourceRecord>{};
}

}  // namespace

Result<FunctionRecord> State::find_function(const std::string& key) const {
  std::string name = key;
  const bool is_arn = key.rfind("arn:", 0) == 0 && key.find(":function:") != std::string::npos;
  if (is_arn) {
    auto parsed = name_from_arn(key);
    if (!parsed.ok()) return parsed.error();
    name = *parsed;
  }
  auto found = select_functions(*impl_, "WHERE name = ?1", name);
  if (!found.ok()) return found.error();
  if (is_arn && !found->empty() && found->front().arn != key.substr(0, key.find(":$LATEST"))) found->clear();
  if (found->empty() && !is_arn) {
    std::string path = key;
    if (path.size() > 9 && path.ends_with("/Resource")) path.resize(path.size() - 9);
    found = select_functions(*impl_, "WHERE construct_path = ?1", path);
    if (!found.ok()) return found.error();
  }
  if (!found->empty()) return std::move(found->front());
  if (auto image = image_function(*this, name); !image.ok() || *image) {
    if (!image.ok()) return image.error();
    return make_error("function '" + key +
                          "' is a container image (PackageType Image): layered records it but cannot run it",
                      (*image)->stack + "/" + (*image)->logical_id,
                      "layered runs zip functions only; invoke this one on AWS or with a container tool");
  }

  auto all = functions();
  if (!all.ok()) return all.error();
  std::vector<std::string> candidates;
  for (const auto& f : *all) {
    candidates.push_back(f.name);
    if (!f.construct_path.empty()) candidates.push_back(f.construct_path);
  }
  std::string hint = did_you_mean(is_arn ? name : key, candidates);
  hint += (hint.empty() ? "" : " ") + std::string("run 'layered list' to see deployed functions");
  return make_error("function '" + key + "' not found", "", hint);
}

}  // namespace layered::state
