// The local SSM parameter store, and what the content and cache stores must keep.
#include <set>

#include "state/impl.hpp"
#include "state/state.hpp"

namespace layered::state {

namespace {

constexpr const char* kSsmColumns = "SELECT name, type, value, version, stack FROM ssm_parameters ";

SsmParameterRecord read_ssm(const detail::Statement& q) {
  return SsmParameterRecord{q.text(0), q.text(1), q.text(2), static_cast<int>(q.number(3)), q.text(4)};
}

}  // namespace

Result<std::vector<SsmParameterRecord>> State::ssm_parameters() const {
  auto q = impl_->query(std::string(kSsmColumns) + "ORDER BY name");
  std::vector<SsmParameterRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_ssm(q)); }));
  return out;
}

Result<std::optional<SsmParameterRecord>> State::ssm_parameter(const std::string& name) const {
  auto q = impl_->query(std::string(kSsmColumns) + "WHERE name = ?1");
  q.bind(1, name);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<SsmParameterRecord>{};
  return std::optional<SsmParameterRecord>{read_ssm(q)};
}

Status State::put_ssm_parameter(const SsmParameterRecord& r) {
  // Like SSM, a write bumps the version only when it changes something.
  LAYERED_TRY(
      impl_
          ->query("INSERT INTO ssm_parameters(name, type, value, version, stack) VALUES(?1, ?2, ?3, 1, ?4) "
                  "ON CONFLICT(name) DO UPDATE SET version = version + (value != ?3 OR type != ?2), "
                  "type = ?2, value = ?3, stack = ?4")
          .bind(1, r.name)
          .bind(2, r.type)
          .bind(3, r.value)
          .bind(4, r.stack)
          .run());
  LAYERED_TRY(impl_
                  ->query("INSERT OR IGNORE INTO ssm_parameter_history(name, version, type, value) "
                          "SELECT name, version, type, value FROM ssm_parameters WHERE name = ?1")
                  .bind(1, r.name)
                  .run());
  // SSM keeps a parameter's last 100 versions.
  return impl_
      ->query(
          "DELETE FROM ssm_parameter_history WHERE name = ?1 AND version <= "
          "(SELECT version FROM ssm_parameters WHERE name = ?1) - ?2")
      .bind(1, r.name)
      .bind(2, kSsmVersionsKept)
      .run();
}

Result<std::optional<std::string>> State::ssm_parameter_version(const std::string& name, int version) const {
  auto q = impl_->query("SELECT value FROM ssm_parameter_history WHERE name = ?1 AND version = ?2");
  q.bind(1, name).bind(2, version);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{q.text(0)};
}

Status State::delete_ssm_parameter(const std::string& name) {
  // Its history goes with it: a parameter created again starts at version 1.
  LAYERED_TRY(impl_->query("DELETE FROM ssm_parameter_history WHERE name = ?1").bind(1, name).run());
  return impl_->query("DELETE FROM ssm_parameters WHERE name = ?1").bind(1, name).run();
}

Result<std::vector<std::string>> State::referenced_content_keys() const {
  // A deleted layer version still serves the functions that reference it.
  auto q = impl_->query(
      "SELECT code_key FROM functions UNION "
      "SELECT content_key FROM layer_versions WHERE deleted = 0 UNION "
      "SELECT l.content_key FROM layer_versions l JOIN function_layers fl ON fl.layer_arn = l.arn UNION "
      "SELECT code_key FROM function_versions UNION "
      "SELECT l.content_key FROM layer_versions l JOIN function_version_layers vl ON vl.layer_arn = l.arn");
  std::vector<std::string> out;
  LAYERED_TRY(q.each([&] { out.push_back(q.text(0)); }));
  return out;
}

Result<std::vector<std::vector<std::string>>> State::layer_sets() const {
  auto q = impl_->query(
      "SELECT fl.function, l.content_dir, fl.position FROM function_layers fl JOIN layer_versions l ON "
      "l.arn = fl.layer_arn UNION ALL "
      "SELECT vl.function || ':' || vl.version, l.content_dir, vl.position FROM function_version_layers vl "
      "JOIN layer_versions l ON l.arn = vl.layer_arn ORDER BY 1, 3");
  std::set<std::vector<std::string>> sets;
  std::string function;
  std::vector<std::string> dirs;
  LAYERED_TRY(q.each([&] {
    if (q.text(0) != function) {
      if (!dirs.empty()) sets.insert(std::move(dirs));
      dirs.clear();
      function = q.text(0);
    }
    dirs.push_back(impl_->from_stored_path(q.text(1)));
  }));
  if (!dirs.empty()) sets.insert(std::move(dirs));
  return std::vector<std::vector<std::string>>(sets.begin(), sets.end());
}

}  // namespace layered::state
