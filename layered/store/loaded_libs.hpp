// libarchive and libcrypto, loaded the first time the store needs them.
// Linked the usual way they cost every `layered` command about 1.7 ms at
// start (their constructors probe the CPU, which traps to the hypervisor on
// a VM, and libarchive brings nettle, libxml2 and ICU), though only deploy,
// doctor and serve use them. Each function is declared by the library's own
// header; `decltype` keeps the pointers' types exactly the header's.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "common/common.hpp"

namespace layered::store::detail {

#define LAYERED_ARCHIVE_FUNCTIONS(X)          \
  X(archive_read_new)                         \
  X(archive_read_free)                        \
  X(archive_read_support_format_zip_seekable) \
  X(archive_read_open_filename)               \
  X(archive_read_next_header)                 \
  X(archive_read_data)                        \
  X(archive_error_string)                     \
  X(archive_entry_pathname)                   \
  X(archive_entry_hardlink)                   \
  X(archive_entry_symlink)                    \
  X(archive_entry_filetype)                   \
  X(archive_entry_perm)                       \
  X(archive_entry_size)                       \
  X(archive_entry_size_is_set)

#define LAYERED_CRYPTO_FUNCTIONS(X) \
  X(EVP_MD_CTX_new)                 \
  X(EVP_MD_CTX_free)                \
  X(EVP_sha256)                     \
  X(EVP_DigestInit_ex)              \
  X(EVP_DigestUpdate)               \
  X(EVP_DigestFinal_ex)

#define LAYERED_POINTER(name) decltype(&::name) name = nullptr;

struct ArchiveLib {
  LAYERED_ARCHIVE_FUNCTIONS(LAYERED_POINTER)
};

struct CryptoLib {
  LAYERED_CRYPTO_FUNCTIONS(LAYERED_POINTER)
};

#undef LAYERED_POINTER

// Loaded once per process (thread-safe); the error says which library is
// missing and which package brings it.
const Result<const ArchiveLib*>& archive_lib();
const Result<const CryptoLib*>& crypto_lib();

}  // namespace layered::store::detail
