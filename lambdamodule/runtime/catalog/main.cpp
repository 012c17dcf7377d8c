// CatalogFunction's bootstrap: load the catalog once at init, then serve
// queries through the cpputils layer. A broken data file is an init error.
#include <memory>

#include "cpputils/runtime.hpp"
#include "handler.hpp"

int main() {
  return cpputils::serve([] {
    auto data =
        std::make_shared<const catalog::Catalog>(catalog::Catalog::load(catalog::default_data_path()));
    return catalog::make_handler(std::move(data));
  });
}
