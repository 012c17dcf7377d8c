// What of this machine the emulated image offers, and its small scripts.
#include <algorithm>
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

namespace {

bool bundled(const std::string& host_programs_dir, const std::string& name) {
  std::error_code ec;
  return !host_programs_dir.empty() && fs::exists(fs::path(host_programs_dir) / name / name, ec);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> image_wrappers(const image::BaseImage& image,
                                                                const std::string& host_programs_dir) {
  std::vector<std::pair<std::string, std::string>> out;
  // busybox has no bash applet: where this machine has no bash to bundle, a
  // wrapper runs the script with its sh (POSIX scripts only).
  for (const auto& [alias, applet] : image.tool_aliases) {
    if (bundled(host_programs_dir, alias)) continue;
    const std::string run = image.tools_dir + "/" + applet;
    out.emplace_back(image.tools_dir + "/" + alias, "#!" + run + "\nexec " + run + " \"$@\"\n");
  }
  // Each host program runs through its own copy of the loader with its own
  // library directory, so none of its libraries (libcurl, libssl, libtinfo,
  // ...) becomes visible to functions through the image's library
  // directories. --argv0 keeps the name it was started by (/bin/bash), which
  // bash shows as $0 and $BASH. The wrappers run in busybox's own shell, as
  // /bin/sh itself may be one of them.
  auto wrapper = [&](const std::string& at, const std::string& name) {
    const std::string dir = std::string(kHostProgramsDir) + "/" + name;
    out.emplace_back(at, "#!" + std::string(kImageBusybox) + " sh\nexec " + dir +
                             "/lib/ld-linux-x86-64.so.2 --library-path " + dir + "/lib --argv0 \"$0\" " +
                             dir + "/" + name + " \"$@\"\n");
  };
  for (const auto& program : image.host_programs) {
    const std::string name = fs::path(program).filename().string();
    if (bundled(host_programs_dir, name)) wrapper(image.tools_dir + "/" + name, name);
  }
  // Amazon Linux's /bin/sh is bash (bash-only syntax works in #!/bin/sh
  // scripts there); started as "sh", bash runs in POSIX mode, as there.
  const bool has_sh = std::find(image.tools.begin(), image.tools.end(), "sh") != image.tools.end();
  if (has_sh && bundled(host_programs_dir, "bash")) wrapper(image.tools_dir + "/sh", "bash");
  return out;
}

}  // namespace layered::sandbox
