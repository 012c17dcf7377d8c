// Native dependencies: resolves every DT_NEEDED the way glibc's ld.so will on
// Lambda (elf/dl-load.c, _dl_map_object): DT_RPATH of the object and of its
// loaders up to the executable (skipped for objects with DT_RUNPATH), then
// LD_LIBRARY_PATH in the image's order, then DT_RUNPATH, then the loader's
// default directories, all against the view (image + /var/task + /opt).
#include <deque>
#include <fstream>
#include <sstream>

#include "doctor/internal.hpp"
#include "doctor/symver.hpp"

namespace layered::doctor {

namespace {

constexpr std::uint64_t kMaxElfBytes = 512ull << 20;

std::optional<std::string> read_file(const std::filesystem::path& path, std::uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() != 4 || !elf::is_elf(std::string_view(magic, 4))) return std::nullopt;
  in.seekg(0);
  std::string bytes;
  bytes.resize(static_cast<std::size_t>(std::min<std::uint64_t>(std::filesystem::file_size(path), limit)));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

std::string dirname(const std::string& path) {
  return std::filesystem::path(path).parent_path().generic_string();
}
std::string basename(const std::string& path) {
  return std::filesystem::path(path).filename().generic_string();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// $ORIGIN, $LIB and $PLATFORM as ld.so expands them.
std::string expand(std::string dir, const std::string& object_path, const std::string& arch) {
  for (const char* origin : {"${ORIGIN}", "$ORIGIN"}) dir = replace_all(dir, origin, dirname(object_path));
  for (const char* lib : {"${LIB}", "$LIB"}) dir = replace_all(dir, lib, "lib64");
  for (const char* platform : {"${PLATFORM}", "$PLATFORM"})
    dir = replace_all(dir, platform, arch == "arm64" ? "aarch64" : "x86_64");
  return dir;
}

std::uint16_t machine_for(const std::string& arch) { return arch == "arm64" ? 183 : 62; }

struct Candidate {
  Located where;
  std::string via;  // "DT_RPATH", "LD_LIBRARY_PATH", "DT_RUNPATH", "default"
};

class Resolver {
 public:
  explicit Resolver(Context& ctx) : ctx_(ctx) {}

  // Every place `name` would be found, in the loader's order; the first wins.
  std::vector<Candidate> candidates(const std::string& name, const std::vector<const ElfFile*>& chain) const {
    std::vector<Candidate> out;
    for (const auto& step : search_order(name, chain, ctx_.image, arch_name(ctx_)))
      add(out, step.path, step.via, *chain.back());
    return out;
  }

 private:
  void add(std::vector<Candidate>& out, const std::string& path, const char* via,
           const ElfFile& object) const {
    auto found = ctx_.view.find(path);
    if (!found) return;
    // ld.so skips a file of the wrong class or machine and keeps searching.
    auto elf = ctx_.elves.find(found->path);
    if (elf != ctx_.elves.end() &&
        (elf->second.info.machine != object.info.machine || elf->second.info.bits != object.info.bits))
      return;
    for (const auto& c : out)
      if (c.where.path == found->path) return;
    out.push_back(Candidate{*found, via});
  }

  Context& ctx_;
};

// A copy later in the search order that the developer probably meant to load.
void report_shadowing(Context& ctx, const std::string& name, const std::vector<Candidate>& all,
                      const ElfFile& object) {
  const Candidate& winner = all.front();
  if (winner.via == "DT_RPATH" || winner.via == "path") return;  // chosen on purpose
  for (std::size_t i = 1; i < all.size(); ++i) {
    const Candidate& other = all[i];
    if (!other.where.entry || other.where.label() == winner.where.label()) continue;
    bool image_wins = winner.where.entry == nullptr;
    ctx.add(Severity::warning, "deps.shadowed", other.where.path, other.where.label(),
            "'" + name + "' needed by '" + object.path + "' is loaded from '" + winner.where.path + "' (" +
                winner.where.label() + ") because " + (image_wins ? "the image's" : "/var/task's") +
                " directories come first on LD_LIBRARY_PATH; this copy is never used",
            "link '" + basename(object.path) +
                "' with -Wl,--disable-new-dtags,-rpath,/opt/lib (DT_RPATH is searched before "
                "LD_LIBRARY_PATH), or remove one of the copies");
    return;
  }
}

std::string unresolved_fix(Context& ctx, const std::string& name) {
  // The library may be in the package, just not where the loader looks.
  for (const auto& [path, entry] : ctx.view.entries())
    if (basename(path) == name)
      return "move '" + path + "' (" + entry.source->label +
             ") into lib/ of the layer (it ends up in /opt/lib)";
  return "put " + name + " in a layer's lib/ (it ends up in /opt/lib)";
}

class Walker {
 public:
  explicit Walker(Context& ctx) : ctx_(ctx), resolver_(ctx) {}

  // Loads `root` with `chain` as its loaders (the executable first) and
  // follows every dependency once, as ld.so does for one process.
  void walk(const ElfFile& root, std::vector<const ElfFile*> chain) {
    std::map<std::string, std::string> loaded;  // DT_NEEDED name or soname -> path
    seed_interpreter(chain.empty() ? root : *chain.front(), loaded);
    chain.push_back(&root);
    std::deque<std::vector<const ElfFile*>> queue{chain};
    std::set<std::string> visited{root.path};
    while (!queue.empty()) {
      auto current = std::move(queue.front());
      queue.pop_front();
      const ElfFile& object = *current.back();
      for (const auto& name : object.info.needed) {
        std::optional<Located> target;
        if (auto it = loaded.find(name); it != loaded.end()) {
          target = ctx_.view.find(it->second);
        } else {
          auto all = resolver_.candidates(name, current);
          if (all.empty()) {
            unresolved(name, current);
            continue;
          }
          report_shadowing(ctx_, name, all, object);
          target = all.front().where;
          loaded[name] = target->path;
        }
        if (!target) continue;
        auto elf = ctx_.elves.find(target->path);
        check_versions(ctx_, object, name, *target, elf == ctx_.elves.end() ? nullptr : &elf->second);
        if (elf == ctx_.elves.end()) continue;
        if (!elf->second.info.soname.empty()) loaded.emplace(elf->second.info.soname, target->path);
        reached_.insert(target->path);
        if (!visited.insert(target->path).second) continue;
        auto next = current;
        next.push_back(&elf->second);
        queue.push_back(std::move(next));
      }
    }
  }

  const std::set<std::string>& reached() const { return reached_; }

 private:
  void unresolved(const std::string& name, const std::vector<const ElfFile*>& chain) {
    const ElfFile& object = *chain.back();
    const std::string fails = "error while loading shared libraries: " + name +
                              ": cannot open shared object file: No such file or directory";
    // A link where the loader looks that goes nowhere: moving files would not help.
    for (const auto& step : search_order(name, chain, ctx_.image, arch_name(ctx_))) {
      auto broken = broken_link(ctx_.view, step.path);
      if (!broken) continue;
      const std::string& first = broken->paths.front();
      ctx_.add(Severity::error, "deps.unresolved", object.path, object.entry->source->label,
               "needs '" + name + "', but " + first + " is a symbolic link that " +
                   (broken->loops ? "loops (" + describe(*broken) + "), so opening it fails (ELOOP)"
                                  : "points to nothing (" + describe(*broken) + ")") +
                   " and no other directory the loader searches has it (" + fails + ")",
               broken->loops ? "make '" + first + "' (" + broken->links.front()->source->label +
                                   ") the library itself, or a link to it, not to a link that leads back"
                             : "make '" + first + "' (" + broken->links.front()->source->label +
                                   ") point to the library, or put the library where it points");
      return;
    }
    const std::string message = "needs '" + name +
                                "', which is in none of the directories the loader searches on " +
                                ctx_.image.runtime;
    const std::string error =
        "error while loading shared libraries: " + name + ": cannot open shared object file";
    if (ctx_.unchecked_layers.empty()) {
      ctx_.add(Severity::error, "deps.unresolved", object.path, object.entry->source->label,
               message + " (" + error + ")", unresolved_fix(ctx_, name));
      return;
    }
    ctx_.add(Severity::warning, "deps.unresolved", object.path, object.entry->source->label,
             message + "; " + ctx_.unchecked_note() + ", so unless it has " + name +
                 " in lib/, starting fails (" + error + ")",
             "check that layer with 'layered doctor --layer DIR|ZIP', or " + unresolved_fix(ctx_, name));
  }

  void seed_interpreter(const ElfFile& exe, std::map<std::string, std::string>& loaded) {
    if (exe.info.interpreter.empty()) return;
    auto found = ctx_.view.find(exe.info.interpreter);
    if (!found) return;
    loaded[basename(exe.info.interpreter)] = found->path;
    auto elf = ctx_.elves.find(found->path);
    if (elf != ctx_.elves.end() && !elf->second.info.soname.empty())
      loaded[elf->second.info.soname] = found->path;
  }

  Context& ctx_;
  Resolver resolver_;
  std::set<std::string> reached_;
};

void load_elves(Context& ctx) {
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (!entry.file->link.empty()) continue;
    auto bytes = read_file(entry.file->host, kMaxElfBytes);
    if (!bytes) continue;
    auto info = elf::parse(*bytes);
    if (!info) {
      ctx.add(Severity::warning, "elf.malformed", path, entry.source->label,
              "starts like an ELF file but cannot be read: " + info.error().message,
              "check that the file was copied completely (not truncated, not a text placeholder)");
      continue;
    }
    ctx.elves.emplace(path, ElfFile{path, &entry, std::move(*info)});
  }
}

bool right_arch(const Context& ctx, const ElfFile& f) {
  return f.info.machine == machine_for(arch_name(ctx)) && f.info.bits == 64;
}

// One finding per source and machine: a layer built for the wrong
// architecture is one mistake, not one per library.
void report_arch(Context& ctx, const std::vector<const ElfFile*>& wrong) {
  std::map<std::pair<const Source*, std::string>, std::vector<const ElfFile*>> groups;
  for (const ElfFile* f : wrong)
    groups[{f->entry->source, elf::machine_name(f->info.machine, f->info.bits)}].push_back(f);
  const std::string arch = arch_name(ctx);
  for (const auto& [key, files] : groups) {
    const auto& [source, built] = key;
    std::string other = built == "x86_64" || built == "arm64" ? built : "";
    std::string more = files.size() > 1 ? " (and " + std::to_string(files.size() - 1) + " more files of " +
                                              source->label + ")"
                                        : "";
    ctx.add(Severity::error, "arch.mismatch", files.front()->path, source->label,
            "is built for " + built + more + ", but the function runs on " + arch +
                " (the loader rejects it: 'Exec format error' or 'wrong ELF class')",
            other.empty() ? "rebuild it for " + arch
                          : "rebuild it for " + arch + ", or deploy the function for " + other + " (--arch " +
                                other + ")");
  }
}

bool check_interpreter(Context& ctx, const ElfFile& f) {
  if (f.info.interpreter.empty() || ctx.view.find(f.info.interpreter)) return true;
  std::string image_loader;
  if (auto it = ctx.image.loaders.find(arch_name(ctx)); it != ctx.image.loaders.end())
    image_loader = it->second;
  ctx.add(Severity::error, "deps.interpreter-missing", f.path, f.entry->source->label,
          "asks for the ELF interpreter '" + f.info.interpreter + "', which does not exist on " +
              ctx.image.runtime +
              ", so starting it fails with 'No such file or directory' although the file is there",
          "ship that loader at '" + f.info.interpreter +
              "' in a layer, or link with -Wl,--dynamic-linker=" + image_loader);
  return false;
}

// A package that ships glibc's loader in /opt/lib (as aws-lambda-cpp's
// packager does) starts its programs through it with /opt/lib first: stands
// in for the executable when there is none to look at.
std::optional<ElfFile> bundled_loader(Context& ctx) {
  auto image_loader = ctx.image.loaders.find(arch_name(ctx));
  if (image_loader == ctx.image.loaders.end()) return std::nullopt;
  std::string path = "/opt/lib/" + basename(image_loader->second);
  auto it = ctx.elves.find(path);
  if (it == ctx.elves.end()) return std::nullopt;
  ElfFile pseudo = it->second;
  pseudo.info.interpreter = path;
  pseudo.info.rpath = {"/opt/lib"};
  pseudo.info.runpath.clear();
  ctx.add(
      Severity::info, "deps.assumed-loader", path, it->second.entry->source->label,
      "no executable loads some of the libraries, so they were checked as if started through this loader "
      "with /opt/lib searched first",
      "check the layer together with its function (--function DIR) to see what the function really loads");
  return pseudo;
}

}  // namespace

std::vector<SearchStep> search_order(const std::string& name, const std::vector<const ElfFile*>& chain,
                                     const image::BaseImage& image, const std::string& arch) {
  std::vector<SearchStep> out;
  std::set<std::string> seen;  // a path found once is not looked at again
  auto step = [&](std::string path, const char* via) {
    if (seen.insert(path).second) out.push_back({std::move(path), via});
  };
  const ElfFile& object = *chain.back();
  auto join = [&arch](const std::string& dir, const std::string& file, const std::string& origin_of) {
    return expand(dir, origin_of, arch) + "/" + file;
  };
  if (name.find('/') != std::string::npos) {
    step(name[0] == '/' ? name : "/var/task/" + name, "path");
    return out;
  }
  if (object.info.runpath.empty()) {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (!(*it)->info.runpath.empty()) continue;  // ld.so ignores DT_RPATH next to DT_RUNPATH
      for (const auto& dir : (*it)->info.rpath) step(join(dir, name, (*it)->path), "DT_RPATH");
    }
  }
  for (const auto& dir : image.ld_library_path()) step(dir + "/" + name, "LD_LIBRARY_PATH");
  for (const auto& dir : object.info.runpath) step(join(dir, name, object.path), "DT_RUNPATH");
  for (const auto& dir : image.loader_default_dirs) step(dir + "/" + name, "default");
  return out;
}

void check_elves(Context& ctx) {
  load_elves(ctx);
  std::vector<const ElfFile*> executables, libraries, wrong;
  for (const auto& [path, f] : ctx.elves) {
    if (f.info.type != 2 && f.info.type != 3) continue;  // object files, core dumps: never loaded
    if (!right_arch(ctx, f)) wrong.push_back(&f);
    if (!right_arch(ctx, f) || !f.info.dynamic) continue;
    bool executable = !f.info.interpreter.empty() && f.info.soname.empty();
    if (executable && !check_interpreter(ctx, f)) continue;
    (executable ? executables : libraries).push_back(&f);
  }
  report_arch(ctx, wrong);
  if (ctx.elves.empty()) return;
  ctx.add(
      Severity::info, "deps.dlopen", "", "",
      "libraries a program opens with dlopen() at run time are not named in any ELF file, so doctor cannot "
      "check them",
      "put them in a layer's lib/ and open them by file name (dlopen(\"libfoo.so.1\")) so /opt/lib is "
      "searched");
  Walker walker(ctx);
  for (const ElfFile* exe : executables) walker.walk(*exe, {});
  // Libraries no executable of the package loads (plugins, or a layer checked
  // without its function): resolve them as if the function's bootstrap
  // loaded them, or through the layer's own loader when it ships one.
  std::vector<const ElfFile*> context;
  for (const char* main : {"/var/task/bootstrap", "/opt/bootstrap"}) {
    auto it = ctx.elves.find(main);
    if (it != ctx.elves.end()) {
      context.push_back(&it->second);
      break;
    }
  }
  std::optional<ElfFile> bundled;
  std::vector<const ElfFile*> unreached;
  for (const ElfFile* lib : libraries)
    if (!walker.reached().count(lib->path)) unreached.push_back(lib);
  if (context.empty() && !unreached.empty() && (bundled = bundled_loader(ctx))) context.push_back(&*bundled);
  for (const ElfFile* lib : unreached) walker.walk(*lib, context);
}

}  // namespace layered::doctor
