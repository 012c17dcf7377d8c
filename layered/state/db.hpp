// A thin checked wrapper over the SQLite C API, private to the state module.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/common.hpp"

namespace layered::state::detail {

// Prepared statements kept for the life of a connection: a deploy runs the
// same few queries once per resource, and preparing them each time made
// SQLite's parser one of a large deploy's top costs.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache();

  // A prepared statement for `sql`, reset and unbound; nullptr with the
  // error in `rc` when it cannot be prepared. Returns nullptr and rc ==
  // SQLITE_OK when the cached one is in use (a nested use of the same query).
  sqlite3_stmt* take(std::string_view sql, int& rc);
  // Hands a statement taken from the cache back.
  void give_back(sqlite3_stmt* stmt);

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<sqlite3_stmt*, Entry*> by_stmt_;
};

class Statement {
 public:
  // Prepared for this use only.
  Statement(sqlite3* db, std::string_view sql);
  // Taken from `cache` when it is free there, else prepared for this use.
  Statement(sqlite3* db, StatementCache& cache, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  // Without this, a string literal would bind as bool.
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::int64_t number);
  Statement& bind(int index, int number) { return bind(index, static_cast<std::int64_t>(number)); }
  Statement& bind(int index, bool flag) { return bind(index, static_cast<std::int64_t>(flag ? 1 : 0)); }

  // true: a row is available; false: done. Errors carry SQLite's message.
  Result<bool> step();
  // Runs to completion, for statements that return no rows.
  Status run();
  // Steps through every row, calling `on_row()` while positioned on it.
  template <class F>
  Status each(F&& on_row) {
    for (;;) {
      auto row = step();
      if (!row.ok()) return row.error();
      if (!*row) return Ok{};
      on_row();
    }
  }

  std::string text(int column) const;
  std::int64_t number(int column) const;

 private:
  void prepare(std::string_view sql);

  sqlite3* db_;
  StatementCache* cache_ = nullptr;  // set when stmt_ came from it
  sqlite3_stmt* stmt_ = nullptr;
  int prepare_rc_ = SQLITE_OK;
  std::string prepare_error_;
};

// Runs one or more statements without results.
Status exec(sqlite3* db, const std::string& sql);

// An error naming the database and SQLite's own message.
Error db_error(sqlite3* db, const std::string& what);

}  // namespace layered::state::detail
