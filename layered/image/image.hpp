// The emulated Lambda base images, read from layered/data/base-images.json
// (embedded at build time). The sandbox builds its root from this and
// doctor checks against it, so the two always agree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/common.hpp"

namespace layered::image {

struct File {
  std::string path;     // inside the image
  std::string content;  // literal content, or
  std::string host;     // a file on this machine to bind read-only
};

struct BaseImage {
  std::string runtime;  // e.g. "provided.al2023"
  std::string description;
  std::vector<std::string> sources;  // public sources of what the data says, the OS image's first
  // Highest symbol version the image offers per family ("GLIBC" -> "2.34",
  // "GCC" -> "7.0.0" for libgcc_s.so.1, "GLIBCXX" for libstdc++.so.6). A
  // family that is absent is not provided at all.
  std::map<std::string, std::string> symbol_versions;
  std::vector<std::pair<std::string, std::string>> environment;  // in order
  std::vector<std::string> loader_default_dirs;
  std::map<std::string, std::string> loaders;                 // architecture -> PT_INTERP path
  std::string library_dir;                                    // where `libraries` live
  std::vector<std::string> libraries;                         // file names (sonames) in library_dir
  std::vector<std::pair<std::string, std::string>> symlinks;  // path -> target
  std::vector<std::string> directories;
  std::vector<std::string> tools;                   // busybox applets placed in tools_dir
  std::map<std::string, std::string> tool_aliases;  // name -> applet it runs as
  std::string tools_dir;
  // Programs of this machine offered in tools_dir under their base name, each
  // with a private copy of its loader and libraries (see the sandbox).
  std::vector<std::string> host_programs;
  std::vector<File> files;
  // The OS-only image this one is built on: the runtime itself for
  // provided.*, "provided.al2023" for python3.13 (its glibc is what counts).
  std::string os_image;
  // A managed runtime's language ("python", "nodejs") and the version its
  // interpreter must have ("3.13", "20"); empty for OS-only images.
  std::string language;
  std::string language_version;

  // The value of an environment variable of the image, or "".
  std::string env(const std::string& name) const;
  // Directories of LD_LIBRARY_PATH, in order.
  std::vector<std::string> ld_library_path() const;
  // True if `path` (absolute, inside the image) names a file the image has,
  // following the image's directory symlinks (/lib64 -> usr/lib64).
  bool has_file(const std::string& path) const;
  // Canonical form of `path` with the image's directory symlinks resolved.
  std::string canonical(const std::string& path) const;
};

// Names of all runtimes described by the data file, sorted.
std::vector<std::string> runtimes();

// The image for `runtime`, or an error that lists the known runtimes.
Result<BaseImage> load(const std::string& runtime);

// Compares dotted versions numerically: "2.34" < "2.35", "3.4.9" < "3.4.30".
int compare_versions(const std::string& a, const std::string& b);

// This machine's directory holding glibc's shared objects (the sandbox binds
// them into the image's library_dir).
std::string host_library_dir();

// This machine's static busybox, which provides the image's shell tools.
std::string host_busybox();

}  // namespace layered::image
