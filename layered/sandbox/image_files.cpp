// What of this machine the emulated image offers, and its small scripts.
#include <filesystem>

#include "sandbox/internal.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

Result<std::vector<TreeFile>> image_host_files(const image::BaseImage& image) {
  std::vector<TreeFile> files;
  std::error_code ec;
  const std::string host_libs = image::host_library_dir();
  for (const auto& lib : image.libraries) {
    const std::string from = host_libs + "/" + lib;
    if (fs::exists(from, ec)) files.push_back({image.library_dir + "/" + lib, from});
  }
  const std::string busybox = image::host_busybox();
  if (busybox.empty())
    return make_error("busybox is not installed", "",
                      "install the 'busybox-static' package (scripts/setup.sh)");
  files.push_back({kImageBusybox, busybox});
  for (const auto& file : image.files)
    if (!file.host.empty() && fs::exists(file.host, ec)) files.push_back({file.path, file.host});
  return files;
}

std::vector<std::pair<std::string, std::string>> image_wrappers(const image::BaseImage& image,
                                                                const std::string& host_programs_dir) {
  std::vector<std::pair<std::string, std::string>> out;
  // busybox has no bash applet: a wrapper runs the script with its sh.
  for (const auto& [alias, applet] : image.tool_aliases) {
    const std::string run = image.tools_dir + "/" + applet;
    out.emplace_back(image.tools_dir + "/" + alias, "#!" + run + "\nexec " + run + " \"$@\"\n");
  }
  // Each host program runs through its own copy of the loader with its own
  // library directory, so none of its libraries (libcurl, libssl, ...)
  // becomes visible to functions through the image's library directories.
  if (host_programs_dir.empty()) return out;
  for (const auto& program : image.host_programs) {
    const std::string name = fs::path(program).filename().string();
    std::error_code ec;
    if (!fs::exists(fs::path(host_programs_dir) / name / name, ec)) continue;
    const std::string dir = std::string(kHostProgramsDir) + "/" + name;
    out.emplace_back(image.tools_dir + "/" + name, "#!" + image.tools_dir + "/sh\nexec " + dir +
                                                       "/lib/ld-linux-x86-64.so.2 --library-path " + dir +
                                                       "/lib " + dir + "/" + name + " \"$@\"\n");
  }
  return out;
}

}  // namespace layered::sandbox
