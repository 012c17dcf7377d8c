// A Python function's layers: code Python does not find where Lambda puts
// it. Only /opt/python and /opt/python/lib/python3.X/site-packages are on
// sys.path (lambda-facts.md section 10), with what their .pth files add; a
// layer's code elsewhere, or in another version's site-packages, is an error
// only when the function needs it: a layer may carry an extension's own
// code, folders its code adds to sys.path itself, or packages for several
// Python versions.
#include <algorithm>
#include <string_view>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

std::string top_of(const std::string& rel) { return rel.substr(0, rel.find('/')); }
bool at_top(const std::string& rel) { return rel.find('/') == std::string::npos; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What `import` can name: letters, digits and '_', not starting with a digit.
bool is_identifier(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The "3.x" of "python/lib/python3.x/site-packages[/...]", else "".
std::string site_packages_version(const std::string& rel) {
  constexpr std::string_view kPrefix = "python/lib/python";
  if (!rel.starts_with(kPrefix)) return "";
  const auto slash = rel.find('/', kPrefix.size());
  const std::string version =
      rel.substr(kPrefix.size(), slash == std::string::npos ? slash : slash - kPrefix.size());
  if (version.size() < 3 || !version.starts_with("3.") || !all_digits(std::string_view(version).substr(2)))
    return "";
  const std::string rest = slash == std::string::npos ? "" : rel.substr(slash);
  return rest == "/site-packages" || rest.starts_with("/site-packages/") ? version : "";
}

// The module a file of a site-packages folder gives `import`: "six.py" ->
// "six", "yaml/__init__.py" -> "yaml", "_cffi.cpython-312-x86_64-linux-gnu.so"
// -> "_cffi"; "" for metadata, scripts and caches.
std::string site_package_module(const std::string& rel) {
  const std::string rest = rel.substr(rel.find("/site-packages/") + 15);
  const std::string first = top_of(rest);
  if (at_top(rest) && !first.ends_with(".py") && !first.ends_with(".pyc") && !first.ends_with(".so"))
    return "";
  const std::string name = first.substr(0, first.find('.'));
  return is_identifier(name) && name != "__pycache__" && (at_top(rest) || first == name) ? name : "";
}

// The top-level package a Python file outside python/ belongs to:
// "flask/app.py" -> "flask", "six.py" -> "six",
// "lib/python3.11/site-packages/flask/app.py" -> "flask" (a virtualenv copied as is).
std::string python_package_of(const std::string& rel) {
  std::string rest = rel;
  if (auto site = rel.find("site-packages/"); site != std::string::npos) rest = rel.substr(site + 14);
  std::string top = top_of(rest);
  return top.substr(0, top.find('.'));
}

// What the function's Python can reach, computed once per layer checked.
struct Reach {
  RuntimeInfo runtime;
  PythonPath python;
  HandlerImports handler;
};

// What the function makes of a layer's code outside python/: `missing`, the
// import of the handler that only that code could satisfy (then it fails),
// else why it may well run.
struct Verdict {
  std::string missing;
  std::string why;
};

Verdict verdict(const Context& ctx, const Reach& reach, const std::vector<std::string>& packages) {
  if (reach.handler.own_path)
    return {"", "the handler changes sys.path itself, so it may import it from there"};
  if (!reach.python.pth_code().empty())
    return {"",
            "'" + reach.python.pth_code().front() + "' runs code at start-up that may add it to sys.path"};
  if (!ctx.unchecked_layers.empty())
    return {"", ctx.unchecked_note() + ", so what the handler needs is unknown"};
  if (!reach.handler.known) return {"", "what the handler imports is unknown"};
  for (const auto& name : reach.handler.names)
    if (std::find(packages.begin(), packages.end(), name) != packages.end() &&
        !is_stdlib_module(reach.runtime.version, name) &&
        !reach.python.find_in(reach.python.sys_path(), name))
      return {name, ""};
  return {"", "nothing the handler imports needs it, so the function runs"};
}

// A layer checked without a function: one with nothing under python/ gives
// a Python function nothing, the classic layer zipped without python/.
bool gives_nothing(const Context& ctx, const Source& source) {
  return ctx.function.code_dir.empty() &&
         std::none_of(source.files.begin(), source.files.end(),
                      [](const SourceFile& f) { return !f.directory && top_of(f.rel) == "python"; });
}

// Python code at the top of a layer instead of under python/: Lambda
// extracts it to /opt/<package>, which is not on sys.path. The function
// fails at its first import with Runtime.ImportModuleError when its handler
// imports it; otherwise the code may be used some other way (run as a
// program, added to sys.path by the function), so it is only pointed out.
void python_outside(Context& ctx, const Source& source, const std::vector<std::string>& outside,
                    const Reach& reach) {
  std::vector<std::string> tops, packages;
  for (const auto& rel : outside) {
    std::string top = top_of(rel) + (at_top(rel) ? "" : "/");
    if (std::find(tops.begin(), tops.end(), top) == tops.end()) tops.push_back(top);
    std::string package = python_package_of(rel);
    if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
  }
  std::string listed;
  for (std::size_t i = 0; i < tops.size() && i < 3; ++i) listed += (i ? ", " : "") + tops[i];
  if (tops.size() > 3) listed += " and " + std::to_string(tops.size() - 3) + " more";
  std::string names;
  for (const auto& top : tops) names += (names.empty() ? "" : " ") + top.substr(0, top.find('/'));
  const std::string lands = "has its Python code at the top of the layer (" + listed +
                            ") instead of under python/, so Lambda extracts it to /opt/" + tops.front() +
                            ", which is not on sys.path (only /opt/python and "
                            "/opt/python/lib/python3.X/site-packages are)";
  const std::string move = "put it under python/ in the zip (mkdir python && mv " + names +
                           " python/, or pip install --target python/ ...), so that it lands in /opt/python/";
  const Verdict v = verdict(ctx, reach, packages);
  if (v.missing.empty() && !gives_nothing(ctx, source)) {
    ctx.add(Severity::warning, "layout.python-dir", "/opt/" + tops.front(), source.label,
            lands + ": " + v.why + "; only code that adds /opt/" + tops.front() +
                " to sys.path itself, or runs it as a program, can use it",
            "if the function is meant to import it, " + move);
    return;
  }
  // The module named is one the handler imports, else the first of the
  // layer's that `import` could name at all.
  std::string missing = v.missing;
  for (auto it = packages.begin(); missing.empty() && it != packages.end(); ++it)
    if (is_identifier(*it)) missing = *it;
  const std::string module = python_handler_module(ctx.function.handler);
  std::string error = "Runtime.ImportModuleError";
  if (!missing.empty())
    error += module.empty() || v.missing.empty()
                 ? " (No module named '" + missing + "')"
                 : ": Unable to import module '" + module + "': No module named '" + missing + "'";
  ctx.add(Severity::error, "layout.python-dir", "/opt/" + tops.front(), source.label,
          lands + ": importing it fails with " + error, move);
}

// Where the layers' symlinks under python/ point, relative to /opt
// ("python/mylib -> ../src/mylib": "src/mylib", "python/m -> /opt/shared/m":
// "shared/m", whichever layer has the link): Python reaches what is there
// through the link.
std::vector<std::string> linked_from_python(const Context& ctx) {
  std::vector<std::string> targets;
  for (const auto& source : ctx.sources) {
    if (source.layer < 0) continue;
    for (const auto& f : source.files) {
      if (f.link.empty() || top_of(f.rel) != "python") continue;
      std::filesystem::path target(f.link);
      std::string rel =
          target.is_absolute()
              ? target.lexically_normal().lexically_relative("/opt").generic_string()
              : (std::filesystem::path(f.rel).parent_path() / target).lexically_normal().generic_string();
      while (rel.ends_with("/")) rel.pop_back();
      if (!rel.empty() && !rel.starts_with("..")) targets.push_back(rel);
    }
  }
  return targets;
}

// The folders of /opt that the Lambda extensions in /opt/extensions run
// code from: AWS's samples name the folder after the extension
// ("extensions/python-example-extension" runs
// "/opt/${LAMBDA_EXTENSION_NAME}/extension.py"), others spell it out.
std::set<std::string> extension_folders(const Context& ctx) {
  std::set<std::string> folders;
  const std::string prefix = "/opt/extensions/";
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (!path.starts_with(prefix) || path.find('/', prefix.size()) != std::string::npos) continue;
    folders.insert(path.substr(prefix.size()));
    const auto file = ctx.view.find(path);
    if (!file || !file->entry) continue;
    const std::string text = read_head(file->entry->file->host, 64 * 1024);
    for (auto at = text.find("/opt/"); at != std::string::npos; at = text.find("/opt/", at + 5)) {
      const auto end = text.find_first_of("/\"' \t\r\n;)`$", at + 5);
      const std::string folder = text.substr(at + 5, end == std::string::npos ? end : end - at - 5);
      if (!folder.empty()) folders.insert(folder);
    }
  }
  return folders;
}

bool under_any(const std::string& rel, const std::vector<std::string>& dirs) {
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string& d) { return d == "." || rel == d || rel.starts_with(d + "/"); });
}

// Python code and metadata outside python/: not what the layer's links
// under python/ reach, nor an extension's own code.
void python_elsewhere(Context& ctx, const Source& source, const Reach& reach) {
  std::vector<std::string> modules, metadata;  // .py files; .dist-info, site-packages
  const std::vector<std::string> linked = linked_from_python(ctx);
  const std::set<std::string> extensions = extension_folders(ctx);
  for (const auto& f : source.files) {
    const std::string top = top_of(f.rel);
    if (top == "python" || top == "bin" || top == "nodejs" || top == "extensions" || extensions.count(top) ||
        under_any(f.rel, linked))
      continue;
    if (f.rel.ends_with(".py")) modules.push_back(f.rel);
    if (f.rel.ends_with(".dist-info") || f.rel.ends_with("/site-packages")) metadata.push_back(f.rel);
  }
  if (!modules.empty() || !metadata.empty())
    python_outside(ctx, source, modules.empty() ? metadata : modules, reach);
}

// python/lib/python3.Y/site-packages of another version: only Python 3.Y
// searches it. Like nodejs/nodeNN: an error when the layer gives the
// function nothing, a warning when some packages are there for other
// versions only, nothing when the function's version finds them elsewhere.
void python_versions(Context& ctx, const Source& source, const Reach& reach) {
  const RuntimeInfo& runtime = reach.runtime;
  std::map<std::string, std::set<std::string>> hidden;  // version -> modules
  bool visible = false;                                 // the layer gives the function something
  for (const auto& f : source.files) {
    if (f.directory || top_of(f.rel) != "python") continue;
    const std::string version = site_packages_version(f.rel);
    if (version == runtime.version || (version.empty() && !f.rel.starts_with("python/lib/python3"))) {
      visible = true;
      continue;
    }
    if (version.empty()) continue;
    const std::string name = site_package_module(f.rel);
    if (name.empty() || is_stdlib_module(runtime.version, name) ||
        reach.python.find_in(reach.python.sys_path(), name))
      continue;
    hidden[version].insert(name);
  }
  for (const auto& [version, modules] : hidden) {
    std::string names;
    std::size_t n = 0;
    for (const auto& m : modules)
      if (n++ < 3) names += (names.empty() ? "'" : ", '") + m + "'";
    if (modules.size() > 3) names += " and " + std::to_string(modules.size() - 3) + " more";
    ctx.add(visible ? Severity::warning : Severity::error, "layout.python-version",
            "/opt/python/lib/python" + version + "/site-packages", source.label,
            "is searched only by Python " + version + ", but the function runs " +
                std::string(model::to_string(ctx.function.runtime)) +
                ", whose sys.path has /opt/python/lib/python" + runtime.version +
                "/site-packages and /opt/python: " + names + " cannot be found there (No module named '" +
                *modules.begin() + "')",
            "install into python/lib/python" + runtime.version +
                "/site-packages, or into python/ (searched by every version)");
  }
}

}  // namespace

// Python code and metadata outside python/ matter only to a Python
// function: a Node.js or OS-only function's layer may well carry .py files
// (libstdc++'s GDB pretty-printers under share/gdb, node-gyp).
void python_layout(Context& ctx, const Source& source) {
  const RuntimeInfo runtime = runtime_info(ctx);
  if (runtime.family != model::Family::python) return;
  const Reach reach{runtime, PythonPath(ctx.view, runtime, arch_name(ctx)), handler_imports(ctx)};
  python_elsewhere(ctx, source, reach);
  python_versions(ctx, source, reach);
}

}  // namespace layered::doctor
