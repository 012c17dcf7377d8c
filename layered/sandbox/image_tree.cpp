// The emulated image laid out once as a directory tree in the cache, so that
// a sandbox binds it as its root in one mount instead of creating ~90
// directories, symlinks, binds and data files on every cold start.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>

#include "sandbox/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

// Mount points the sandbox fills in; they must exist in a read-only root.
constexpr const char* kMountPoints[] = {"opt", "var/task", "tmp", "proc", "dev", "usr/libexec/layered"};

// Changes with the image's description and with every host file it takes
// (a glibc update replaces the file: a new inode, a new tree).
std::string tree_key(const image::BaseImage& image, const std::vector<TreeFile>& host_files,
                     const std::string& host_programs_dir) {
  // The bundle's name is its own content key; its path may be spelled
  // differently by different callers.
  std::string text = image.runtime + "\n" + fs::path(host_programs_dir).filename().string() + "\n";
  for (const auto& d : image.directories) text += "d " + d + "\n";
  for (const auto& [link, target] : image.symlinks) text += "l " + link + " " + target + "\n";
  for (const auto& f : image.files) text += "f " + f.path + " " + f.host + " " + f.content + "\n";
  for (const auto& t : image.tools) text += "t " + t + "\n";
  for (const auto& [alias, applet] : image.tool_aliases) text += "a " + alias + " " + applet + "\n";
  for (const auto& p : image.host_programs) text += "p " + p + "\n";
  for (const auto& [path, content] : image_wrappers(image, host_programs_dir))
    text += "w " + path + " " + content;
  for (const auto& file : host_files) {
    struct stat st {};
    if (::stat(file.host.c_str(), &st) != 0) continue;
    text += "h " + file.path + " " + file.host + " " + std::to_string(st.st_ino) + " " +
            std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "\n";
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(text));
  return hex;
}

Status write_file(const fs::path& path, const std::string& content, fs::perms mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return make_error("cannot write the image tree", path.string());
  fs::permissions(path, mode, ec);
  return Ok{};
}

Status place_host_file(const std::string& host, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::create_hard_link(fs::canonical(host, ec), to, ec);
  if (ec) fs::copy_file(host, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("cannot place " + host + " in the image tree: " + ec.message(), to.string());
  return Ok{};
}

Status fill_tree(const image::BaseImage& image, const std::vector<TreeFile>& host_files,
                 const std::string& host_programs_dir, const fs::path& root) {
  std::error_code ec;
  auto at = [&root](const std::string& path) { return root / fs::path(path).relative_path(); };
  for (const auto& dir : image.directories) fs::create_directories(at(dir), ec);
  for (const char* point : kMountPoints) fs::create_directories(root / point, ec);
  for (const auto& [link, target] : image.symlinks) {
    fs::create_directories(at(link).parent_path(), ec);
    fs::create_symlink(target, at(link), ec);
  }
  if (ec) return make_error("cannot lay out the image tree: " + ec.message(), root.string());
  for (const auto& file : host_files) LAYERED_TRY(place_host_file(file.host, at(file.path)));
  std::set<std::string> wrapped;
  for (const auto& [path, content] : image_wrappers(image, host_programs_dir)) {
    LAYERED_TRY(write_file(at(path), content, fs::perms(0555)));
    wrapped.insert(path);
  }
  for (const auto& tool : image.tools) {
    const std::string path = image.tools_dir + "/" + tool;
    if (wrapped.contains(path)) continue;  // a host program stands in for busybox's applet (sh: bash)
    fs::create_directories(at(image.tools_dir), ec);
    fs::create_symlink(kImageBusybox, at(path), ec);
  }
  for (const auto& file : image.files)
    if (file.host.empty()) LAYERED_TRY(write_file(at(file.path), file.content, fs::perms(0444)));
  if (ec) return make_error("cannot lay out the image tree: " + ec.message(), root.string());
  return Ok{};
}

}  // namespace

Result<std::string> image_tree_name(const image::BaseImage& image, const std::string& host_programs_dir) {
  auto host_files = image_host_files(image);
  if (!host_files) return host_files.error();
  return image.runtime + "-" + tree_key(image, *host_files, host_programs_dir);
}

Result<std::string> prepare_image_tree(const image::BaseImage& image, const std::string& host_programs_dir,
                                       const std::string& cache_dir) {
  auto host_files = image_host_files(image);
  if (!host_files) return host_files.error();
  const fs::path root = fs::path(cache_dir) / "image";
  const fs::path tree = root / (image.runtime + "-" + tree_key(image, *host_files, host_programs_dir));
  std::error_code ec;
  if (fs::is_directory(tree, ec)) return tree.string();
  const fs::path tmp =
      root / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(tmp, ec);
  if (ec) return make_error("cannot create the image cache: " + ec.message(), tmp.string());
  if (auto status = fill_tree(image, *host_files, host_programs_dir, tmp); !status) {
    fs::remove_all(tmp, ec);
    return status.error();
  }
  fs::permissions(tmp, fs::perms(0755), ec);
  fs::rename(tmp, tree, ec);  // another process may have built it meanwhile: keep theirs
  if (ec) fs::remove_all(tmp, ec);
  return tree.string();
}

}  // namespace layered::sandbox
