#include "state/state.hpp"

#include <cstdlib>
#include <filesystem>

#include "state/impl.hpp"
#include "store/store.hpp"

namespace layered::state {

namespace fs = std::filesystem;

namespace {

// Bump kSchemaVersion and add a migration step whenever the schema changes.
constexpr int kSchemaVersion = 5;

constexpr const char* kSchema = R"sql(
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE stacks(
  name TEXT PRIMARY KEY, status TEXT NOT NULL, template_digest TEXT NOT NULL,
  outputs TEXT NOT NULL, parameters TEXT NOT NULL, deployed_at TEXT NOT NULL);
CREATE TABLE resources(
  stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
  logical_id TEXT NOT NULL, type TEXT NOT NULL, physical_id TEXT NOT NULL,
  properties TEXT NOT NULL, attributes TEXT NOT NULL,
  deletion_policy TEXT NOT NULL, update_replace_policy TEXT NOT NULL, emulated INTEGER NOT NULL,
  PRIMARY KEY(stack, logical_id));
CREATE TABLE exports(
  name TEXT PRIMARY KEY, value TEXT NOT NULL,
  stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE);
CREATE TABLE imports(
  export_name TEXT NOT NULL REFERENCES exports(name),
  stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
  PRIMARY KEY(export_name, stack));
CREATE TABLE layer_versions(
  arn TEXT PRIMARY KEY, layer_name TEXT NOT NULL, version INTEGER NOT NULL,
  content_key TEXT NOT NULL, content_dir TEXT NOT NULL,
  compatible_runtimes TEXT NOT NULL, compatible_architectures TEXT NOT NULL,
  description TEXT NOT NULL, stack TEXT NOT NULL, logical_id TEXT NOT NULL, deleted INTEGER NOT NULL,
  UNIQUE(layer_name, version));
CREATE TABLE functions(
  name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE,
  stack TEXT NOT NULL REFERENCES stacks(name) ON DELETE CASCADE,
  logical_id TEXT NOT NULL, construct_path TEXT NOT NULL, runtime TEXT NOT NULL, handler TEXT NOT NULL,
  architecture TEXT NOT NULL, memory_mb INTEGER NOT NULL, timeout_s INTEGER NOT NULL,
  ephemeral_mb INTEGER NOT NULL, environment TEXT NOT NULL, code_key TEXT NOT NULL, code_dir TEXT NOT NULL);
CREATE TABLE function_layers(
  function TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  position INTEGER NOT NULL, layer_arn TEXT NOT NULL REFERENCES layer_versions(arn),
  PRIMARY KEY(function, position));
CREATE TABLE ssm_parameters(
  name TEXT PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,
  stack TEXT NOT NULL);
)sql";

// Version 2: indexes so that a command costs what it touches, not what the
// state holds (invoke by construct path, deleting one stack's rows).
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS functions_by_construct_path ON functions(construct_path);
CREATE INDEX IF NOT EXISTS functions_by_stack ON functions(stack);
CREATE INDEX IF NOT EXISTS exports_by_stack ON exports(stack);
CREATE INDEX IF NOT EXISTS imports_by_stack ON imports(stack);
CREATE INDEX IF NOT EXISTS function_layers_by_layer ON function_layers(layer_arn);
)sql";

// Version 3: each stack's own account and region (its manifest environment).
constexpr const char* kStackEnvironment = R"sql(
ALTER TABLE stacks ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE stacks ADD COLUMN region TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: published function versions (whole copies of the function's
// configuration, their layers in order) and aliases. No foreign key to
// `functions`: updating a function rewrites its row, and its versions must
// survive that. Their numbers come from counters.db, as layer versions' do.
constexpr int kVersionsSchema = 4;
constexpr const char* kVersions = R"sql(
CREATE TABLE IF NOT EXISTS function_versions(
  function TEXT NOT NULL, version INTEGER NOT NULL, arn TEXT NOT NULL UNIQUE, function_arn TEXT NOT NULL,
  stack TEXT NOT NULL, logical_id TEXT NOT NULL, construct_path TEXT NOT NULL, runtime TEXT NOT NULL,
  handler TEXT NOT NULL, architecture TEXT NOT NULL, memory_mb INTEGER NOT NULL, timeout_s INTEGER NOT NULL,
  ephemeral_mb INTEGER NOT NULL, environment TEXT NOT NULL, code_key TEXT NOT NULL, code_dir TEXT NOT NULL,
  description TEXT NOT NULL, resource_stack TEXT NOT NULL, resource_logical_id TEXT NOT NULL,
  published_at TEXT NOT NULL,
  PRIMARY KEY(function, version));
CREATE TABLE IF NOT EXISTS function_version_layers(
  function TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
  layer_arn TEXT NOT NULL REFERENCES layer_versions(arn),
  PRIMARY KEY(function, version, position),
  FOREIGN KEY(function, version) REFERENCES function_versions(function, version) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS function_aliases(
  function TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL UNIQUE, function_version TEXT NOT NULL,
  routing TEXT NOT NULL, description TEXT NOT NULL, stack TEXT NOT NULL, logical_id TEXT NOT NULL,
  PRIMARY KEY(function, name));
CREATE INDEX IF NOT EXISTS function_version_layers_by_layer ON function_version_layers(layer_arn);
)sql";

// Version 5: each SSM parameter's earlier values, for references that pin a
// version ({{resolve:ssm:NAME:3}}). A parameter's current value is its
// newest row; states from before start their history there.
constexpr int kSsmHistorySchema = 5;
constexpr const char* kSsmHistory = R"sql(
CREATE TABLE IF NOT EXISTS ssm_parameter_history(
  name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(name, version));
INSERT OR IGNORE INTO ssm_parameter_history(name, version, type, value)
  SELECT name, version, type, value FROM ssm_parameters;
)sql";

// A reader of a state from before version 5 sees each parameter's current
// value as its only one.
constexpr const char* kSsmHistoryOfOldStates = R"sql(
CREATE TEMP TABLE ssm_parameter_history AS SELECT name, version, type, value FROM ssm_parameters;
)sql";

// A reader of a state from before version 3 (nothing published yet) sees the
// version tables empty: temporary ones on its own connection, so that it
// neither writes nor waits for the write lock to migrate.
std::string empty_version_tables() {
  std::string sql;
  std::string_view rest = kVersions;
  for (auto at = rest.find("CREATE TABLE"); at != std::string_view::npos; at = rest.find("CREATE TABLE")) {
    auto end = rest.find(");", at);
    sql += "CREATE TEMP TABLE" + std::string(rest.substr(at + 12, end + 2 - at - 12)) + "\n";
    rest = rest.substr(end + 2);
  }
  return sql;
}

Result<int> user_version(sqlite3* db) {
  detail::Statement q(db, "PRAGMA user_version");
  auto row = q.step();
  if (!row.ok()) return row.error();
  return static_cast<int>(q.number(0));
}

// A state that a first deploy is still creating: its schema is not written
// yet (user_version 0), and neither is any table.
bool no_tables_yet(sqlite3* db) {
  detail::Statement q(db, "SELECT count(*) FROM sqlite_master");
  auto row = q.step();
  return row.ok() && q.number(0) == 0;
}

Error unsupported_version(const State::Impl& impl, int version) {
  return make_error("state schema version " + std::to_string(version) + " is not supported (expected " +
                        std::to_string(kSchemaVersion) + ")",
                    impl.dir + "/state.db",
                    "use the 'layered' that created it, or remove the state directory");
}

Status create_schema(State::Impl& impl, const Settings& settings) {
  // Most opens find the schema current: no write lock for them, so that a
  // command never queues behind a long deploy just to look at the version.
  auto current = user_version(impl.db);
  if (current.ok() && *current == kSchemaVersion) return Ok{};
  LAYERED_TRY(detail::exec(impl.db, "BEGIN IMMEDIATE"));
  auto fail = [&](Error e) -> Status {
    (void)detail::exec(impl.db, "ROLLBACK");
    return e;
  };
  auto version = user_version(impl.db);
  if (!version.ok()) return fail(version.error());
  if (*version == 0) {
    if (auto s = detail::exec(impl.db, kSchema); !s.ok()) return fail(s.error());
    for (auto [key, value] : {std::pair{"account_id", settings.account_id}, {"region", settings.region}}) {
      auto s =
          impl.query("INSERT INTO settings(key, value) VALUES(?1, ?2)").bind(1, key).bind(2, value).run();
      if (!s.ok()) return fail(s.error());
    }
  } else if (*version > kSchemaVersion) {
    return fail(unsupported_version(impl, *version));
  }
  if (*version < 3) {
    if (auto s = detail::exec(impl.db, kStackEnvironment); !s.ok()) return fail(s.error());
  }
  if (*version < 4) {
    if (auto s = detail::exec(impl.db, kVersions); !s.ok()) return fail(s.error());
  }
  if (*version < kSsmHistorySchema) {
    if (auto s = detail::exec(impl.db, kSsmHistory); !s.ok()) return fail(s.error());
  }
  if (*version < kSchemaVersion) {
    if (auto s = detail::exec(impl.db, kIndexes); !s.ok()) return fail(s.error());
    auto s = detail::exec(impl.db, "PRAGMA user_version = " + std::to_string(kSchemaVersion));
    if (!s.ok()) return fail(s.error());
  }
  return detail::exec(impl.db, "COMMIT");
}

Status load_settings(State::Impl& impl) {
  auto q = impl.query("SELECT key, value FROM settings");
  LAYERED_TRY(q.each([&] {
    if (q.text(0) == "account_id") impl.settings.account_id = q.text(1);
    if (q.text(0) == "region") impl.settings.region = q.text(1);
  }));
  return Ok{};
}

}  // namespace

Settings State::settings_from_environment() {
  Settings settings;
  if (const char* v = std::getenv("LAYERED_ACCOUNT_ID"); v && *v) settings.account_id = v;
  if (const char* v = std::getenv("LAYERED_REGION"); v && *v) settings.region = v;
  return settings;
}

Result<State> State::open(const std::string& dir, const Settings& settings) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create the state directory: " + ec.message(), dir, "pass --state DIR");
  auto impl = std::make_unique<Impl>();
  impl->dir = fs::weakly_canonical(fs::absolute(dir)).string();
  std::string path = impl->dir + "/state.db";
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return detail::db_error(impl->db, "cannot open the state");
  }
  impl->statements = std::make_unique<detail::StatementCache>(impl->db);
  sqlite3_busy_timeout(impl->db, 5000);
  LAYERED_TRY(detail::exec(impl->db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"));
  LAYERED_TRY(create_schema(*impl, settings));
  LAYERED_TRY(load_settings(*impl));
  return State(std::move(impl));
}

namespace {

// "file:" URI of a path, with the characters URIs give a meaning escaped.
std::string file_uri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c <= ' ' || c >= 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Opens without ever writing: a reader of a WAL database only needs the
// -shm file, which SQLite creates if it can. Where it cannot (a read-only
// directory) and no writer left a log behind, the database file alone is the
// whole state and is opened as immutable.
Status open_for_reading(State::Impl& impl, const std::string& path) {
  auto attempt = [&](const std::string& name, int flags) -> Status {
    sqlite3_close_v2(impl.db);
    impl.db = nullptr;
    if (sqlite3_open_v2(name.c_str(), &impl.db, flags, nullptr) != SQLITE_OK) {
      return detail::db_error(impl.db, "cannot open the state");
    }
    sqlite3_busy_timeout(impl.db, 5000);
    auto version = user_version(impl.db);
    if (!version.ok()) return version.error();
    if (*version == 0 && no_tables_yet(impl.db)) {
      return make_error("nothing is deployed here yet: a first deploy is creating the state", path,
                        "run this again when that deploy has finished");
    }
    if (*version == 0 || *version > kSchemaVersion) return unsupported_version(impl, *version);
    impl.schema_version = *version;
    return Ok{};
  };
  Status plain = attempt(path, SQLITE_OPEN_READONLY);
  if (plain.ok()) return plain;
  const int code = sqlite3_extended_errcode(impl.db);
  const bool cannot_share = (code & 0xff) == SQLITE_CANTOPEN || (code & 0xff) == SQLITE_READONLY;
  std::error_code ec;
  const auto log_size = fs::file_size(path + "-wal", ec);
  if (!cannot_share || (!ec && log_size > 0)) return plain;
  return attempt(file_uri(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

}  // namespace

Result<State> State::open_read_only(const std::string& dir) {
  auto impl = std::make_unique<Impl>();
  impl->dir = fs::weakly_canonical(fs::absolute(dir)).string();
  impl->read_only = true;
  const std::string path = impl->dir + "/state.db";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return make_error("nothing is deployed here: no state in '" + dir + "'", dir,
                      "run 'layered deploy --all' first, or pass --state DIR");
  }
  LAYERED_TRY(open_for_reading(*impl, path));
  auto version = user_version(impl->db);
  if (!version.ok()) return version.error();
  if (*version < kVersionsSchema) LAYERED_TRY(detail::exec(impl->db, empty_version_tables()));
  if (*version < kSsmHistorySchema) LAYERED_TRY(detail::exec(impl->db, kSsmHistoryOfOldStates));
  impl->statements = std::make_unique<detail::StatementCache>(impl->db);
  LAYERED_TRY(load_settings(*impl));
  return State(std::move(impl));
}

State::State(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
State::State(State&&) noexcept = default;
State& State::operator=(State&&) noexcept = default;
State::~State() = default;

const Settings& State::settings() const { return impl_->settings; }
const std::string& State::dir() const { return impl_->dir; }

Result<std::int64_t> State::change_counter() const {
  auto q = impl_->query("PRAGMA data_version");
  auto row = q.step();
  if (!row.ok()) return row.error();
  if (!*row) return detail::db_error(impl_->db, "cannot read the state's data version");
  return q.number(0);
}

bool State::schema_migrated_since_open() const {
  auto version = user_version(impl_->db);
  return impl_->read_only && version.ok() && *version != impl_->schema_version;
}

Result<Transaction> State::begin() {
  if (impl_->read_only) {
    return make_error("the state was opened read-only", impl_->dir + "/state.db",
                      "this is a bug in 'layered': a read-only command tried to write");
  }
  LAYERED_TRY(detail::exec(impl_->db, "BEGIN IMMEDIATE"));
  return Transaction(this);
}

Transaction::Transaction(Transaction&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }

Transaction::~Transaction() { rollback(); }

Status Transaction::commit() {
  if (!state_) return make_error("no open transaction", "state.db");
  Status status = detail::exec(state_->impl_->db, "COMMIT");
  if (!status.ok()) rollback();
  state_ = nullptr;
  return status;
}

void Transaction::rollback() {
  if (!state_) return;
  (void)detail::exec(state_->impl_->db, "ROLLBACK");
  state_ = nullptr;
}

Settings resolve_environment(const Settings& defaults, const std::string& account,
                             const std::string& region) {
  return Settings{account.empty() ? defaults.account_id : account, region.empty() ? defaults.region : region};
}

std::string layer_version_arn(const Settings& env, const std::string& layer_name, int version) {
  return "arn:aws:lambda:" + env.region + ":" + env.account_id + ":layer:" + layer_name + ":" +
         std::to_string(version);
}

std::string function_arn(const Settings& env, const std::string& function_name) {
  return "arn:aws:lambda:" + env.region + ":" + env.account_id + ":function:" + function_name;
}

std::string stack_arn(const Settings& env, const std::string& stack) {
  return "arn:aws:cloudformation:" + env.region + ":" + env.account_id + ":stack/" + stack + "/" +
         store::uuid_of("stack:" + env.account_id + "/" + stack);
}

namespace {

// Field `index` of a colon-separated ARN (arn:partition:service:region:account:...).
std::string arn_field(const std::string& arn, int index) {
  std::size_t start = 0;
  for (int field = 0; field < index; ++field) {
    start = arn.find(':', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  const std::size_t end = arn.find(':', start);
  return end == std::string::npos ? std::string{} : arn.substr(start, end - start);
}

}  // namespace

std::string arn_region(const std::string& arn) { return arn.rfind("arn:", 0) == 0 ? arn_field(arn, 3) : ""; }

std::string arn_account(const std::string& arn) { return arn.rfind("arn:", 0) == 0 ? arn_field(arn, 4) : ""; }

std::string State::layer_version_arn(const std::string& layer_name, int version) const {
  return state::layer_version_arn(impl_->settings, layer_name, version);
}

std::string State::function_arn(const std::string& function_name) const {
  return state::function_arn(impl_->settings, function_name);
}

std::string State::qualified_function_arn(const std::string& function_name,
                                          const std::string& qualifier) const {
  return function_arn(function_name) + ":" + qualifier;
}

std::string State::Impl::to_stored_path(const std::string& path) const {
  if (path.rfind(dir + "/", 0) == 0) return path.substr(dir.size() + 1);
  return path;
}

std::string State::Impl::from_stored_path(const std::string& path) const {
  if (path.empty() || path[0] == '/') return path;
  return dir + "/" + path;
}

namespace detail {

std::string to_json(const Pairs& pairs) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [k, v] : pairs) j.push_back({k, v});
  return j.dump();
}

Pairs pairs_from_json(const std::string& text) {
  Pairs pairs;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return pairs;
  for (const auto& p : j) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string()) pairs.emplace_back(p[0], p[1]);
  }
  return pairs;
}

std::string to_json(const std::vector<std::string>& list) { return nlohmann::json(list).dump(); }

std::vector<std::string> list_from_json(const std::string& text) {
  std::vector<std::string> list;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return list;
  for (const auto& v : j) {
    if (v.is_string()) list.push_back(v);
  }
  return list;
}

}  // namespace detail
}  // namespace layered::state
