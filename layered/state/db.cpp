#include "state/db.hpp"

namespace layered::state::detail {

Error db_error(sqlite3* db, const std::string& what) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return make_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"), file ? file : "state.db",
                    "is another 'layered' running on this state? otherwise remove the state directory");
}

StatementCache::~StatementCache() {
  for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
}

sqlite3_stmt* StatementCache::take(std::string_view sql, int& rc) {
  rc = SQLITE_OK;
  auto [it, inserted] = entries_.try_emplace(std::string(sql));
  Entry& entry = it->second;
  if (!inserted) {
    if (entry.in_use) return nullptr;
    entry.in_use = true;
    return entry.stmt;
  }
  rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                          &entry.stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(entry.stmt);
    entries_.erase(it);
    return nullptr;
  }
  entry.in_use = true;
  by_stmt_[entry.stmt] = &entry;
  return entry.stmt;
}

void StatementCache::give_back(sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  auto it = by_stmt_.find(stmt);
  if (it != by_stmt_.end()) it->second->in_use = false;
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) { prepare(sql); }

Statement::Statement(sqlite3* db, StatementCache& cache, std::string_view sql) : db_(db) {
  stmt_ = cache.take(sql, prepare_rc_);
  if (stmt_) {
    cache_ = &cache;
  } else if (prepare_rc_ == SQLITE_OK) {
    prepare(sql);
  } else {
    prepare_error_ = sqlite3_errmsg(db);
  }
}

void Statement::prepare(std::string_view sql) {
  prepare_rc_ = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (prepare_rc_ != SQLITE_OK) prepare_error_ = sqlite3_errmsg(db_);
}

Statement::~Statement() {
  if (cache_) {
    cache_->give_back(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind(int index, std::string_view text) {
  if (stmt_) sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
  if (stmt_) sqlite3_bind_int64(stmt_, index, number);
  return *this;
}

Result<bool> Statement::step() {
  if (prepare_rc_ != SQLITE_OK) {
    return make_error("cannot prepare a query: " + prepare_error_, "state.db");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(db_, "cannot update the state");
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row.ok()) return row.error();
    if (!*row) return Ok{};
  }
}

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

std::int64_t Statement::number(int column) const { return sqlite3_column_int64(stmt_, column); }

Status exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    const char* file = sqlite3_db_filename(db, "main");
    return make_error("cannot update the state: " + text, file ? file : "state.db");
  }
  return Ok{};
}

}  // namespace layered::state::detail
