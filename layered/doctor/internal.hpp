// Shared between the doctor's checks (not part of the public API): the
// package as files on this machine, and the view of the filesystem the
// function gets on Lambda (image + /var/task + /opt, layers merged in order).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "doctor/doctor.hpp"
#include "doctor/elf.hpp"
#include "image/image.hpp"
#include "model/model.hpp"

namespace layered::doctor {

struct SourceFile {
  std::string rel;  // relative to the source's root, '/'-separated
  std::filesystem::path host;
  std::uint64_t size = 0;
  bool executable = false;
  bool directory = false;
  std::string link;  // symlink target, "" if not a symlink
};

// The function code or one layer, extracted on this machine.
struct Source {
  std::string label;                       // "function" or "layer 'name'"
  std::string mount;                       // "/var/task" or "/opt"
  int layer = -1;                          // index in the package's layers, -1 for the function
  std::filesystem::path input;             // what the user gave (dir or zip)
  std::optional<std::uint64_t> zip_bytes;  // size of the zip, if one was given
  std::vector<SourceFile> files;           // sorted by rel
  std::uint64_t total_bytes = 0;
};

// One visible file in /var/task or /opt.
struct Entry {
  const Source* source = nullptr;
  const SourceFile* file = nullptr;
  std::vector<const Source*> overwritten;  // earlier layers that had this path
};

// What a path resolves to on Lambda.
struct Located {
  std::string path;              // after following symlinks
  const Entry* entry = nullptr;  // null when the file is the image's
  std::string label() const { return entry ? entry->source->label : "image"; }
};

// A path of a later layer that extraction into /opt leaves out, because an
// earlier layer has a directory there (or a file where it needs one).
struct Dropped {
  std::string path;  // /opt/...
  const Source* source = nullptr;
  std::string blocker;  // the path in the way: `path` itself or a parent
  const Source* blocker_source = nullptr;
  bool directory = false;  // what was dropped is a directory
};

class View {
 public:
  View(const image::BaseImage& image, const std::vector<Source>& sources);

  // The file at absolute `path`, following symlinks in the package and the
  // image, or nullopt. Directories do not count.
  std::optional<Located> find(const std::string& path) const;

  // `path` with the symlinks of /var/task and /opt resolved, or nullopt
  // when they loop (or chain more than 16 links): open() fails with ELOOP.
  std::optional<std::string> resolve(const std::string& path) const { return follow(path); }

  // True if `path`, symlinks followed, is a directory of /var/task or /opt
  // holding at least one file.
  bool is_directory(const std::string& path) const;

  const std::map<std::string, Entry>& entries() const { return entries_; }
  const std::vector<Dropped>& dropped() const { return dropped_; }
  const image::BaseImage& image() const { return image_; }

 private:
  std::optional<std::string> follow(const std::string& path) const;
  const image::BaseImage& image_;
  std::map<std::string, Entry> entries_;  // absolute path -> winner
  std::vector<Dropped> dropped_;
};

// A symlink of the package that never reaches a file: the links followed
// from it, in order, and whether they come back to one of them (a loop: the
// kernel's ELOOP, "Too many levels of symbolic links") or end at nothing.
struct BrokenLink {
  std::vector<const Entry*> links;
  std::vector<std::string> paths;  // of each link, then where the last one points
  bool loops = false;
};
std::optional<BrokenLink> broken_link(const View& view, const std::string& path);

// "/opt/lib/libx.so (layer 'a') -> /opt/lib/libx2.so (layer 'b') -> /opt/lib/libx.so".
std::string describe(const BrokenLink& broken);

// Parsed ELF files of the view, by absolute path (winners only).
struct ElfFile {
  std::string path;
  const Entry* entry = nullptr;
  elf::Info info;
};

struct Context {
  const model::Function& function;
  const image::BaseImage& image;
  const std::vector<Source>& sources;
  const View& view;
  // Layers the function lists that doctor could not resolve (a public
  // layer's ARN before `deploy --layer`): what they may provide is not
  // reported as missing, only as not checked.
  std::vector<std::string> unchecked_layers;
  std::map<std::string, ElfFile> elves;
  std::vector<Finding> findings;
  std::set<std::string> seen;  // de-duplicates findings

  void add(Severity severity, std::string code, std::string file, std::string source, std::string message,
           std::string fix);

  // "layer 'arn:...' cannot be resolved before deploy and was not checked":
  // for a finding about something such a layer may provide, then a warning.
  std::string unchecked_note() const;
};

// check(function) for a function some of whose layers could not be resolved
// (`unchecked_layers`, as the template names them): check_assembly.
Result<Report> check(const model::Function& function, const std::vector<std::string>& unchecked_layers);

// One place glibc's ld.so looks for a DT_NEEDED name, and why there.
struct SearchStep {
  std::string path;
  const char* via;  // "path", "DT_RPATH", "LD_LIBRARY_PATH", "DT_RUNPATH", "default"
};

// Where ld.so looks for `name`, needed by chain.back() (chain: the
// executable first, then the objects that loaded it), in its order
// (elf/dl-load.c, _dl_map_object): DT_RPATH of the object and of its loaders
// (not for an object with DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the
// loader's default directories; each path once, where it comes first.
std::vector<SearchStep> search_order(const std::string& name, const std::vector<const ElfFile*>& chain,
                                     const image::BaseImage& image, const std::string& arch);

// Reads every file of `root` (not following symlinks).
Result<Source> scan(const std::filesystem::path& root, std::string label, std::string mount, int layer);

// The checks, each appending findings to the context.
void check_layout(Context& ctx);
void python_layout(Context& ctx, const Source& layer);  // part of check_layout (python_layout.cpp)
void check_bootstrap(Context& ctx);
void check_exec_wrapper(Context& ctx);  // AWS_LAMBDA_EXEC_WRAPPER of a managed runtime
void check_elves(Context& ctx);         // architecture, interpreter, dependencies, symbol versions
void check_limits(Context& ctx);
void check_conflicts(Context& ctx);
void check_python(Context& ctx);      // C extensions, .dist-info, the handler's imports
void check_nodejs(Context& ctx);      // the handler's module
void check_foreign_os(Context& ctx);  // macOS and Windows builds of native code

// A module a Python source imports at its top level (`import a.b`, `from a
// import b`): `name` is the top-level package ("a"), `line` 1-based.
struct PythonImport {
  std::string name;
  int line = 0;
};

// The absolute imports at column 0 of `source`, outside string literals; what
// is indented (inside try:, if:, def) may be optional and is left out.
std::vector<PythonImport> top_level_imports(std::string_view source);

// True if `name` is a top-level module of Python `version`'s standard library
// ("3.11"), per layered/data/python-stdlib.json.
bool is_stdlib_module(const std::string& version, const std::string& name);

// The module part of a Python handler string ("handler.handler" -> "handler",
// "src/app.main" -> "src/app"), or "" if it has none.
std::string python_handler_module(const std::string& handler);

// The top-level imports of the function's handler module, in order (none
// when the handler or its module is not known), and whether the module
// changes sys.path itself (then it may import from anywhere).
struct HandlerImports {
  bool known = false;  // the handler's module is a source file doctor read
  bool own_path = false;
  std::vector<std::string> names;
};
HandlerImports handler_imports(const Context& ctx);

// The first `limit` bytes of a file of this machine ("" when unreadable).
std::string read_head(const std::filesystem::path& path, std::uint64_t limit);

// "1.2 MB", "250 MB".
std::string human_size(std::uint64_t bytes);

// The function's runtime as the checks need it: its family and the version
// of its language ("3.12" for python3.12, "20" for nodejs20.x; from the
// runtime's entry in the base-image data).
struct RuntimeInfo {
  model::Family family = model::Family::custom;
  std::string version;
};
RuntimeInfo runtime_info(const Context& ctx);

// Lambda's name of the function's architecture ("x86_64", "arm64").
std::string arch_name(const Context& ctx);

// A module as Python's import system finds it on Lambda (python_path.cpp).
struct PythonModule {
  enum class Kind { module, package, namespace_package };
  Kind kind = Kind::module;
  std::string file;                 // the module, or its package's __init__; "" for a namespace package
  std::vector<std::string> search;  // a package's __path__
};

struct PythonLookup {
  std::optional<PythonModule> module;
  std::string error;  // when not found, Python's ImportError text: "No module named 'a.b'"
};

// importlib's lookup over Lambda's sys.path as far as the package reaches:
// /var/task, /opt/python/lib/python3.X/site-packages, /opt/python (the
// runtime's own directories, standard library included, come after them),
// then what the .pth files of those three site directories add.
class PythonPath {
 public:
  PythonPath(const View& view, const RuntimeInfo& runtime, const std::string& arch);

  // `name` (one component) in `dirs`, as PathFinder finds it.
  std::optional<PythonModule> find_in(const std::vector<std::string>& dirs, const std::string& name) const;
  // `dotted` ("a.b.c"), each parent imported first, as import_module does.
  PythonLookup import(const std::string& dotted) const;
  const std::vector<std::string>& sys_path() const { return sys_path_; }
  // importlib's suffixes, in its order (".cpython-311-x86_64-linux-gnu.so", ..., ".py", ".pyc").
  const std::vector<std::string>& suffixes() const { return suffixes_; }
  // The .pth files that run code at start-up (an "import" line), which may
  // change sys.path or the import system in ways not seen here.
  const std::vector<std::string>& pth_code() const { return pth_code_; }

 private:
  bool is_file(const std::string& path) const;
  void add_site_dir(const std::string& dir);
  const View& view_;
  std::vector<std::string> suffixes_;
  std::vector<std::string> sys_path_;
  std::vector<std::string> pth_code_;
};

// True if `name` is compiled into CPython (sys.builtin_module_names).
bool is_builtin_module(const std::string& name);

}  // namespace layered::doctor
