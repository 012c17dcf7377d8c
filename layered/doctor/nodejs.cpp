// Node.js: the handler's module. Lambda's runtime loads "<dir>/<name>.<export>"
// from /var/task as the file named, then .js, .mjs, .cjs, then node's own
// resolution (a directory, node_modules of the function or of a layer on
// NODE_PATH); when none is there every invoke fails with
// Runtime.ImportModuleError.
#include <string>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

// Whether the view has `path` itself, or anything under it as a file name
// stem or directory: "<path>", "<path>.<ext>", "<path>/...".
bool has_stem(const View& view, const std::string& path) {
  const auto& entries = view.entries();
  for (auto it = entries.lower_bound(path); it != entries.end() && it->first.starts_with(path); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(path.size());
    if (rest.empty() || rest.front() == '.' || rest.front() == '/') return true;
  }
  return false;
}

bool module_found(const Context& ctx, const std::string& root, const std::string& name) {
  if (has_stem(ctx.view, "/var/task/" + root + name)) return true;
  if (has_stem(ctx.view, "/var/task/node_modules/" + name)) return true;
  if (has_stem(ctx.view, "/opt/nodejs/node_modules/" + name)) return true;
  // NODE_PATH also has /opt/nodejs/nodeNN/node_modules for each major version.
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (!path.starts_with("/opt/nodejs/node") || path.starts_with("/opt/nodejs/node_modules")) continue;
    const auto slash = path.find('/', 12);
    if (slash != std::string::npos && has_stem(ctx.view, path.substr(0, slash) + "/node_modules/" + name))
      return true;
  }
  return false;
}

}  // namespace

void check_nodejs(Context& ctx) {
  const std::string& handler = ctx.function.handler;
  if (model::family(ctx.function.runtime) != model::Family::nodejs || ctx.function.code_dir.empty() ||
      handler.empty() || handler.find("..") != std::string::npos)
    return;
  const auto slash = handler.rfind('/');
  const std::string root = slash == std::string::npos ? "" : handler.substr(0, slash + 1);
  const std::string last = handler.substr(root.size());
  const auto dot = last.find('.');
  if (dot == std::string::npos || dot == 0) return;  // the runtime's "Bad handler", not a missing file
  const std::string name = last.substr(0, dot);
  if (module_found(ctx, root, name)) return;
  ctx.add(Severity::error, "nodejs.handler-missing", "/var/task/" + root + name + ".js", "function",
          "the handler '" + handler + "' names the module '" + root + name +
              "', which the function does not have, so every invoke fails with Runtime.ImportModuleError: "
              "Error: Cannot find module '" +
              name + "'",
          "put " + root + name +
              ".js (or .mjs, .cjs) in the function's zip, or set the handler to <file>.<export> of a file "
              "that is there");
}

}  // namespace layered::doctor
