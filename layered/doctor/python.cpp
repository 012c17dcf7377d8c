// Python functions: what Python's import system will find on Lambda. There,
// sys.path is /var/task, then /opt/python/lib/python3.X/site-packages, then
// /opt/python (lambda-facts.md section 2), then the runtime's own modules.
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

constexpr std::uint64_t kMaxTextBytes = 1u << 20;

// What Lambda's Python runtimes bring besides the standard library: the AWS
// SDK for Python and its dependencies ("Lambda's Python runtimes include the
// AWS SDK for Python (Boto3)", docs.aws.amazon.com/lambda/latest/dg/lambda-python.html).
const std::set<std::string> kRuntimeProvided = {"boto3",    "botocore", "s3transfer", "jmespath",
                                                "dateutil", "urllib3",  "six",        "awslambdaric"};

std::string basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string dirname(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::vector<std::string> sys_path(const RuntimeInfo& runtime) {
  return {"/var/task", "/opt/python/lib/python" + runtime.version + "/site-packages", "/opt/python"};
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text(kMaxTextBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

bool has_prefix(const std::map<std::string, Entry>& entries, const std::string& prefix) {
  auto it = entries.lower_bound(prefix);
  return it != entries.end() && it->first.starts_with(prefix);
}

// Where `name` is importable from directory `dir` of the view: a package
// folder (regular or namespace), a module, or an extension; "" if nowhere.
std::string module_in(const Context& ctx, const std::string& dir, const std::string& name) {
  const auto& entries = ctx.view.entries();
  const std::string base = dir + "/" + name;
  if (has_prefix(entries, base + "/")) return base + "/";
  for (auto it = entries.lower_bound(base + "."); it != entries.end() && it->first.starts_with(base + ".");
       ++it) {
    std::string rest = it->first.substr(base.size());
    if (rest.find('/') != std::string::npos) continue;
    if (rest == ".py" || rest == ".pyc" || rest.ends_with(".so")) return it->first;
  }
  return "";
}

bool importable(const Context& ctx, const RuntimeInfo& runtime, const std::string& name) {
  const auto dirs = sys_path(runtime);
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string& d) { return !module_in(ctx, d, name).empty(); });
}

// The dotted module a file is imported as, from the most specific sys.path
// directory that holds it.
std::string module_name(const std::string& path, const RuntimeInfo& runtime) {
  std::string best;
  for (const auto& dir : sys_path(runtime))
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
void extension_versions(Context& ctx, const RuntimeInfo& runtime) {
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
    std::string module = module_name(files.front(), runtime);
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

void orphan_metadata(Context& ctx, const RuntimeInfo& runtime) {
  const auto dirs = sys_path(runtime);
  std::set<std::string> done;
  for (const auto& [path, entry] : ctx.view.entries()) {
    std::string meta = dirname(path);
    if (!meta.ends_with(".dist-info") && !meta.ends_with(".egg-info")) continue;
    std::string dir = dirname(meta);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end() || !done.insert(meta).second) continue;
    auto names = installed_names(ctx, meta);
    if (names.empty() || std::any_of(names.begin(), names.end(),
                                     [&](const std::string& n) { return !module_in(ctx, dir, n).empty(); }))
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
std::optional<Located> misplaced(const Context& ctx, const std::string& name) {
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (!path.starts_with("/opt/")) continue;
    if (path.ends_with("/" + name + "/__init__.py") || path.ends_with("/" + name + ".py"))
      return Located{path.ends_with(".py") && !path.ends_with("__init__.py") ? path : dirname(path) + "/",
                     &entry};
  }
  return std::nullopt;
}

void imports_of(Context& ctx, const RuntimeInfo& runtime, const std::string& shown, const Located& where) {
  std::string text = read_text(where.entry->file->host);
  std::set<std::string> reported;
  for (const auto& import : top_level_imports(text)) {
    if (is_stdlib_module(runtime.version, import.name) || kRuntimeProvided.count(import.name) ||
        importable(ctx, runtime, import.name) || !reported.insert(import.name).second)
      continue;
    auto other = misplaced(ctx, import.name);
    ctx.add(
        Severity::error, "python.import-missing", where.path, "function",
        "imports '" + import.name + "' (line " + std::to_string(import.line) +
            "), but neither the function, its layers' python/ folders nor " +
            std::string(model::to_string(ctx.function.runtime)) +
            "'s standard library provide it, so every invoke fails with Runtime.ImportModuleError: Unable "
            "to import module '" +
            shown + "': No module named '" + import.name + "'",
        other ? "'" + other->path + "' (" + other->label() +
                    ") is not on sys.path: move it into python/ in that layer (it ends up in /opt/python/" +
                    import.name + ")"
              : "add '" + import.name + "' to a layer under python/ (" +
                    pip_install(ctx, runtime.version, import.name) + ") or to the function's zip");
  }
}

// The handler's module file: /var/task/<module>.py or its package's
// __init__.py; nullopt when absent.
std::optional<Located> handler_file(const Context& ctx, const std::string& module) {
  std::string file = "/var/task/" + module;
  std::replace(file.begin(), file.end(), '.', '/');
  auto where = ctx.view.find(file + ".py");
  if (!where) where = ctx.view.find(file + "/__init__.py");
  if (!where || !where->entry) return std::nullopt;
  return where;
}

void handler_imports(Context& ctx, const RuntimeInfo& runtime) {
  if (ctx.function.code_dir.empty()) return;
  const std::string& handler = ctx.function.handler;
  if (handler.empty()) {  // unknown handler: every module at the top of the function
    for (const auto& [path, entry] : ctx.view.entries())
      if (path.starts_with("/var/task/") && path.ends_with(".py") && path.find('/', 10) == std::string::npos)
        imports_of(ctx, runtime, basename(path).substr(0, basename(path).size() - 3), Located{path, &entry});
    return;
  }
  std::string module = python_handler_module(handler);
  if (module.empty()) return;
  auto where = handler_file(ctx, module);
  if (!where) {
    std::string file = "/var/task/" + module;
    std::replace(file.begin(), file.end(), '.', '/');
    ctx.add(Severity::error, "python.handler-missing", file + ".py", "function",
            "the handler '" + handler + "' names the module '" + module +
                "', which the function does not have, " +
                "so every invoke fails with Runtime.ImportModuleError: Unable to import module '" + module +
                "': No module named '" + module + "'",
            "put " + module +
                ".py at the top of the function's zip, or set the handler to <module>.<function> "
                "of a module that is there");
    return;
  }
  imports_of(ctx, runtime, module, *where);
}

}  // namespace

std::vector<std::string> handler_import_names(const Context& ctx) {
  std::vector<std::string> names;
  std::string module = python_handler_module(ctx.function.handler);
  if (ctx.function.code_dir.empty() || module.empty()) return names;
  if (auto where = handler_file(ctx, module))
    for (const auto& import : top_level_imports(read_text(where->entry->file->host)))
      names.push_back(import.name);
  return names;
}

std::string python_handler_module(const std::string& handler) {
  auto dot = handler.rfind('.');
  return dot == std::string::npos || dot == 0 ? "" : handler.substr(0, dot);
}

void check_python(Context& ctx) {
  const RuntimeInfo runtime = runtime_info(ctx);
  if (runtime.family != model::Family::python) return;
  extension_versions(ctx, runtime);
  orphan_metadata(ctx, runtime);
  handler_imports(ctx, runtime);
}

}  // namespace layered::doctor
