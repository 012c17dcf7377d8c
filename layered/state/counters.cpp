// Numbers that are never handed out twice (layer versions, function
// versions), kept in <state-dir>/counters.db: a database of its own, on a
// connection of its own, committed the moment a number is reserved, so a
// deploy whose state.db transaction rolls back still has used it up, as
// Lambda's version numbers are used up by a failed stack update.
#include "state/impl.hpp"
#include "state/state.hpp"

namespace layered::state {

namespace {

constexpr const char* kCountersSchema =
    "CREATE TABLE IF NOT EXISTS counters(key TEXT PRIMARY KEY, last INTEGER NOT NULL)";

Result<sqlite3*> open_counters(const State::Impl& impl) {
  const std::string path = impl.dir + "/counters.db";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    Error e = detail::db_error(db, "cannot open the version counters");
    sqlite3_close_v2(db);
    return e;
  }
  // Deploys of one state are serialized by state.db's write lock; a wait here
  // only happens when another process is in the middle of one statement.
  sqlite3_busy_timeout(db, 5000);
  Status schema = detail::exec(db, kCountersSchema);
  if (!schema.ok()) {
    sqlite3_close_v2(db);
    return schema.error();
  }
  return db;
}

}  // namespace

State::Impl::~Impl() {
  statements.reset();  // finalized before the connection closes
  sqlite3_close_v2(db);
  sqlite3_close_v2(counters);
}

Result<std::int64_t> State::reserve_number(const std::string& key, std::int64_t at_least) {
  if (impl_->read_only) {
    return make_error("the state was opened read-only", impl_->dir + "/counters.db",
                      "this is a bug in 'layered': a read-only command tried to reserve a number");
  }
  if (!impl_->counters) {
    auto db = open_counters(*impl_);
    if (!db.ok()) return db.error();
    impl_->counters = *db;
  }
  // One statement in autocommit mode: atomic against other processes, and
  // durable whatever happens to the caller's transaction on state.db.
  detail::Statement q(impl_->counters,
                      "INSERT INTO counters(key, last) VALUES(?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET last = MAX(last + 1, ?2) RETURNING last");
  q.bind(1, key).bind(2, at_least < 1 ? std::int64_t{1} : at_least);
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return detail::db_error(impl_->counters, "cannot reserve a number for '" + key + "'");
  const std::int64_t number = q.number(0);
  (void)q.step();  // finish the statement so that its write is committed
  return number;
}

}  // namespace layered::state
