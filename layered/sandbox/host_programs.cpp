// Programs of this machine that the emulated image offers (curl, bash), bundled
// once per set of files into the cache with their own loader and libraries.
// One bind mount of the bundle replaces dozens of per-library mounts, which
// cost about 0.2 ms each on every cold start.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>

#include "sandbox/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

std::vector<std::string> host_closure(const std::string& program) {
  std::vector<std::string> files;
  const std::string loader = image::host_library_dir() + "/ld-linux-x86-64.so.2";
  const std::string command = "'" + loader + "' --list '" + program + "' 2>/dev/null";
  FILE* out = ::popen(command.c_str(), "r");
  if (!out) return files;
  char line[4096];
  while (std::fgets(line, sizeof line, out)) {
    // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "\t/lib64/ld-linux-x86-64.so.2 (0x...)"
    std::string text = line;
    auto arrow = text.find("=> ");
    auto start = arrow == std::string::npos ? text.find_first_not_of(" \t") : arrow + 3;
    if (start == std::string::npos) continue;
    std::string path = text.substr(start);
    path = path.substr(0, path.find_first_of(" \n"));
    if (!path.empty() && path[0] == '/') files.push_back(path);
  }
  ::pclose(out);
  return files;
}

namespace {

struct Program {
  std::string path;
  std::vector<std::string> libraries;
};

// Changes whenever a program or the host's loader is replaced. Deliberately
// not the whole library closure: listing it runs the loader (milliseconds),
// and a bundle keeps working after a library update since it holds its own
// links or copies.
std::string bundle_key(const std::vector<std::string>& programs) {
  std::string text;
  auto add = [&text](const std::string& file) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    auto time = fs::last_write_time(file, ec).time_since_epoch().count();
    text += file + "|" + std::to_string(size) + "|" + std::to_string(time) + "\n";
  };
  add(image::host_library_dir() + "/ld-linux-x86-64.so.2");
  for (const auto& program : programs) add(program);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(text));
  return hex;
}

void link_or_copy(const fs::path& from, const fs::path& to, std::error_code& ec) {
  fs::create_hard_link(fs::canonical(from, ec), to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
}

Status fill_bundle(const std::vector<Program>& programs, const fs::path& dir) {
  std::error_code ec;
  for (const auto& p : programs) {
    const std::string name = fs::path(p.path).filename().string();
    fs::create_directories(dir / name / "lib", ec);
    link_or_copy(p.path, dir / name / name, ec);
    for (const auto& lib : p.libraries) {
      if (ec) break;
      link_or_copy(lib, dir / name / "lib" / fs::path(lib).filename(), ec);
    }
    if (ec) return make_error("cannot bundle '" + p.path + "': " + ec.message(), dir.string());
  }
  return Ok{};
}

std::vector<std::string> installed_programs(const image::BaseImage& image) {
  std::vector<std::string> installed;
  for (const auto& path : image.host_programs) {
    std::error_code ec;
    if (fs::exists(path, ec)) installed.push_back(path);  // else the image simply lacks it
  }
  return installed;
}

}  // namespace

std::string host_programs_cache_key(const image::BaseImage& image) {
  auto installed = installed_programs(image);
  return installed.empty() ? std::string{} : bundle_key(installed);
}

Result<std::string> prepare_host_programs(const image::BaseImage& image, const std::string& cache_dir) {
  auto installed = installed_programs(image);
  if (installed.empty()) return std::string{};
  const fs::path root = fs::path(cache_dir) / "host-programs";
  const fs::path bundle = root / bundle_key(installed);
  std::error_code ec;
  if (fs::is_directory(bundle, ec)) return bundle.string();
  std::vector<Program> programs;
  for (const auto& path : installed) {
    auto libraries = host_closure(path);
    if (!libraries.empty()) programs.push_back(Program{path, std::move(libraries)});
  }
  const fs::path tmp =
      root / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(tmp, ec);
  if (ec) return make_error("cannot create the host program cache: " + ec.message(), tmp.string());
  if (auto status = fill_bundle(programs, tmp); !status) {
    fs::remove_all(tmp, ec);
    return status.error();
  }
  fs::permissions(tmp, fs::perms(0755), ec);
  fs::rename(tmp, bundle, ec);  // another process may have won the race: keep theirs
  if (ec) fs::remove_all(tmp, ec);
  return bundle.string();
}

}  // namespace layered::sandbox
