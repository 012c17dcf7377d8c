// Opens libarchive and libcrypto by the sonames the headers were written
// for (Debian 12: libarchive13, libssl3) and binds every function the store
// calls, or none.
#include "store/loaded_libs.hpp"

#include <dlfcn.h>

namespace layered::store::detail {

namespace {

constexpr const char* kArchiveSoname = "libarchive.so.13";
constexpr const char* kCryptoSoname = "libcrypto.so.3";

template <typename Function>
bool bind(void* library, const char* name, Function& out) {
  out = reinterpret_cast<Function>(::dlsym(library, name));
  return out != nullptr;
}

Error cannot_load(const char* soname, const char* package) {
  const char* reason = ::dlerror();
  return make_error(std::string("cannot load ") + soname + ": " + (reason ? reason : "a function is missing"),
                    "", std::string("install the '") + package + "' package (scripts/setup.sh)");
}

template <typename Lib, typename BindAll>
Result<const Lib*> load(const char* soname, const char* package, BindAll bind_all) {
  // Never closed: the pointers are used until the process ends.
  void* library = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  static Lib lib;
  if (library == nullptr || !bind_all(library, lib)) return cannot_load(soname, package);
  return &lib;
}

#define LAYERED_BIND(name) ok = bind(library, #name, lib.name) && ok;

Result<const ArchiveLib*> load_archive() {
  return load<ArchiveLib>(kArchiveSoname, "libarchive13", [](void* library, ArchiveLib& lib) {
    bool ok = true;
    LAYERED_ARCHIVE_FUNCTIONS(LAYERED_BIND)
    return ok;
  });
}

Result<const CryptoLib*> load_crypto() {
  return load<CryptoLib>(kCryptoSoname, "libssl3", [](void* library, CryptoLib& lib) {
    bool ok = true;
    LAYERED_CRYPTO_FUNCTIONS(LAYERED_BIND)
    return ok;
  });
}

#undef LAYERED_BIND

}  // namespace

const Result<const ArchiveLib*>& archive_lib() {
  static const Result<const ArchiveLib*> loaded = load_archive();
  return loaded;
}

const Result<const CryptoLib*>& crypto_lib() {
  static const Result<const CryptoLib*> loaded = load_crypto();
  return loaded;
}

}  // namespace layered::store::detail
