#include "handler.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/json_event.hpp"
#include "cpputils/decorator.hpp"
#include "csv.hpp"

namespace catalog {

namespace {

constexpr int kDefaultLimit = 10;
constexpr int kMaxLimit = 50;
const char* const kHeader[] = {"id", "name", "category", "price_cents", "stock"};

struct Finalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

Statement prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  return Statement(statement);
}

void exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read catalog data '" + path.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

long long to_integer(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0) {
    throw std::runtime_error(where + ": '" + text + "' is not a whole number 0 or more");
  }
  return value;
}

void insert_rows(sqlite3* db, const std::vector<CsvRow>& rows, const std::string& source) {
  const Statement insert = prepare(db, "INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5)");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::string where = source + ":" + std::to_string(i + 1);
    const CsvRow& row = rows[i];
    for (int column = 0; column < 3; ++column) {
      sqlite3_bind_text(insert.get(), column + 1, row[column].c_str(), -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(insert.get(), 4, to_integer(row[3], where));
    sqlite3_bind_int64(insert.get(), 5, to_integer(row[4], where));
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      throw std::runtime_error(where + ": " + sqlite3_errmsg(db));
    }
    sqlite3_reset(insert.get());
  }
}

// The query's parameters, validated; absent filters are null in SQL.
struct Query {
  Json::Value category, search, max_price, in_stock;
  int limit = kDefaultLimit;
};

Query parse_query(std::string_view event) {
  const Json::Value input =
      lambda_json::parse_object(event, {"category", "search", "maxPriceCents", "inStock", "limit"},
                                R"({"category": "books", "maxPriceCents": 4000})");
  Query query;
  for (const char* field : {"category", "search"}) {
    const Json::Value& value = input[field];
    if (!value.isNull() && !value.isString()) {
      throw cpputils::InvalidInput("'" + std::string(field) + "' must be a string");
    }
  }
  query.category = input["category"];
  query.search = input["search"];
  query.max_price = input["maxPriceCents"];
  if (!query.max_price.isNull() && !(query.max_price.isIntegral() && query.max_price.asLargestInt() >= 0)) {
    throw cpputils::InvalidInput("'maxPriceCents' must be a whole number of cents, 0 or more");
  }
  query.in_stock = input["inStock"];
  if (!query.in_stock.isNull() && !query.in_stock.isBool()) {
    throw cpputils::InvalidInput("'inStock' must be true or false");
  }
  const Json::Value& limit = input["limit"];
  if (!limit.isNull()) {
    if (!limit.isIntegral() || limit.asLargestInt() < 1 || limit.asLargestInt() > kMaxLimit) {
      throw cpputils::InvalidInput("'limit' must be a whole number from 1 to " + std::to_string(kMaxLimit));
    }
    query.limit = limit.asInt();
  }
  return query;
}

void bind_optional_text(sqlite3_stmt* statement, int index, const Json::Value& value) {
  if (value.isNull()) return;  // unbound parameters are NULL
  sqlite3_bind_text(statement, index, value.asCString(), -1, SQLITE_TRANSIENT);
}

Json::Value item_from(sqlite3_stmt* row) {
  Json::Value item(Json::objectValue);
  item["id"] = reinterpret_cast<const char*>(sqlite3_column_text(row, 0));
  item["name"] = reinterpret_cast<const char*>(sqlite3_column_text(row, 1));
  item["category"] = reinterpret_cast<const char*>(sqlite3_column_text(row, 2));
  item["priceCents"] = static_cast<Json::Int64>(sqlite3_column_int64(row, 3));
  item["stock"] = static_cast<Json::Int64>(sqlite3_column_int64(row, 4));
  return item;
}

}  // namespace

void Catalog::Close::operator()(sqlite3* db) const { sqlite3_close(db); }

Catalog Catalog::load(const std::filesystem::path& csv) {
  const std::string source = csv.string();
  const std::vector<CsvRow> rows = parse_csv(read_file(csv), source);
  if (rows.empty() || rows.front() != CsvRow(std::begin(kHeader), std::end(kHeader))) {
    throw std::runtime_error(source + ":1: expected the header 'id,name,category,price_cents,stock'");
  }
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr);
  std::unique_ptr<sqlite3, Close> db(raw);
  if (opened != SQLITE_OK) throw std::runtime_error("sqlite: cannot open an in-memory database");
  exec(db.get(),
       "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,"
       " price_cents INTEGER NOT NULL, stock INTEGER NOT NULL);"
       "CREATE INDEX items_by_category ON items (category, price_cents);");
  exec(db.get(), "BEGIN");
  insert_rows(db.get(), rows, source);
  exec(db.get(), "COMMIT");
  return Catalog(std::move(db));
}

std::string Catalog::query(std::string_view event) const {
  const Query query = parse_query(event);
  const Statement select = prepare(db_.get(),
                                   "SELECT id, name, category, price_cents, stock FROM items"
                                   " WHERE (?1 IS NULL OR category = ?1)"
                                   " AND (?2 IS NULL OR instr(lower(name), lower(?2)) > 0)"
                                   " AND (?3 IS NULL OR price_cents <= ?3)"
                                   " AND (?4 IS NULL OR (stock > 0) = ?4)"
                                   " ORDER BY price_cents, id LIMIT ?5");
  bind_optional_text(select.get(), 1, query.category);
  bind_optional_text(select.get(), 2, query.search);
  if (!query.max_price.isNull()) sqlite3_bind_int64(select.get(), 3, query.max_price.asLargestInt());
  if (!query.in_stock.isNull()) sqlite3_bind_int(select.get(), 4, query.in_stock.asBool() ? 1 : 0);
  sqlite3_bind_int(select.get(), 5, query.limit);

  Json::Value items(Json::arrayValue);
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(select.get())) == SQLITE_ROW) items.append(item_from(select.get()));
  if (step != SQLITE_DONE) throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_.get()));
  Json::Value output(Json::objectValue);
  output["count"] = items.size();
  output["items"] = std::move(items);
  return lambda_json::to_string(output);
}

std::filesystem::path default_data_path() {
  const char* root = std::getenv("LAMBDA_TASK_ROOT");
  return std::filesystem::path(root && *root ? root : "/var/task") / "catalog.csv";
}

cpputils::Handler make_handler(std::shared_ptr<const Catalog> catalog, std::ostream* log) {
  return cpputils::decorate(
      [catalog = std::move(catalog)](const cpputils::InvocationRequest& request) {
        return cpputils::InvocationResponse::success(catalog->query(request.payload));
      },
      {.name = "catalog", .log = log});
}

}  // namespace catalog
