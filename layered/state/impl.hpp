// State::Impl, shared by the state module's source files.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "state/db.hpp"
#include "state/state.hpp"

namespace layered::state {

struct State::Impl {
  sqlite3* db = nullptr;
  std::unique_ptr<detail::StatementCache> statements;
  Settings settings;
  std::string dir;  // absolute
  bool read_only = false;
  int schema_version = 0;       // set by read-only opens, which do not migrate; 0: current
  sqlite3* counters = nullptr;  // <dir>/counters.db, opened on first reserve_number()
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  detail::Statement query(std::string_view sql) const { return detail::Statement(db, *statements, sql); }
  // Stored dirs under the state dir are kept relative so the state can move.
  std::string to_stored_path(const std::string& path) const;
  std::string from_stored_path(const std::string& path) const;
};

namespace detail {
std::string to_json(const Pairs& pairs);
Pairs pairs_from_json(const std::string& text);
std::string to_json(const std::vector<std::string>& list);
std::vector<std::string> list_from_json(const std::string& text);
// A function's columns in the order of `functions` (name, arn, stack,
// logical_id, construct_path, runtime, handler, architecture, memory_mb,
// timeout_s, ephemeral_mb, environment, code_key, code_dir) from column 0.
Result<FunctionRecord> read_function(const Statement& q, const State::Impl& impl);
// Binds a function's columns, in the same order, as parameters ?1 to ?14.
Statement& bind_function(Statement& q, const FunctionRecord& f, const State::Impl& impl);
}  // namespace detail

}  // namespace layered::state
