// Published function versions and aliases: what Lambda holds besides
// $LATEST. A version is a whole copy of the function's configuration, so that
// redeploying the function never changes what a version runs.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "state/impl.hpp"
#include "state/state.hpp"

namespace layered::state {

using detail::Statement;

namespace {

// The function's columns first, in the order read_function reads them.
constexpr const char* kVersionColumns =
    "SELECT function, function_arn, stack, logical_id, construct_path, runtime, handler, architecture, "
    "memory_mb, timeout_s, ephemeral_mb, environment, code_key, code_dir, version, arn, description, "
    "resource_stack, resource_logical_id, published_at FROM function_versions ";

constexpr const char* kAliasColumns =
    "SELECT function, name, arn, function_version, routing, description, stack, logical_id "
    "FROM function_aliases ";

Result<FunctionVersionRecord> read_version(const Statement& q, const State::Impl& impl) {
  FunctionVersionRecord v;
  auto function = detail::read_function(q, impl);
  if (!function) return function.error();
  v.function = std::move(*function);
  v.version = static_cast<int>(q.number(14));
  v.function.version = std::to_string(v.version);
  v.arn = q.text(15);
  v.description = q.text(16);
  v.stack = q.text(17);
  v.logical_id = q.text(18);
  v.published_at = q.text(19);
  return v;
}

std::string routing_to_json(const std::vector<std::pair<std::string, double>>& routing) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [version, weight] : routing) j.push_back({version, weight});
  return j.dump();
}

std::vector<std::pair<std::string, double>> routing_from_json(const std::string& text) {
  std::vector<std::pair<std::string, double>> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& p : j) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_number()) out.emplace_back(p[0], p[1]);
  }
  return out;
}

AliasRecord read_alias(const Statement& q) {
  return AliasRecord{q.text(0), q.text(1), q.text(2), q.text(3), routing_from_json(q.text(4)),
                     q.text(5), q.text(6), q.text(7)};
}

Result<std::vector<FunctionVersionRecord>> select_versions(const State::Impl& impl, const std::string& where,
                                                           const std::string& function, int version) {
  auto q = impl.query(std::string(kVersionColumns) + where);
  if (!function.empty()) q.bind(1, function);
  if (version > 0) q.bind(2, version);
  std::vector<FunctionVersionRecord> out;
  std::optional<Error> bad;
  LAYERED_TRY(q.each([&] {
    auto v = read_version(q, impl);
    if (v.ok())
      out.push_back(std::move(*v));
    else if (!bad)
      bad = v.error();
  }));
  if (bad) return *bad;
  for (auto& v : out) {
    auto layers = impl.query(
        "SELECT l.arn, l.content_dir FROM function_version_layers vl JOIN layer_versions l ON l.arn = "
        "vl.layer_arn WHERE vl.function = ?1 AND vl.version = ?2 ORDER BY vl.position");
    layers.bind(1, v.function.name).bind(2, v.version);
    LAYERED_TRY(layers.each([&] {
      const std::string arn = layers.text(0);
      v.function.layers.push_back(
          model::Layer{arn, impl.from_stored_path(layers.text(1)), model::layer_display_name(arn)});
    }));
  }
  return out;
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "NAME:Q", "Stack/Construct:Q" or "arn:...:function:NAME:Q" -> (base, Q).
// A construct path may hold "::" (CDK's custom resource providers,
// "Stack/Custom::XProvider/Handler"): a qualifier is after the last colon,
// holds no '/' and is not the second half of a "::".
std::pair<std::string, std::string> split_qualifier(const std::string& key) {
  const bool is_arn = key.rfind("arn:", 0) == 0;
  const auto at = key.find(":function:");
  const std::size_t from = is_arn && at != std::string::npos ? at + 10 : 0;
  const auto colon = key.rfind(':');
  if (colon == std::string::npos || colon < from) return {key, ""};
  const std::string qualifier = key.substr(colon + 1);
  if (qualifier.find('/') != std::string::npos || (colon > 0 && key[colon - 1] == ':')) return {key, ""};
  return {key.substr(0, colon), qualifier};
}

std::string version_list(const std::vector<FunctionVersionRecord>& versions) {
  std::string out;
  for (const auto& v : versions) out += (out.empty() ? "" : ", ") + std::to_string(v.version);
  return out;
}

}  // namespace

Result<int> State::next_function_version(const std::string& function) const {
  auto q = impl_->query("SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE function = ?1");
  q.bind(1, function);
  auto row = q.step();
  if (!row.ok()) return row.error();
  return static_cast<int>(q.number(0));
}

Result<int> State::reserve_function_version(const FunctionRecord& function) {
  auto floor = next_function_version(function.name);
  if (!floor.ok()) return floor.error();
  auto number = reserve_number("function-version:" + function.arn, *floor);
  if (!number.ok()) return number.error();
  return static_cast<int>(*number);
}

Status State::put_function_version(const FunctionVersionRecord& v) {
  const FunctionRecord& f = v.function;
  auto insert = impl_->query(
      "INSERT INTO function_versions(function, function_arn, stack, logical_id, construct_path, "
      "runtime, handler, architecture, memory_mb, timeout_s, ephemeral_mb, environment, code_key, "
      "code_dir, version, arn, description, resource_stack, resource_logical_id, published_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
      "?19, ?20)");
  detail::bind_function(insert, f, *impl_)
      .bind(15, v.version)
      .bind(16, v.arn)
      .bind(17, v.description)
      .bind(18, v.stack)
      .bind(19, v.logical_id)
      .bind(20, v.published_at);
  LAYERED_TRY(insert.run());
  for (std::size_t i = 0; i < f.layers.size(); ++i) {
    LAYERED_TRY(impl_
                    ->query("INSERT INTO function_version_layers(function, version, position, layer_arn) "
                            "VALUES(?1, ?2, ?3, ?4)")
                    .bind(1, f.name)
                    .bind(2, v.version)
                    .bind(3, static_cast<int>(i))
                    .bind(4, f.layers[i].arn)
                    .run());
  }
  return Ok{};
}

Result<std::optional<FunctionVersionRecord>> State::function_version(const std::string& function,
                                                                     int version) const {
  auto found = select_versions(*impl_, "WHERE function = ?1 AND version = ?2", function, version);
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<FunctionVersionRecord>{};
  return std::optional<FunctionVersionRecord>{std::move(found->front())};
}

Result<std::vector<FunctionVersionRecord>> State::function_versions() const {
  return select_versions(*impl_, "ORDER BY function, version", "", 0);
}

Status State::delete_function_version(const std::string& function, int version) {
  return impl_->query("DELETE FROM function_versions WHERE function = ?1 AND version = ?2")
      .bind(1, function)
      .bind(2, version)
      .run();
}

Status State::put_alias(const AliasRecord& a) {
  return impl_
      ->query(
          "INSERT INTO function_aliases(function, name, arn, function_version, routing, description, stack, "
          "logical_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(function, name) DO UPDATE SET "
          "arn = ?3, function_version = ?4, routing = ?5, description = ?6, stack = ?7, logical_id = ?8")
      .bind(1, a.function)
      .bind(2, a.name)
      .bind(3, a.arn)
      .bind(4, a.function_version)
      .bind(5, routing_to_json(a.routing))
      .bind(6, a.description)
      .bind(7, a.stack)
      .bind(8, a.logical_id)
      .run();
}

Result<std::optional<AliasRecord>> State::alias(const std::string& function, const std::string& name) const {
  auto q = impl_->query(std::string(kAliasColumns) + "WHERE function = ?1 AND name = ?2");
  q.bind(1, function).bind(2, name);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<AliasRecord>{};
  return std::optional<AliasRecord>{read_alias(q)};
}

Result<std::vector<AliasRecord>> State::aliases() const {
  auto q = impl_->query(std::string(kAliasColumns) + "ORDER BY function, name");
  std::vector<AliasRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_alias(q)); }));
  return out;
}

Status State::delete_alias(const std::string& function, const std::string& name) {
  return impl_->query("DELETE FROM function_aliases WHERE function = ?1 AND name = ?2")
      .bind(1, function)
      .bind(2, name)
      .run();
}

Status State::remove_function(const std::string& name) {
  // The last number stays: a function created again under the name goes on
  // from it (docs/lambda-facts.md section 8).
  for (const char* sql : {"DELETE FROM function_aliases WHERE function = ?1",
                          "DELETE FROM function_versions WHERE function = ?1"}) {
    LAYERED_TRY(impl_->query(sql).bind(1, name).run());
  }
  return delete_function(name);
}

Status State::orphan_function(const std::string& name) {
  // functions.stack names a stack row (and goes with it): the retained ones
  // belong to a row of their own, named "", which stacks() never lists.
  LAYERED_TRY(impl_
                  ->query("INSERT OR IGNORE INTO stacks(name, status, template_digest, outputs, parameters, "
                          "deployed_at) VALUES('', 'RETAINED', '', '{}', '{}', '')")
                  .run());
  return impl_->query("UPDATE functions SET stack = '' WHERE name = ?1").bind(1, name).run();
}

Result<FunctionRecord> State::resolve_function(const std::string& key, double draw) const {
  auto [base, qualifier] = split_qualifier(key);
  auto function = find_function(base);
  if (!function.ok()) return function.error();
  if (qualifier.empty()) return function;
  const std::string name = function->name;
  // The ARN is the one the caller named (the runtime's invoked function ARN),
  // also when what runs is $LATEST.
  if (qualifier == "$LATEST") {
    function->arn = qualified_function_arn(name, qualifier);
    return function;
  }
  std::string version = qualifier;
  if (!all_digits(qualifier)) {
    auto alias = this->alias(name, qualifier);
    if (!alias.ok()) return alias.error();
    if (!alias->has_value()) {
      return make_error("function '" + name + "' has no alias '" + qualifier + "'", key,
                        "run 'layered list' to see its versions and aliases");
    }
    version = (*alias)->function_version;
    // Weighted routing: the additional versions take their share of `draw`.
    double at = 0;
    for (const auto& [extra, weight] : (*alias)->routing) {
      if (draw >= at && draw < at + weight) version = extra;
      at += weight;
    }
    if (version == "$LATEST") {
      function->arn = qualified_function_arn(name, qualifier);
      return function;
    }
  }
  // Versions are small numbers: a longer string of digits names no version.
  auto found = version.size() > 9 ? Result<std::optional<FunctionVersionRecord>>(std::nullopt)
                                  : function_version(name, std::stoi(version));
  if (!found.ok()) return found.error();
  if (!found->has_value()) {
    auto all = function_versions();
    if (!all.ok()) return all.error();
    std::erase_if(*all, [&](const FunctionVersionRecord& v) { return v.function.name != name; });
    return make_error("function '" + name + "' has no version " + version, key,
                      all->empty() ? "it has no published versions; use '" + name + "' ($LATEST)"
                                   : "its versions: " + version_list(*all));
  }
  FunctionRecord out = std::move((*found)->function);
  out.arn = qualified_function_arn(name, qualifier);
  return out;
}

}  // namespace layered::state
