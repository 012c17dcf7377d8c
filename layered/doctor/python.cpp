// Python functions: what Python's import system will find on Lambda. There,
// sys.path is /var/task, then /opt/python/lib/python3.X/site-packages, then
// /opt/python (lambda-facts.md section 2), then the runtime's own modules.
#include <algorithm>
#include <regex>
#include <sstream>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

constexpr std::uint64_t kMaxTextBytes = 1u << 20;

// What Lambda's Python runtimes bring besides the standard library: the AWS
// SDK for Python and its dependencies ("Lambda's Python runtimes include the
// AWS SDK for Python (Boto3)", docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).
// layered's sandbox has none of them (lambda-facts.md section 10), so an
// import of one that the package does not bring is a warning.
const std::set<std::string> kRuntimeProvided = {"boto3",    "botocore", "s3transfer", "jmespath",
                                                "dateutil", "urllib3",  "six",        "awslambdaric"};

std::string basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string dirname(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string read_text(const std::filesystem::path& path) { return read_head(path, kMaxTextBytes); }

// The dotted module a file is imported as, from the most specific sys.path
// directory that holds it.
std::string module_name(const std::string& path, const std::vector<std::string>& sys_path) {
  std::string best;
  for (const auto& dir : sys_path)
    if (path.starts_with(dir + "/") && dir.size() > best.size()) best = dir;
  std::string rel = best.empty() ? basename(path) : path.substr(best.size() + 1);
  rel = rel.substr(0, rel.find('.'));
  std::replace(rel.begin(), rel.end(), '/', '.');
  return rel;
}

std::string pip_platform(const Context& ctx) {
  return ctx.function.architecture == model::Architecture::arm64 ? "manylinux2014_aarch64"
                                                                 : "manylinux2014_x86_64";
}

std::string pip_install(const Context& ctx, const std::string& version,
                        const std::string& package = "<package>") {
  return "pip install --target python/ --platform " + pip_platform(ctx) +
         " --only-binary=:all: --python-version " + version + " " + package;
}

// C extensions tagged for another CPython: Python loads only the suffixes in
// importlib.machinery.EXTENSION_SUFFIXES (.cpython-3XY-<platform>.so,
// .abi3.so, .so), so another version's file is simply not found.
void extension_versions(Context& ctx, const RuntimeInfo& runtime, const PythonPath& python) {
  static const std::regex tagged(R"(.*\.cpython-3([0-9]+)d?-([A-Za-z0-9_-]+)\.so)");
  std::map<std::pair<const Source*, std::string>, std::vector<std::string>>
      groups;  // (source, minor) -> files
  for (const auto& [path, entry] : ctx.view.entries()) {
    std::smatch m;
    std::string file = basename(path);
    if (!std::regex_match(file, m, tagged) || m[2].str().find("darwin") != std::string::npos) continue;
    if ("3." + m[1].str() != runtime.version) groups[{entry.source, m[1].str()}].push_back(path);
  }
  const std::string ours = runtime.version.substr(runtime.version.find('.') + 1);
  for (const auto& [key, files] : groups) {
    const auto& [source, minor] = key;
    std::string module = module_name(files.front(), python.sys_path());
    std::string more = files.size() > 1
                           ? " (and " + std::to_string(files.size() - 1) + " more in " + source->label + ")"
                           : "";
    ctx.add(Severity::error, "python.extension-version", files.front(), source->label,
            "is a C extension built for Python 3." + minor + " (cpython-3" + minor + ")" + more + ", but " +
                std::string(model::to_string(ctx.function.runtime)) + " loads only *.cpython-3" + ours +
                "-*.so, *.abi3.so and *.so, so importing '" + module + "' fails (No module named '" + module +
                "')",
            "install the package for Python " + runtime.version + ": " + pip_install(ctx, runtime.version));
  }
}

// The top-level names a .dist-info/.egg-info says its distribution installs:
// top_level.txt, else the first component of each file in RECORD.
std::vector<std::string> installed_names(const Context& ctx, const std::string& meta) {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  if (auto top = ctx.view.find(meta + "/top_level.txt"); top && top->entry) {
    std::istringstream lines(read_text(top->entry->file->host));
    for (std::string line; std::getline(lines, line);) add(line.substr(0, line.find_first_of("\r \t")));
    return names;
  }
  auto record = ctx.view.find(meta + "/RECORD");
  if (!record || !record->entry) return names;
  std::istringstream lines(read_text(record->entry->file->host));
  for (std::string line; std::getline(lines, line);) {
    std::string path = line.substr(0, line.find(','));
    std::string top = path.substr(0, path.find('/'));
    if (top.empty() || top == ".." || top == "__pycache__" || top == "bin" || top.ends_with(".dist-info") ||
        top.ends_with(".pth") || top.ends_with(".data"))
      continue;
    add(top.substr(0, top.find('.')));
  }
  return names;
}

void orphan_metadata(Context& ctx, const PythonPath& path) {
  const auto& dirs = path.sys_path();
  std::set<std::string> done;
  for (const auto& [file, entry] : ctx.view.entries()) {
    std::string meta = dirname(file);
    if (!meta.ends_with(".dist-info") && !meta.ends_with(".egg-info")) continue;
    std::string dir = dirname(meta);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end() || !done.insert(meta).second) continue;
    auto names = installed_names(ctx, meta);
    if (names.empty() || std::any_of(names.begin(), names.end(), [&](const std::string& n) {
          return path.find_in({dir}, n).has_value();
        }))
      continue;
    std::string dist = basename(meta).substr(0, basename(meta).find('-'));
    std::string kind = meta.substr(meta.rfind('.'));
    ctx.add(Severity::warning, "python.dist-info-orphan", meta + "/", entry.source->label,
            "says '" + dist + "' is installed, but what it installs ('" + names.front() + "'" +
                (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : "") +
                ") is not in " + dir + ", so 'import " + names.front() + "' fails (No module named '" +
                names.front() + "')",
            "install the package again with pip install --target python/ (a " + kind +
                " folder copied without its package is not the package)");
  }
}

// A folder or module named `name` somewhere in the layers, but not where
// Python looks: the classic layer without python/ at its top.
std::optional<Located> misplaced(const Context& ctx, const PythonPath& python, const std::string& name) {
  const auto& dirs = python.sys_path();
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (!path.starts_with("/opt/")) continue;
    const std::string parent = dirname(path.ends_with("/__init__.py") ? dirname(path) : path);
    if (std::find(dirs.begin(), dirs.end(), parent) != dirs.end()) continue;  // on sys.path: not misplaced
    if (path.ends_with("/" + name + "/__init__.py") || path.ends_with("/" + name + ".py"))
      return Located{path.ends_with(".py") && !path.ends_with("__init__.py") ? path : dirname(path) + "/",
                     &entry};
  }
  return std::nullopt;
}

// Code that changes sys.path itself (a vendored folder) may import what
// doctor does not see.
bool extends_sys_path(std::string_view text) {
  for (const char* change : {"sys.path.insert", "sys.path.append", "sys.path.extend", "sys.path[",
                             "sys.path +=", "sys.path+=", "sys.path =", "sys.path=", "site.addsitedir"})
    if (text.find(change) != std::string_view::npos) return true;
  return false;
}

std::string runtime_name(const Context& ctx) { return std::string(model::to_string(ctx.function.runtime)); }

std::string import_error(const std::string& shown, const std::string& error) {
  return "Runtime.ImportModuleError: Unable to import module '" + shown + "': " + error;
}

// An import of the AWS SDK that only Lambda's runtime would provide.
void runtime_provided(Context& ctx, const std::string& shown, const Located& where,
                      const PythonImport& import) {
  ctx.add(Severity::warning, "python.runtime-provided", where.path, where.label(),
          "imports '" + import.name + "' (line " + std::to_string(import.line) + "): Lambda's " +
              runtime_name(ctx) + " runtime provides it, layered's does not, so " +
              "here every invoke fails with " + import_error(shown, "No module named '" + import.name + "'"),
          "Lambda's runtime provides " + import.name +
              "; layered does not: add it to a layer or the bundle " + "to run it here (" +
              pip_install(ctx, runtime_info(ctx).version, import.name) + ")");
}

// A link's end outside /opt and /var/task: a path of the machine the zip
// was made on ("python/six.py -> /usr/lib/python3/dist-packages/six.py"),
// which Lambda's sandbox does not have.
bool host_path(const std::string& target) {
  return !target.starts_with("/opt/") && !target.starts_with("/var/task/") && target != "/opt" &&
         target != "/var/task";
}

// The fix when a link in sys.path has the name (a package's folder, or a
// module's file with one of the loader's suffixes) but goes nowhere.
std::optional<std::string> broken_link_fix(const Context& ctx, const PythonPath& path,
                                           const std::string& name) {
  std::vector<std::string> forms = {""};
  forms.insert(forms.end(), path.suffixes().begin(), path.suffixes().end());
  for (const auto& dir : path.sys_path())
    for (const auto& suffix : forms) {
      auto broken = broken_link(ctx.view, dir + "/" + name + suffix);
      if (!broken) continue;
      const std::string& link = broken->paths.front();
      const std::string& target = broken->paths.back();
      const Source& source = *broken->links.front()->source;
      const std::string zip = source.layer >= 0 ? "the layer" : "the function's zip";
      if (!broken->loops && host_path(target))
        return "'" + link + "' (" + source.label + ") is a symbolic link to '" + target +
               "', which does not exist in Lambda's sandbox (a path of the machine " + zip +
               " was made on; Lambda has only the function in /var/task, the layers in /opt and the "
               "runtime's own files): put the file itself in " +
               zip + " instead of a link to it (cp -L, or zip without --symlinks)";
      return "'" + link + "' is a symbolic link that " + (broken->loops ? "loops" : "points to nothing") +
             " (" + describe(*broken) + "): make it point to the package's folder";
    }
  return std::nullopt;
}

void missing_import(Context& ctx, const PythonPath& path, const std::string& shown, const Located& where,
                    const PythonImport& import, bool own_path) {
  const std::string runtime = runtime_name(ctx);
  const std::string version = runtime_info(ctx).version;
  const std::string fails = import_error(shown, "No module named '" + import.name + "'");
  const std::string at = "imports '" + import.name + "' (line " + std::to_string(import.line) + ")";
  auto other = misplaced(ctx, path, import.name);
  std::string fix = other ? "'" + other->path + "' (" + other->label() +
                                ") is not on sys.path: move it into python/ in that layer (it ends up in "
                                "/opt/python/" +
                                import.name + ")"
                          : "add '" + import.name + "' to a layer under python/ (" +
                                pip_install(ctx, version, import.name) + ") or to the function's zip";
  if (auto link = broken_link_fix(ctx, path, import.name)) fix = *link;
  if (own_path) {
    ctx.add(Severity::warning, "python.import-missing", where.path, where.label(),
            at + " after changing sys.path itself; neither the function, its layers' python/ folders nor " +
                runtime + "'s standard library provide it, so unless the folder the code adds does, every " +
                "invoke fails with " + fails,
            "check that the folder added to sys.path has '" + import.name + "', or " + fix);
  } else if (!path.pth_code().empty()) {
    // An "import" line of a .pth file runs at start-up and may add to
    // sys.path or install an importer: what it makes importable is unknown.
    const std::string& pth = path.pth_code().front();
    ctx.add(Severity::warning, "python.import-missing", where.path, where.label(),
            at +
                ", which neither the function, its layers' python/ folders, the paths their .pth files add "
                "nor " +
                runtime + "'s standard library provide; '" + pth +
                "' runs code at start-up (an import line), so unless that code makes it importable, every "
                "invoke fails with " +
                fails,
            "check what '" + pth + "' does, or " + fix);
  } else if (!ctx.unchecked_layers.empty()) {
    ctx.add(Severity::warning, "python.import-missing", where.path, where.label(),
            at + ", which neither the function, the layers doctor checked nor " + runtime +
                "'s standard library provide; " + ctx.unchecked_note() +
                ", so unless it provides it, every invoke fails with " + fails,
            "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
  } else {
    ctx.add(Severity::error, "python.import-missing", where.path, where.label(),
            at + ", but neither the function, its layers' python/ folders nor " + runtime +
                "'s standard library provide it, so every invoke fails with " + fails,
            fix);
  }
}

void imports_of(Context& ctx, const PythonPath& path, const std::string& shown, const Located& where) {
  const RuntimeInfo runtime = runtime_info(ctx);
  const std::string text = read_text(where.entry->file->host);
  const bool own_path = extends_sys_path(text);
  std::set<std::string> reported;
  for (const auto& import : top_level_imports(text)) {
    if (is_stdlib_module(runtime.version, import.name) || !reported.insert(import.name).second ||
        path.find_in(path.sys_path(), import.name))
      continue;
    if (kRuntimeProvided.count(import.name))
      runtime_provided(ctx, shown, where, import);
    else
      missing_import(ctx, path, shown, where, import, own_path);
  }
}

// The handler's module as Lambda's runtime imports it: "src/app" is
// imported as "src.app".
std::string dotted(const std::string& module) {
  std::string out = module;
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

void handler_missing(Context& ctx, const std::string& module, const std::string& error) {
  const std::string& handler = ctx.function.handler;
  std::string file = "/var/task/" + dotted(module);
  std::replace(file.begin(), file.end(), '.', '/');
  const std::string has = ctx.function.layers.empty() ? "which the function does not have"
                                                      : "which neither the function nor its layers have";
  std::string fix = "put " + module +
                    ".py at the top of the function's zip, or set the handler to <module>.<function> of a "
                    "module that is there";
  if (!ctx.function.inline_code.empty())  // Code.ZipFile: CloudFormation writes it to index.py, always
    fix = "inline code (Code.ZipFile) is always the module 'index' (index.py): set the handler to index." +
          handler.substr(handler.rfind('.') + 1);
  const std::string message = "the handler '" + handler + "' names the module '" + module + "', " + has;
  const std::string fails = "every invoke fails with " + import_error(module, error);
  if (ctx.unchecked_layers.empty()) {
    ctx.add(Severity::error, "python.handler-missing", file + ".py", "function", message + ", so " + fails,
            fix);
    return;
  }
  ctx.add(Severity::warning, "python.handler-missing", file + ".py", "function",
          message + "; " + ctx.unchecked_note() + ", so unless it has the module, " + fails,
          "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
}

// The handler module's file, when the function or a layer has it: the
// module's own file or its package's __init__ (a source, an extension or
// bytecode); nullopt for a namespace package, and when it is missing (then
// reported).
std::optional<Located> handler_file(Context* report, const Context& ctx, const PythonPath& path,
                                    const std::string& module) {
  const std::string name = dotted(module);
  const std::string top = name.substr(0, name.find('.'));
  if (is_builtin_module(top)) {
    if (report)
      report->add(Severity::error, "python.handler-builtin", "", "",
                  "the handler '" + ctx.function.handler + "' names the module '" + module +
                      "', which is built into Python, so every invoke fails with "
                      "Runtime.BuiltInModuleConflict: Cannot use built-in module " +
                      module + " as a handler module",
                  "give the handler's module another name (e.g. app.py, handler app.handler)");
    return std::nullopt;
  }
  const PythonLookup found = path.import(name);
  if (found.module) {
    if (found.module->file.empty()) return std::nullopt;
    auto where = ctx.view.find(found.module->file);
    return where && where->entry ? where : std::nullopt;
  }
  // A module of the runtime's own (the standard library) is imported from
  // there; what the handler then lacks is not an import error.
  if (report && !(is_stdlib_module(runtime_info(ctx).version, top) && !path.find_in(path.sys_path(), top)))
    handler_missing(*report, module, found.error);
  return std::nullopt;
}

void handler_imports(Context& ctx, const PythonPath& path) {
  if (ctx.function.code_dir.empty()) return;
  const std::string& handler = ctx.function.handler;
  if (handler.empty()) {  // unknown handler: every module at the top of the function
    for (const auto& [file, entry] : ctx.view.entries())
      if (file.starts_with("/var/task/") && file.ends_with(".py") && file.find('/', 10) == std::string::npos)
        imports_of(ctx, path, basename(file).substr(0, basename(file).size() - 3), Located{file, &entry});
    return;
  }
  std::string module = python_handler_module(handler);
  if (module.empty()) return;
  auto where = handler_file(&ctx, ctx, path, module);
  if (where && where->path.ends_with(".py")) imports_of(ctx, path, module, *where);
}

}  // namespace

HandlerImports handler_imports(const Context& ctx) {
  HandlerImports out;
  std::string module = python_handler_module(ctx.function.handler);
  if (ctx.function.code_dir.empty() || module.empty()) return out;
  const PythonPath path(ctx.view, runtime_info(ctx), arch_name(ctx));
  if (auto where = handler_file(nullptr, ctx, path, module); where && where->path.ends_with(".py")) {
    const std::string text = read_text(where->entry->file->host);
    out.known = true;
    out.own_path = extends_sys_path(text);
    for (const auto& import : top_level_imports(text)) out.names.push_back(import.name);
  }
  return out;
}

std::string python_handler_module(const std::string& handler) {
  auto dot = handler.rfind('.');
  return dot == std::string::npos || dot == 0 ? "" : handler.substr(0, dot);
}

void check_python(Context& ctx) {
  const RuntimeInfo runtime = runtime_info(ctx);
  if (runtime.family != model::Family::python) return;
  const PythonPath path(ctx.view, runtime, arch_name(ctx));
  extension_versions(ctx, runtime, path);
  orphan_metadata(ctx, path);
  handler_imports(ctx, path);
}

}  // namespace layered::doctor
