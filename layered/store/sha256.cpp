// SHA-256 of bytes, files and directory trees (OpenSSL's libcrypto).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "store/internal.hpp"
#include "store/loaded_libs.hpp"
#include "store/store.hpp"

namespace layered::store {

namespace fs = std::filesystem;

namespace {

// A hash is a plain string everywhere it is used: a libcrypto that cannot
// be loaded (a broken installation) is an exception, reported by main.
const detail::CryptoLib& crypto() {
  static const detail::CryptoLib& lib = [] {
    const auto& loaded = detail::crypto_lib();
    if (!loaded) throw std::runtime_error(format_error(loaded.error()));
    return **loaded;
  }();
  return lib;
}

struct Hasher {
  const detail::CryptoLib& lib = crypto();
  std::unique_ptr<EVP_MD_CTX, decltype(lib.EVP_MD_CTX_free)> ctx{lib.EVP_MD_CTX_new(), lib.EVP_MD_CTX_free};
  Hasher() { lib.EVP_DigestInit_ex(ctx.get(), lib.EVP_sha256(), nullptr); }
  void update(const void* data, std::size_t size) { lib.EVP_DigestUpdate(ctx.get(), data, size); }
  void update(const std::string& s) { update(s.data(), s.size() + 1); }  // with the NUL, as a separator
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    lib.EVP_DigestFinal_ex(ctx.get(), digest, &size);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }
};

Status hash_file_into(Hasher& h, const fs::path& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read '" + path.string() + "'", where);
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    h.update(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return make_error("cannot read '" + path.string() + "'", where);
  return Ok{};
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Hasher h;
  h.update(bytes.data(), bytes.size());
  return h.hex();
}

Result<std::string> sha256_file(const fs::path& path) {
  Hasher h;
  LAYERED_TRY(hash_file_into(h, path, path.string()));
  return h.hex();
}

Result<std::string> sha256_tree(const fs::path& dir) {
  const std::string where = dir.string();
  std::error_code ec;
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    entries.push_back(it->path().lexically_relative(dir));
  }
  if (ec) return make_error("cannot read directory: " + ec.message(), where);
  std::sort(entries.begin(), entries.end(),
            [](const fs::path& a, const fs::path& b) { return a.generic_string() < b.generic_string(); });
  Hasher h;
  for (const fs::path& rel : entries) {
    const fs::path full = dir / rel;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) return make_error("cannot stat '" + rel.string() + "'", where);
    if (S_ISDIR(st.st_mode)) {
      h.update("d " + rel.generic_string());
    } else if (S_ISLNK(st.st_mode)) {
      h.update("l " + rel.generic_string());
      h.update(fs::read_symlink(full, ec).string());
    } else if (S_ISREG(st.st_mode)) {
      h.update((detail::normalized_file_mode(st.st_mode) == 0755 ? "x " : "f ") + rel.generic_string());
      h.update(std::to_string(st.st_size));
      LAYERED_TRY(hash_file_into(h, full, where));
    } else {
      return make_error("'" + rel.string() +
                            "' is a device, FIFO or socket; only files, directories and symlinks are allowed",
                        where);
    }
  }
  return h.hex();
}

std::string uuid_of(const std::string& seed) {
  const std::string h = sha256_hex(seed);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20, 12);
}

}  // namespace layered::store
