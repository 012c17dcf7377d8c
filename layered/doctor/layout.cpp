// Layout: what each layer puts under /opt and whether the runtime looks there
// (lambda-facts.md section 2: lib -> LD_LIBRARY_PATH, bin -> PATH, python,
// nodejs/node_modules, java/lib, ruby/...).
#include <algorithm>
#include <string_view>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

const std::set<std::string> kKnownTop = {"lib",        "bin", "python", "nodejs",  "java",     "ruby",
                                         "extensions", "etc", "share",  "include", "bootstrap"};
// Trees whose files belong to a language runtime, not to the loader or PATH.
const std::set<std::string> kLanguageTop = {"python",     "nodejs", "java",    "ruby",
                                            "extensions", "share",  "include", "etc"};

std::string top_of(const std::string& rel) { return rel.substr(0, rel.find('/')); }
bool at_top(const std::string& rel) { return rel.find('/') == std::string::npos; }
bool is_noise(const std::string& name) { return name == "__MACOSX" || name == ".DS_Store"; }

// Plain scans, not std::regex, whose recursion per character a long path
// in a layer's zip could turn into a stack overflow.
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "libx.so", "libx.so.1.2": .so then numeric parts only. Taking every
// trailing ".<digits>" off first is exact: a ".so" cannot be among them.
bool is_shared_library(const std::string& rel) {
  std::string_view name(rel);
  name.remove_prefix(rel.rfind('/') + 1);
  for (auto dot = name.rfind('.'); dot != std::string_view::npos && all_digits(name.substr(dot + 1));
       dot = name.rfind('.'))
    name = name.substr(0, dot);
  return name.ends_with(".so");
}

// "nodejs/node_modules[/...]" or "nodejs/nodeNN/node_modules[/...]".
bool in_node_modules(const std::string& rel) {
  std::string_view rest(rel);
  if (!rest.starts_with("nodejs/")) return false;
  rest.remove_prefix(7);
  if (rest.starts_with("node") && !rest.starts_with("node_modules")) {
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || !all_digits(rest.substr(4, slash - 4))) return false;
    rest.remove_prefix(slash + 1);
  }
  return rest == "node_modules" || rest.starts_with("node_modules/");
}

// The single folder everything is in ("my-layer/lib/..."), or "".
std::string extra_top_folder(const Source& source) {
  std::string only;
  for (const auto& f : source.files) {
    if (!at_top(f.rel) || is_noise(f.rel)) continue;
    if (!f.directory || !only.empty()) return "";
    only = f.rel;
  }
  if (only.empty() || kKnownTop.count(only)) return "";
  // Only a mistake if what Lambda looks for sits one level down.
  for (const auto& f : source.files)
    if (f.rel.rfind(only + "/", 0) == 0 && kKnownTop.count(top_of(f.rel.substr(only.size() + 1))))
      return only;
  return "";
}

void misplaced_libraries(Context& ctx, const Source& source) {
  // Folders holding Python code are Python packages: their .so files are C
  // extensions, imported through sys.path, never searched by the loader.
  std::set<std::string> python_packages;
  for (const auto& f : source.files)
    if (!at_top(f.rel) && f.rel.ends_with(".py")) python_packages.insert(top_of(f.rel));
  std::map<std::string, std::vector<std::string>> by_dir;  // top dir ("" = top level) -> names
  for (const auto& f : source.files) {
    if (f.directory || !is_shared_library(f.rel)) continue;
    std::string top = at_top(f.rel) ? "" : top_of(f.rel);
    if (top == "lib" || kLanguageTop.count(top) || python_packages.count(top)) continue;
    by_dir[top].push_back(f.rel);
  }
  for (const auto& [dir, files] : by_dir) {
    if (dir.empty()) {
      for (const auto& rel : files)
        ctx.add(Severity::error, "layout.library-at-top", "/opt/" + rel, source.label,
                "is at the top of the layer, but the loader searches /opt/lib, not /opt",
                "move '" + rel + "' into lib/ in the layer");
      continue;
    }
    std::string names =
        files.front() + (files.size() > 1 ? " and " + std::to_string(files.size() - 1) + " more" : "");
    ctx.add(
        Severity::error, "layout.library-not-in-lib", "/opt/" + dir + "/", source.label,
        "holds shared libraries (" + names + "), but only /opt/lib is on LD_LIBRARY_PATH, not /opt/" + dir,
        "rename the layer's '" + dir + "/' folder to 'lib/'");
  }
}

void misplaced_executables(Context& ctx, const Source& source) {
  for (const auto& f : source.files) {
    if (f.directory || !f.executable || !f.link.empty() || f.rel == "bootstrap") continue;
    std::string top = top_of(f.rel);
    if (!at_top(f.rel) && (top == "bin" || top == "lib" || kLanguageTop.count(top))) continue;
    auto elf = ctx.elves.find("/opt/" + f.rel);
    bool program =
        elf != ctx.elves.end() && !elf->second.info.interpreter.empty() && elf->second.info.soname.empty();
    if (!program) continue;
    ctx.add(Severity::warning, "layout.executable-not-in-bin", "/opt/" + f.rel, source.label,
            "is a program outside bin/, so it is not on PATH (Lambda adds only /opt/bin)",
            "move '" + f.rel + "' into bin/ in the layer");
  }
}

void nodejs_layout(Context& ctx, const Source& source) {
  bool has_nodejs = false, has_modules = false;
  std::string outside;
  for (const auto& f : source.files) {
    if (top_of(f.rel) == "nodejs") {
      has_nodejs = true;
      if (in_node_modules(f.rel)) has_modules = true;
    } else if ((f.rel.ends_with("node_modules") || f.rel == "package.json") && outside.empty()) {
      outside = f.rel;
    }
  }
  if (!outside.empty())
    ctx.add(Severity::error, "layout.nodejs-dir", "/opt/" + outside, source.label,
            "is outside nodejs/, so Node.js does not find it (NODE_PATH has /opt/nodejs/node_modules)",
            "move node_modules/ to nodejs/node_modules/ in the layer");
  else if (has_nodejs && !has_modules)
    ctx.add(Severity::error, "layout.nodejs-dir", "/opt/nodejs/", source.label,
            "has no node_modules/ folder, so Node.js finds none of its modules",
            "put the modules in nodejs/node_modules/ (npm install --prefix nodejs)");
}

// "18" for "nodejs/node18/node_modules/...", "" for "nodejs/node_modules/...".
std::string node_version_of(const std::string& rel) {
  if (!rel.starts_with("nodejs/node") || rel.starts_with("nodejs/node_modules")) return "";
  return rel.substr(11, rel.find('/', 11) - 11);
}

// The package a file under node_modules belongs to: "m", "@scope/m"; "" for
// node_modules' own files (.bin, .package-lock.json).
std::string node_package_of(const std::string& rel) {
  const auto at = rel.find("node_modules/");
  if (at == std::string::npos) return "";
  std::string rest = rel.substr(at + 13);
  std::string package = rest.substr(0, rest.find('/'));
  if (package.starts_with("@") && rest.find('/') != std::string::npos)
    package = rest.substr(0, rest.find('/', package.size() + 1));
  return package.starts_with(".") ? "" : package;
}

// nodejs/nodeNN/node_modules of another major version: NODE_PATH has only
// /opt/nodejs/nodeNN/node_modules of the runtime's own (nodejs20.x: node20),
// so those packages are not found unless another folder on NODE_PATH has them.
void nodejs_versions(Context& ctx, const Source& source, const RuntimeInfo& runtime) {
  if (runtime.family != model::Family::nodejs) return;
  std::map<std::string, std::set<std::string>> hidden;  // version -> packages
  bool visible = false;                                 // the layer gives the function some package
  for (const auto& f : source.files) {
    const std::string package = node_package_of(f.rel);
    if (!in_node_modules(f.rel) || package.empty()) continue;
    const std::string version = node_version_of(f.rel);
    if (version.empty() || version == runtime.version) {
      visible = true;
    } else if (!ctx.view.is_directory("/opt/nodejs/node_modules/" + package) &&
               !ctx.view.is_directory("/opt/nodejs/node" + runtime.version + "/node_modules/" + package)) {
      hidden[version].insert(package);
    }
  }
  for (const auto& [version, packages] : hidden) {
    std::string names;
    for (const auto& p : packages) names += (names.empty() ? "'" : ", '") + p + "'";
    ctx.add(visible ? Severity::warning : Severity::error, "layout.nodejs-version",
            "/opt/nodejs/node" + version + "/node_modules", source.label,
            "is on NODE_PATH only for Node.js " + version + ", but the function runs " +
                std::string(model::to_string(ctx.function.runtime)) +
                ", whose NODE_PATH has /opt/nodejs/node" + runtime.version +
                "/node_modules and /opt/nodejs/node_modules: " + names +
                " cannot be found there (Cannot find module '" + *packages.begin() + "')",
            "install them into nodejs/node" + runtime.version +
                "/node_modules, or into nodejs/node_modules (searched by every version)");
  }
}

// Lambda starts each executable in /opt/extensions during Init (the
// Extensions API); layered does not emulate that API, so the function runs
// without them, which the user should hear before relying on one.
void extensions(Context& ctx, const Source& source) {
  for (const auto& f : source.files) {
    if (f.directory || !f.executable || !f.rel.starts_with("extensions/") ||
        f.rel.find('/', 11) != std::string::npos)
      continue;
    ctx.add(Severity::warning, "layout.extension", "/opt/" + f.rel, source.label,
            "is a Lambda extension, which Lambda starts during Init; layered does not run extensions (nor "
            "the Extensions and Telemetry APIs), so the function runs here without it",
            "test what the function does without the extension, or on Lambda itself");
  }
}

}  // namespace

void check_layout(Context& ctx) {
  const RuntimeInfo runtime = runtime_info(ctx);
  for (const auto& source : ctx.sources) {
    if (std::string folder = extra_top_folder(source); !folder.empty()) {
      bool layer = source.layer >= 0;
      std::string lands = layer ? "/opt/" + folder + "/..., so nothing lands in /opt/lib or /opt/bin"
                                : "/var/task/" + folder + "/..., so /var/task/bootstrap does not exist";
      ctx.add(Severity::error, "layout.extra-top-folder", source.input.string(), source.label,
              "everything is inside the folder '" + folder + "/', which Lambda extracts to " + lands,
              "zip the folder's contents, not the folder: cd " + folder + " && zip -r --symlinks ../" +
                  (layer ? "layer" : "function") + ".zip .");
      continue;  // every other finding would follow from this one
    }
    if (source.layer < 0) continue;
    misplaced_libraries(ctx, source);
    misplaced_executables(ctx, source);
    python_layout(ctx, source);
    nodejs_layout(ctx, source);
    nodejs_versions(ctx, source, runtime);
    extensions(ctx, source);
  }
}

}  // namespace layered::doctor
