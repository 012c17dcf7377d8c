// A thin checked wrapper over the SQLite C API, private to the state module.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/common.hpp"

namespace layered::state::detail {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
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
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int prepare_rc_ = SQLITE_OK;
  std::string prepare_error_;
};

// Runs one or more statements without results.
Status exec(sqlite3* db, const std::string& sql);

// An error naming the database and SQLite's own message.
Error db_error(sqlite3* db, const std::string& what);

}  // namespace layered::state::detail
