// What the image tree and the bubblewrap command share (internal to sandbox).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/common.hpp"
#include "image/image.hpp"

namespace layered::sandbox {

// Where the image's tools point to. Lambda's image has no busybox; this one
// path is the only trace of how the tools are provided.
constexpr const char* kImageBusybox = "/usr/libexec/busybox";

// Where the bundle of host programs is bound (see prepare_host_programs).
constexpr const char* kHostProgramsDir = "/usr/libexec/layered";

// A file of this machine that the image offers at `path`.
struct TreeFile {
  std::string path;  // inside the image
  std::string host;
};

// glibc's files, busybox and the data file's host files that exist here.
Result<std::vector<TreeFile>> image_host_files(const image::BaseImage& image);

// Small scripts the image offers (path, content): a wrapper per bundled host
// program (curl, GNU bash), and a tool alias (`bash` running busybox's sh)
// where this machine has no such program to bundle.
std::vector<std::pair<std::string, std::string>> image_wrappers(const image::BaseImage& image,
                                                                const std::string& host_programs_dir);

// The shared objects `file` (a program or a library) loads on this machine,
// its loader included, as this machine's loader lists them.
std::vector<std::string> host_closure(const std::string& file);

// A new descriptor holding the environment's seccomp filter as a BPF
// program, for bubblewrap's --seccomp (seccomp.cpp).
Result<int> seccomp_filter_fd();

}  // namespace layered::sandbox
