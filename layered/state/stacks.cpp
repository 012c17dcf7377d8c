// Stacks, their resources, and the exports/imports between stacks.
#include "state/impl.hpp"
#include "state/state.hpp"

namespace layered::state {

using detail::Statement;

namespace {

StackRecord read_stack(const Statement& q) {
  return StackRecord{
      q.text(0), q.text(1), q.text(2), detail::pairs_from_json(q.text(3)), detail::pairs_from_json(q.text(4)),
      q.text(5), q.text(6), q.text(7)};
}

ResourceRecord read_resource(const Statement& q) {
  return ResourceRecord{q.text(0), q.text(1), q.text(2), q.text(3),       q.text(4),
                        q.text(5), q.text(6), q.text(7), q.number(8) != 0};
}

// A read-only open does not migrate: a state of schema version 2 has no
// environment columns, and its stacks read as living in the state's settings.
std::string stack_columns(const State::Impl& impl) {
  const bool has_environment = impl.schema_version == 0 || impl.schema_version >= 3;
  return std::string("SELECT name, status, template_digest, outputs, parameters, deployed_at, ") +
         (has_environment ? "account_id, region" : "'', ''") + " FROM stacks ";
}

Result<std::vector<std::string>> strings(Statement& q) {
  std::vector<std::string> out;
  LAYERED_TRY(q.each([&] { out.push_back(q.text(0)); }));
  return out;
}

}  // namespace

Result<std::vector<StackRecord>> State::stacks() const {
  // "" holds the functions their stacks retained (orphan_function).
  auto q = impl_->query(stack_columns(*impl_) + "WHERE name != '' ORDER BY rowid");
  std::vector<StackRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_stack(q)); }));
  return out;
}

Result<std::optional<StackRecord>> State::stack(const std::string& name) const {
  auto q = impl_->query(stack_columns(*impl_) + "WHERE name = ?1");
  q.bind(1, name);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<StackRecord>{};
  return std::optional<StackRecord>{read_stack(q)};
}

Status State::put_stack(const StackRecord& s) {
  return impl_
      ->query(
          "INSERT INTO stacks(name, status, template_digest, outputs, parameters, deployed_at, account_id, "
          "region) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name) DO UPDATE SET status = ?2, "
          "template_digest = ?3, outputs = ?4, parameters = ?5, deployed_at = ?6, account_id = ?7, region = "
          "?8")
      .bind(1, s.name)
      .bind(2, s.status)
      .bind(3, s.template_digest)
      .bind(4, detail::to_json(s.outputs))
      .bind(5, detail::to_json(s.parameters))
      .bind(6, s.deployed_at)
      .bind(7, s.account_id)
      .bind(8, s.region)
      .run();
}

Result<Settings> State::stack_environment(const std::string& name) const {
  auto record = stack(name);
  if (!record.ok()) return record.error();
  if (!record->has_value()) return impl_->settings;
  return resolve_environment(impl_->settings, (*record)->account_id, (*record)->region);
}

Status State::delete_stack(const std::string& name) {
  LAYERED_TRY(impl_->query("DELETE FROM imports WHERE stack = ?1").bind(1, name).run());
  // Deleting a function deletes its versions and aliases (Lambda's DeleteFunction).
  for (const char* sql :
       {"DELETE FROM function_aliases WHERE function IN (SELECT name FROM functions WHERE stack = ?1)",
        "DELETE FROM function_versions WHERE function IN (SELECT name FROM functions WHERE stack = ?1)",
        "DELETE FROM functions WHERE stack = ?1"}) {
    LAYERED_TRY(impl_->query(sql).bind(1, name).run());
  }
  LAYERED_TRY(impl_->query("DELETE FROM exports WHERE stack = ?1").bind(1, name).run());
  return impl_->query("DELETE FROM stacks WHERE name = ?1").bind(1, name).run();
}

Result<std::vector<ResourceRecord>> State::resources(const std::string& stack) const {
  auto q = impl_->query(
      "SELECT stack, logical_id, type, physical_id, properties, attributes, deletion_policy, "
      "update_replace_policy, emulated FROM resources WHERE stack = ?1 ORDER BY rowid");
  q.bind(1, stack);
  std::vector<ResourceRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_resource(q)); }));
  return out;
}

Result<std::vector<ResourceRecord>> State::not_emulated_resources() const {
  auto q = impl_->query(
      "SELECT r.stack, r.logical_id, r.type, r.physical_id, r.properties, r.attributes, r.deletion_policy, "
      "r.update_replace_policy, r.emulated FROM resources r JOIN stacks s ON s.name = r.stack "
      "WHERE r.emulated = 0 ORDER BY s.rowid, r.rowid");
  std::vector<ResourceRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(read_resource(q)); }));
  return out;
}

Status State::put_resource(const ResourceRecord& r) {
  return impl_
      ->query(
          "INSERT INTO resources(stack, logical_id, type, physical_id, properties, attributes, "
          "deletion_policy, "
          "update_replace_policy, emulated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
          "ON CONFLICT(stack, logical_id) DO UPDATE SET type = ?3, physical_id = ?4, properties = ?5, "
          "attributes = ?6, deletion_policy = ?7, update_replace_policy = ?8, emulated = ?9")
      .bind(1, r.stack)
      .bind(2, r.logical_id)
      .bind(3, r.type)
      .bind(4, r.physical_id)
      .bind(5, r.properties_json)
      .bind(6, r.attributes_json)
      .bind(7, r.deletion_policy)
      .bind(8, r.update_replace_policy)
      .bind(9, r.emulated)
      .run();
}

Status State::delete_resource(const std::string& stack, const std::string& logical_id) {
  return impl_->query("DELETE FROM resources WHERE stack = ?1 AND logical_id = ?2")
      .bind(1, stack)
      .bind(2, logical_id)
      .run();
}

Result<std::vector<ExportRecord>> State::exports() const {
  auto q = impl_->query("SELECT name, value, stack FROM exports ORDER BY name");
  std::vector<ExportRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(ExportRecord{q.text(0), q.text(1), q.text(2), {}}); }));
  for (auto& e : out) {
    auto importers = this->importers(e.name);
    if (!importers.ok()) return importers.error();
    e.importers = std::move(*importers);
  }
  return out;
}

Result<std::vector<ExportRecord>> State::exports_of(const std::string& stack) const {
  auto q = impl_->query("SELECT name, value, stack FROM exports WHERE stack = ?1 ORDER BY name");
  q.bind(1, stack);
  std::vector<ExportRecord> out;
  LAYERED_TRY(q.each([&] { out.push_back(ExportRecord{q.text(0), q.text(1), q.text(2), {}}); }));
  for (auto& e : out) {
    auto importers = this->importers(e.name);
    if (!importers.ok()) return importers.error();
    e.importers = std::move(*importers);
  }
  return out;
}

Result<std::optional<ExportRecord>> State::find_export(const std::string& name) const {
  auto q = impl_->query("SELECT name, value, stack FROM exports WHERE name = ?1");
  q.bind(1, name);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<ExportRecord>{};
  ExportRecord record{q.text(0), q.text(1), q.text(2), {}};
  auto importers = this->importers(name);
  if (!importers.ok()) return importers.error();
  record.importers = std::move(*importers);
  return std::optional<ExportRecord>{std::move(record)};
}

Status State::put_export(const ExportRecord& e) {
  return impl_
      ->query(
          "INSERT INTO exports(name, value, stack) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(name) DO UPDATE SET value = ?2, stack = ?3")
      .bind(1, e.name)
      .bind(2, e.value)
      .bind(3, e.stack)
      .run();
}

Status State::delete_export(const std::string& name) {
  return impl_->query("DELETE FROM exports WHERE name = ?1").bind(1, name).run();
}

Result<std::vector<std::string>> State::importers(const std::string& export_name) const {
  auto q = impl_->query("SELECT stack FROM imports WHERE export_name = ?1 ORDER BY stack");
  q.bind(1, export_name);
  return strings(q);
}

Status State::set_imports(const std::string& stack, const std::vector<std::string>& export_names) {
  LAYERED_TRY(impl_->query("DELETE FROM imports WHERE stack = ?1").bind(1, stack).run());
  for (const auto& name : export_names) {
    LAYERED_TRY(impl_->query("INSERT OR IGNORE INTO imports(export_name, stack) VALUES(?1, ?2)")
                    .bind(1, name)
                    .bind(2, stack)
                    .run());
  }
  return Ok{};
}

}  // namespace layered::state
