// The loader's symbol-version check at exec time: what glibc's ld.so on
// Lambda refuses, judged before the sandbox starts, because this machine's
// glibc, libgcc_s and libstdc++ (bound into the emulated image) are newer
// than the image's and would let the program start.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "doctor/internal.hpp"
#include "doctor/symver.hpp"

namespace layered::doctor {

namespace {

namespace fs = std::filesystem;

// A file mapped read-only: elf::parse touches only the pages it reads (the
// headers, the dynamic section, the version tables), so a 50 MB executable
// costs what its headers cost.
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = p;
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~Mapped() {
    if (data_) ::munmap(data_, size_);
  }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;

  std::string_view bytes() const {
    return data_ ? std::string_view(static_cast<const char*>(data_), size_) : std::string_view();
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

class StartWalk {
 public:
  StartWalk(const image::BaseImage& image, const Start& start) : image_(image), start_(start) {}

  std::vector<std::string> run() {
    const ElfFile* root = load(start_.program);
    if (!root || root->info.interpreter.empty()) return {};  // a script, or static
    std::map<std::string, std::string> loaded;               // DT_NEEDED name or soname -> path
    const std::string& interp = root->info.interpreter;
    if (host_file(interp) || image_.has_file(interp)) loaded[fs::path(interp).filename().string()] = interp;
    std::deque<std::vector<const ElfFile*>> queue{{root}};
    std::set<std::string> visited{root->path};
    while (!queue.empty()) {
      auto chain = std::move(queue.front());
      queue.pop_front();
      const ElfFile& object = *chain.back();
      for (const auto& name : object.info.needed) {
        std::string target = resolve(name, chain, loaded);
        if (target.empty()) continue;  // ld.so fails the same way in the sandbox
        if (!host_file(target)) {
          check_image_versions(object, name, target);
          continue;
        }
        const ElfFile* lib = load(target);
        if (!lib) continue;
        if (!lib->info.soname.empty()) loaded.emplace(lib->info.soname, target);
        if (!visited.insert(target).second) continue;
        auto next = chain;
        next.push_back(lib);
        queue.push_back(std::move(next));
      }
    }
    return lines_;
  }

 private:
  // The file on this machine behind `path` inside the sandbox, when the
  // function's code or a layer has it (symlinks followed with the
  // sandbox's mounts: an absolute link to /opt/lib/... is a layer's file).
  std::optional<std::string> host_file(std::string path) const {
    for (int hop = 0; hop < 16; ++hop) {
      std::string host;
      if (under(path, "/var/task") && !start_.code_dir.empty()) {
        host = start_.code_dir.string() + path.substr(9);
      } else if (under(path, "/opt") && !start_.opt_dir.empty()) {
        host = start_.opt_dir.string() + path.substr(4);
      } else {
        return std::nullopt;
      }
      std::error_code ec;
      auto status = fs::symlink_status(host, ec);
      if (ec) return std::nullopt;
      if (!fs::is_symlink(status)) {
        if (!fs::is_regular_file(status)) return std::nullopt;
        return host;
      }
      fs::path target = fs::read_symlink(host, ec);
      if (ec) return std::nullopt;
      path = target.is_absolute()
                 ? target.generic_string()
                 : (fs::path(path).parent_path() / target).lexically_normal().generic_string();
    }
    return std::nullopt;
  }

  // The parsed ELF file at `path` inside the sandbox, or null.
  const ElfFile* load(const std::string& path) {
    if (auto it = elves_.find(path); it != elves_.end()) return it->second ? &*it->second : nullptr;
    std::optional<ElfFile> parsed;
    if (auto host = host_file(path)) {
      Mapped file(*host);
      if (elf::is_elf(file.bytes())) {
        if (auto info = elf::parse(file.bytes()); info && info->dynamic)
          parsed = ElfFile{path, nullptr, *info};
      }
    }
    auto& slot = elves_[path] = std::move(parsed);
    return slot ? &*slot : nullptr;
  }

  // Where ld.so finds `name` for chain.back(): an earlier load of the same
  // name, else the first file of the search order (of the right class and
  // machine, when it is the package's).
  std::string resolve(const std::string& name, const std::vector<const ElfFile*>& chain,
                      std::map<std::string, std::string>& loaded) {
    if (auto it = loaded.find(name); it != loaded.end()) return it->second;
    const elf::Info& object = chain.back()->info;
    for (const auto& step : search_order(name, chain, image_, start_.architecture)) {
      if (host_file(step.path)) {
        const ElfFile* lib = load(step.path);
        if (!lib || lib->info.machine != object.machine || lib->info.bits != object.bits) continue;
      } else if (!image_.has_file(step.path)) {
        continue;
      }
      loaded[name] = step.path;
      return step.path;
    }
    return {};
  }

  void check_image_versions(const ElfFile& object, const std::string& name, const std::string& target) {
    auto needs = object.info.version_needs.find(name);
    if (needs == object.info.version_needs.end()) return;
    for (const auto& version : needs->second)
      if (!image_defines(image_, version))
        lines_.push_back(start_.program + ": " + target + ": version `" + version +
                         "' not found (required by " + object.path + ")");
  }

  const image::BaseImage& image_;
  const Start& start_;
  std::map<std::string, std::optional<ElfFile>> elves_;  // by path inside; nullopt: not a dynamic ELF
  std::vector<std::string> lines_;
};

}  // namespace

std::vector<std::string> missing_versions(const image::BaseImage& image, const Start& start) {
  return StartWalk(image, start).run();
}

}  // namespace layered::doctor
