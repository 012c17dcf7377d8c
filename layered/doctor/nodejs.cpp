// Node.js: the handler's module. Lambda's runtime loads "<dir>/<name>.<export>"
// from /var/task as the file named, then .js, .mjs, .cjs, then node's own
// resolution (a directory, node_modules of the function or of a layer on
// NODE_PATH); when none is there every invoke fails with
// Runtime.ImportModuleError. Also the AWS SDK, which Lambda's runtime has
// and layered's sandbox does not.
#include <cctype>
#include <string>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

constexpr std::uint64_t kMaxTextBytes = 1u << 20;

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

// The layers' directories on NODE_PATH: /opt/nodejs/nodeNN/node_modules for
// the runtime's own major version only, then /opt/nodejs/node_modules
// (lambda-facts.md section 10).
std::vector<std::string> node_path(const Context& ctx) {
  return {"/opt/nodejs/node" + runtime_info(ctx).version + "/node_modules", "/opt/nodejs/node_modules"};
}

bool module_found(const Context& ctx, const std::string& root, const std::string& name) {
  if (has_stem(ctx.view, "/var/task/" + root + name)) return true;
  if (has_stem(ctx.view, "/var/task/node_modules/" + name)) return true;
  for (const auto& dir : node_path(ctx))
    if (has_stem(ctx.view, dir + "/" + name)) return true;
  return false;
}

// The handler's own file, in the runtime's order; nullopt when it is found
// only through node's resolution (a directory, node_modules).
std::optional<Located> handler_file(const Context& ctx, const std::string& root, const std::string& name) {
  for (const char* ext : {"", ".js", ".mjs", ".cjs"})
    if (auto where = ctx.view.find("/var/task/" + root + name + ext); where && where->entry) return where;
  return std::nullopt;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

struct NodeImport {
  std::string specifier;
  int line = 0;
  bool guarded = false;  // inside a try block: the code may do without it
};

// The end of the string literal opening at `i` (its closing quote), counting
// the lines it spans; a '...' or "..." ends at the line's end at the latest.
std::size_t string_end(std::string_view text, std::size_t i, int& line) {
  const char quote = text[i];
  for (std::size_t k = i + 1; k < text.size(); ++k) {
    if (text[k] == '\\') {
      line += k + 1 < text.size() && text[k + 1] == '\n';
      ++k;
    } else if (text[k] == quote) {
      return k;
    } else if (text[k] == '\n') {
      if (quote != '`') return k - 1;
      ++line;
    }
  }
  return text.size() - 1;
}

// What `require('x')`, `import ... from 'x'`, `import 'x'`, `import('x')`
// and `export ... from 'x'` load, outside comments and other strings, and
// whether a try block holds it (by counting braces). A scan, not a parser: a
// regular expression with a quote in it can hide what follows on its line.
std::vector<NodeImport> node_imports(std::string_view text) {
  std::vector<NodeImport> out;
  int line = 1;
  int depth = 0;           // braces open
  std::vector<int> tries;  // the depth of each try block open
  bool after_try = false;  // "try" seen, its '{' not yet
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (text.substr(i, 2) == "//") {
      i = std::min(text.find('\n', i), text.size()) - 1;
    } else if (text.substr(i, 2) == "/*") {
      const std::size_t end = std::min(text.find("*/", i + 2), text.size());
      for (std::size_t k = i; k < end; ++k) line += text[k] == '\n';
      i = end + 1;
    } else if (c == '\'' || c == '"' || c == '`') {
      i = string_end(text, i, line);
    } else if (c == '{') {
      ++depth;
      if (after_try) tries.push_back(depth);
      after_try = false;
    } else if (c == '}') {
      if (!tries.empty() && tries.back() == depth) tries.pop_back();
      --depth;
    } else if (word_char(c) && (i == 0 || !word_char(text[i - 1]))) {
      std::size_t j = i;
      while (j < text.size() && word_char(text[j])) ++j;
      const std::string_view word = text.substr(i, j - i);
      after_try = word == "try";
      if (word == "require" || word == "import" || word == "from") {
        std::size_t k = j;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
        if (word != "from" && k < text.size() && text[k] == '(') ++k;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
        if (k < text.size() && (text[k] == '\'' || text[k] == '"')) {
          const std::size_t end = text.find(text[k], k + 1);
          if (end != std::string_view::npos && end - k < 256)
            out.push_back({std::string(text.substr(k + 1, end - k - 1)), line, !tries.empty()});
        }
      }
      i = j - 1;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      after_try = false;
    }
  }
  return out;
}

// The package of an AWS SDK specifier ("@aws-sdk/client-s3/dist" ->
// "@aws-sdk/client-s3", "aws-sdk/clients/s3" -> "aws-sdk"), else "".
std::string sdk_package(const std::string& specifier) {
  if (specifier.starts_with("@aws-sdk/")) return specifier.substr(0, specifier.find('/', 9));
  if (specifier == "aws-sdk" || specifier.starts_with("aws-sdk/")) return "aws-sdk";
  return "";
}

// Node's resolution of a bare package from the handler's folder up to
// /var/task, then NODE_PATH.
bool package_found(const Context& ctx, const std::string& root, const std::string& package) {
  std::string dir = "/var/task/" + root;
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  for (; dir.starts_with("/var/task"); dir = dir.substr(0, dir.rfind('/')))
    if (ctx.view.is_directory(dir + "/node_modules/" + package)) return true;
  for (const auto& path : node_path(ctx))
    if (ctx.view.is_directory(path + "/" + package)) return true;
  return false;
}

// aws-sdk (v2) that neither the function nor a layer brings: Lambda's
// Node.js 18 and later runtimes do not have it (lambda-facts.md section
// 10), so loading it fails there as it does here.
void sdk_v2(Context& ctx, const Located& where, const NodeImport& import) {
  const std::string runtime(model::to_string(ctx.function.runtime));
  const std::string message =
      "imports '" + import.specifier + "' (line " + std::to_string(import.line) +
      "), the AWS SDK for JavaScript v2, which " + runtime +
      " does not include (Lambda's Node.js 18 and later runtimes have only v3, @aws-sdk/*)";
  const std::string fails =
      "loading it fails with Cannot find module 'aws-sdk' (Runtime.ImportModuleError "
      "when the handler's file loads it at its top)";
  const std::string fix =
      "add aws-sdk to the function's bundle (npm install aws-sdk, with node_modules in the zip) or to a "
      "layer (nodejs/node_modules/aws-sdk), or move to the v3 clients (@aws-sdk/client-*), which the "
      "runtime includes";
  if (import.guarded)
    ctx.add(Severity::warning, "nodejs.sdk-v2", where.path, where.label(),
            message +
                " and neither the function nor its layers provide; it is inside a try block, so "
                "unless the code does without it, " +
                fails,
            fix);
  else if (!ctx.unchecked_layers.empty())
    ctx.add(Severity::warning, "nodejs.sdk-v2", where.path, where.label(),
            message + " and neither the function nor the layers doctor checked provide; " +
                ctx.unchecked_note() + ", so unless it provides aws-sdk, " + fails,
            "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
  else
    ctx.add(Severity::error, "nodejs.sdk-v2", where.path, where.label(),
            message + " and neither the function nor its layers provide, so on Lambda " + fails, fix);
}

void sdk_imports(Context& ctx, const std::string& root, const Located& where) {
  const std::string runtime(model::to_string(ctx.function.runtime));
  std::set<std::string> reported;
  for (const auto& import : node_imports(read_head(where.entry->file->host, kMaxTextBytes))) {
    const std::string package = sdk_package(import.specifier);
    if (package.empty() || !reported.insert(package).second || package_found(ctx, root, package)) continue;
    const std::string at = "imports '" + import.specifier + "' (line " + std::to_string(import.line) + ")";
    if (package == "aws-sdk") {
      sdk_v2(ctx, where, import);
      continue;
    }
    ctx.add(Severity::warning, "nodejs.runtime-provided", where.path, where.label(),
            at + ": Lambda's " + runtime +
                " runtime provides it (the AWS SDK for JavaScript v3), layered's " +
                "does not, so here loading it fails (Cannot find module '" + package + "')",
            "Lambda's runtime provides " + package + "; layered does not: add it to a layer or the bundle " +
                "to run it here (npm install --prefix nodejs " + package + " in a layer)");
  }
}

void handler_missing(Context& ctx, const std::string& root, const std::string& name) {
  const std::string& handler = ctx.function.handler;
  const std::string fails =
      "every invoke fails with Runtime.ImportModuleError: Error: Cannot find module '" + name + "'";
  const std::string message = "the handler '" + handler + "' names the module '" + root + name +
                              "', which the function does not have";
  std::string fix =
      "put " + root + name +
      ".js (or .mjs, .cjs) in the function's zip, or set the handler to <file>.<export> of a file "
      "that is there";
  if (!ctx.function.inline_code.empty())  // Code.ZipFile: CloudFormation writes it to index.js, always
    fix = "inline code (Code.ZipFile) is always the file index.js: set the handler to index." +
          handler.substr(root.size() + name.size() + 1);
  if (ctx.unchecked_layers.empty()) {
    ctx.add(Severity::error, "nodejs.handler-missing", "/var/task/" + root + name + ".js", "function",
            message + ", so " + fails, fix);
    return;
  }
  ctx.add(Severity::warning, "nodejs.handler-missing", "/var/task/" + root + name + ".js", "function",
          message + "; " + ctx.unchecked_note() + ", so unless it has the module on NODE_PATH, " + fails,
          "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
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
  if (!module_found(ctx, root, name)) {
    handler_missing(ctx, root, name);
    return;
  }
  if (auto where = handler_file(ctx, root, name)) sdk_imports(ctx, root, *where);
}

}  // namespace layered::doctor
