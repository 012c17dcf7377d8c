// Python's import system on the view: which file `import a.b` loads on
// Lambda, by importlib's PathFinder and FileFinder (docs.python.org/3/
// reference/import.html): each sys.path directory in order; in one directory
// a package (a folder with __init__ of any loader suffix) first, then a module
// file with a suffix in the loaders' order (extension modules, source,
// sourceless bytecode); a folder without __init__ is a portion of a
// namespace package, which a regular module or package in a later directory
// still beats. Submodules are looked up in the package's __path__ alone.
// Symlinks of the function and the layers are followed as the kernel follows
// them (View::resolve), so `python/mylib -> ../src/mylib` is a package.
#include <algorithm>
#include <sstream>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

// importlib.machinery's EXTENSION_SUFFIXES on Linux, then SOURCE_SUFFIXES and
// BYTECODE_SUFFIXES, in FileFinder's order.
std::vector<std::string> loader_suffixes(const RuntimeInfo& runtime, const std::string& arch) {
  const std::string minor = runtime.version.substr(runtime.version.find('.') + 1);
  const std::string platform = arch == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return {".cpython-3" + minor + "-" + platform + ".so", ".abi3.so", ".so", ".py", ".pyc"};
}

// The modules compiled into CPython as Lambda builds it (from source, like
// pyenv): sys.builtin_module_names common to 3.9 to 3.14. Lambda's runtime
// refuses them as handler modules before importing anything.
const std::set<std::string> kBuiltinModules = {
    "_abc",    "_ast",      "_codecs",   "_collections", "_functools", "_imp",
    "_io",     "_locale",   "_operator", "_signal",      "_sre",       "_stat",
    "_string", "_symtable", "_thread",   "_tracemalloc", "_warnings",  "_weakref",
    "atexit",  "builtins",  "errno",     "faulthandler", "gc",         "itertools",
    "marshal", "posix",     "pwd",       "sys",          "time"};

}  // namespace

bool is_builtin_module(const std::string& name) { return kBuiltinModules.count(name) > 0; }

PythonPath::PythonPath(const View& view, const RuntimeInfo& runtime, const std::string& arch)
    : view_(view),
      suffixes_(loader_suffixes(runtime, arch)),
      sys_path_({"/var/task", "/opt/python/lib/python" + runtime.version + "/site-packages", "/opt/python"}) {
  // Lambda's bootstrap then calls site.addsitedir on each of them, in this
  // order (lambda-facts.md section 10), which reads their .pth files.
  const std::vector<std::string> site_dirs = sys_path_;
  for (const auto& dir : site_dirs) add_site_dir(dir);
}

// site.addpackage for each .pth file of `dir`, by name, hidden ones left
// out: a line starting with '#' or blank is skipped, one starting with
// "import " or "import\t" is run (here only noted: what it does is not
// known), any other names a path, relative to `dir`, that is appended to
// sys.path when it exists and is not there yet.
void PythonPath::add_site_dir(const std::string& dir) {
  const auto resolved = view_.resolve(dir);
  if (!resolved) return;
  const std::string prefix = *resolved + "/";
  const auto& entries = view_.entries();
  for (auto it = entries.lower_bound(prefix); it != entries.end() && it->first.starts_with(prefix); ++it) {
    const std::string name = it->first.substr(prefix.size());
    if (name.find('/') != std::string::npos || !name.ends_with(".pth") || name.starts_with(".")) continue;
    const auto file = view_.find(it->first);
    if (!file || !file->entry) continue;
    std::istringstream lines(read_head(file->entry->file->host, 1u << 20));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("#") || line.find_first_not_of(" \t\r\f\v") == std::string::npos) continue;
      if (line.starts_with("import ") || line.starts_with("import\t")) {
        if (std::find(pth_code_.begin(), pth_code_.end(), dir + "/" + name) == pth_code_.end())
          pth_code_.push_back(dir + "/" + name);
        continue;
      }
      line.erase(line.find_last_not_of(" \t\r\f\v") + 1);
      const std::filesystem::path joined = std::filesystem::path(dir) / line;  // an absolute line stays
      std::string added = joined.lexically_normal().generic_string();
      while (added.size() > 1 && added.ends_with("/")) added.pop_back();
      if (std::find(sys_path_.begin(), sys_path_.end(), added) != sys_path_.end()) continue;
      if (view_.is_directory(added) || view_.find(added)) sys_path_.push_back(added);
    }
  }
}

bool PythonPath::is_file(const std::string& path) const { return view_.find(path).has_value(); }

std::optional<PythonModule> PythonPath::find_in(const std::vector<std::string>& dirs,
                                                const std::string& name) const {
  std::vector<std::string> portions;
  for (const auto& dir : dirs) {
    const std::string base = dir + "/" + name;
    const bool directory = view_.is_directory(base);
    if (directory)
      for (const auto& suffix : suffixes_)
        if (is_file(base + "/__init__" + suffix))
          return PythonModule{PythonModule::Kind::package, base + "/__init__" + suffix, {base}};
    for (const auto& suffix : suffixes_)
      if (is_file(base + suffix)) return PythonModule{PythonModule::Kind::module, base + suffix, {}};
    if (directory) portions.push_back(base);
  }
  if (portions.empty()) return std::nullopt;
  return PythonModule{PythonModule::Kind::namespace_package, "", std::move(portions)};
}

PythonLookup PythonPath::import(const std::string& dotted) const {
  PythonLookup out;
  std::string name;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    const std::string parent = name;
    name += (name.empty() ? "" : ".") + part;
    if (out.module && out.module->kind == PythonModule::Kind::module) {
      out.error = "No module named '" + name + "'; '" + parent + "' is not a package";
      out.module.reset();
      return out;
    }
    out.module = part.empty() ? std::nullopt : find_in(out.module ? out.module->search : sys_path_, part);
    if (!out.module) {
      out.error = "No module named '" + name + "'";
      return out;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace layered::doctor
