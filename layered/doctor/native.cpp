// Native code built for another operating system: a macOS wheel or prebuilt
// Node.js addon (Mach-O files, 'darwin' tags, .dylib) or a Windows one (.pyd,
// PE files) in a package for Lambda, which runs Linux. ELF files for another
// architecture are the ELF checks' (arch.mismatch).
#include <fstream>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

std::string head(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(4, '\0');
  in.read(bytes.data(), 4);
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

bool is_macho(const std::string& magic) {
  for (const char* m :
       {"\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe"})
    if (magic == std::string(m, 4)) return true;
  return false;
}

bool is_native_name(const std::string& name) {
  return name.ends_with(".so") || name.find(".so.") != std::string::npos || name.ends_with(".node") ||
         name.ends_with(".dylib") || name.ends_with(".pyd") || name.ends_with(".dll");
}

// "macOS", "Windows" or "" (Linux, or not native code).
std::string foreign_os(const SourceFile& file, const std::string& name) {
  if (name.ends_with(".dylib") || name.find("-darwin.so") != std::string::npos) return "macOS";
  if (name.ends_with(".pyd") || name.ends_with(".dll")) return "Windows";
  std::string magic = head(file.host);
  if (is_macho(magic)) return "macOS";
  if (magic.starts_with("MZ")) return "Windows";
  return "";
}

}  // namespace

void check_foreign_os(Context& ctx) {
  std::map<std::pair<const Source*, std::string>, std::vector<std::string>> groups;  // (source, OS) -> files
  for (const auto& [path, entry] : ctx.view.entries()) {
    std::string name = path.substr(path.rfind('/') + 1);
    if (!entry.file->link.empty() || !is_native_name(name)) continue;
    if (std::string os = foreign_os(*entry.file, name); !os.empty())
      groups[{entry.source, os}].push_back(path);
  }
  const bool arm = ctx.function.architecture == model::Architecture::arm64;
  for (const auto& [key, files] : groups) {
    const auto& [source, os] = key;
    const std::string& first = files.front();
    std::string more = files.size() > 1 ? " (and " + std::to_string(files.size() - 1) + " more files of " +
                                              source->label + ")"
                                        : "";
    bool node = first.ends_with(".node") || first.find("/node_modules/") != std::string::npos;
    ctx.add(
        Severity::error, "native.foreign-os", first, source->label,
        "is native code built for " + os + more +
            ", but Lambda runs Linux, so it cannot be loaded (Python: No module named ... or 'invalid ELF "
            "header'; Node.js: 'invalid ELF header')",
        node ? std::string("install the package for Linux: npm install --os=linux --cpu=") +
                   (arm ? "arm64" : "x64") + " (or run npm install on Linux)"
             : std::string("install Linux wheels: pip install --target python/ --platform manylinux2014_") +
                   (arm ? "aarch64" : "x86_64") + " --only-binary=:all: <package>");
  }
}

}  // namespace layered::doctor
