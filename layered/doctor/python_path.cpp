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
