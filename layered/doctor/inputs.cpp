// Turns what the user named (a directory or a zip) into a directory to scan.
// Zips go to a private temporary directory that is removed afterwards.
#include "doctor/inputs.hpp"

#include <unistd.h>

#include <cstdlib>

#include "store/store.hpp"

namespace layered::doctor {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "layered-doctor-XXXXXX").string();
  if (::mkdtemp(pattern.data())) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

Result<Input> open_input(const fs::path& path, const std::string& label, TempDir& scratch) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status))
    return make_error(label + ": no such file or directory", path.string(), "pass a directory or a .zip");
  if (fs::is_directory(status)) return Input{path, std::nullopt};
  if (scratch.path().empty()) return make_error("cannot create a temporary directory", path.string());
  fs::path dest = scratch.fresh();
  fs::create_directories(dest, ec);
  if (auto st = store::extract_zip(path, dest, {}); !st) {
    Error e = st.error();
    if (e.where.empty()) e.where = path.string();
    if (e.hint.empty()) e.hint = "pass a directory or a valid .zip";
    return e;
  }
  return Input{dest, fs::file_size(path, ec)};
}

}  // namespace layered::doctor
