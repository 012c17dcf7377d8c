// CatalogFunction: answers queries such as
//   {"category": "books", "maxPriceCents": 4000, "search": "c++", "inStock": true, "limit": 5}
// against an in-memory SQLite database built at init from catalog.csv
// (shipped next to the bootstrap: /var/task is read-only on Lambda).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "cpputils/runtime.hpp"

struct sqlite3;

namespace catalog {

class Catalog {
 public:
  // Loads a CSV file with header id,name,category,price_cents,stock. Throws
  // std::runtime_error naming the file (and line) when it cannot.
  static Catalog load(const std::filesystem::path& csv);

  // The response payload {"count": N, "items": [...]}, cheapest first. Throws
  // cpputils::InvalidInput when the query is not one the catalog understands.
  std::string query(std::string_view event) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  explicit Catalog(std::unique_ptr<sqlite3, Close> db) : db_(std::move(db)) {}
  std::unique_ptr<sqlite3, Close> db_;
};

// Where the data file is: $LAMBDA_TASK_ROOT/catalog.csv (/var/task by default).
std::filesystem::path default_data_path();

// The function's handler: Catalog::query behind the cpputils decorator, which
// logs one JSON line per invocation to `log` (stdout when null).
cpputils::Handler make_handler(std::shared_ptr<const Catalog> catalog, std::ostream* log = nullptr);

}  // namespace catalog
