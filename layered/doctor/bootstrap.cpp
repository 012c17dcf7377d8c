// The bootstrap of an OS-only runtime: Lambda runs /var/task/bootstrap, else
// /opt/bootstrap (lambda-facts.md section 4); missing or not executable is
// Runtime.InvalidEntrypoint.
#include <fstream>
#include <sstream>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

std::string head(const std::filesystem::path& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

// Where a misplaced bootstrap is, to name it in the fix.
std::string misplaced(const Context& ctx) {
  for (const auto& [path, entry] : ctx.view.entries())
    if (std::filesystem::path(path).filename() == "bootstrap") return path;
  return "";
}

// The program a `#!` line runs, following `/usr/bin/env NAME` through PATH.
std::optional<std::string> find_program(const Context& ctx, const std::string& name) {
  if (name.find('/') != std::string::npos) return ctx.view.find(name) ? std::optional(name) : std::nullopt;
  std::stringstream path(ctx.image.env("PATH"));
  std::string dir;
  while (std::getline(path, dir, ':'))
    if (!dir.empty() && ctx.view.find(dir + "/" + name)) return dir + "/" + name;
  return std::nullopt;
}

void check_script(Context& ctx, const Located& where, const std::string& bytes) {
  const std::string& label = where.label();
  std::string first = bytes.substr(0, bytes.find('\n'));
  if (bytes.find("\r\n") != std::string::npos) {
    std::string interp = first.substr(2, first.find_first_of(" \r", 2) - 2);
    ctx.add(Severity::error, "bootstrap.crlf", where.path, label,
            "has Windows (CRLF) line endings, so the kernel looks for the interpreter '" + interp +
                "\\r' and fails with 'No such file or directory'",
            "convert it to LF line endings (dos2unix bootstrap) and keep it LF (.gitattributes: bootstrap "
            "eol=lf)");
    return;
  }
  std::istringstream words(first.substr(2));
  std::string interp, arg;
  words >> interp >> arg;
  std::string program = interp.ends_with("/env") && !arg.empty() ? arg : interp;
  if (ctx.view.find(interp) && (program == interp || find_program(ctx, program))) return;
  ctx.add(Severity::error, "bootstrap.interpreter-missing", where.path, label,
          "starts with '" + first + "', but " + ctx.image.runtime + " has no '" + program + "'",
          "use #!/bin/sh (the image has it), or ship the interpreter in a layer's bin/ and name /opt/bin/" +
              std::filesystem::path(program).filename().string() + " in the #! line");
}

}  // namespace

void check_bootstrap(Context& ctx) {
  if (model::family(ctx.function.runtime) != model::Family::custom) return;
  std::optional<Located> where = ctx.view.find("/var/task/bootstrap");
  if (!where) where = ctx.view.find("/opt/bootstrap");
  if (!where) {
    if (ctx.function.code_dir.empty()) return;  // checking layers alone: the function brings it
    std::string other = misplaced(ctx);
    const std::string message = "there is no bootstrap: a " +
                                std::string(model::to_string(ctx.function.runtime)) +
                                " function starts /var/task/bootstrap, else /opt/bootstrap";
    const std::string fix = other.empty()
                                ? "add an executable file named 'bootstrap' at the top of the function's zip"
                                : "move '" + other + "' to the top of the function's zip (or of a layer's)";
    if (ctx.unchecked_layers.empty())
      ctx.add(Severity::error, "bootstrap.missing", "/var/task/bootstrap", "function",
              message + " (Runtime.InvalidEntrypoint)", fix);
    else
      ctx.add(Severity::warning, "bootstrap.missing", "/var/task/bootstrap", "function",
              message + "; " + ctx.unchecked_note() +
                  ", so unless it has bootstrap at its top, Runtime.InvalidEntrypoint",
              "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
    return;
  }
  if (!where->entry) return;  // the image's own: not possible for these paths
  const SourceFile& file = *where->entry->file;
  if (!file.executable) {
    ctx.add(Severity::error, "bootstrap.not-executable", where->path, where->label(),
            "is not executable, so Lambda cannot start it (Runtime.InvalidEntrypoint)",
            "chmod +x bootstrap before zipping (zip keeps the mode)");
  }
  std::string bytes = head(file.host, 4096);
  if (elf::is_elf(bytes)) return;  // checked with the other ELF files
  if (bytes.rfind("#!", 0) == 0) return check_script(ctx, *where, bytes);
  ctx.add(Severity::error, "bootstrap.not-a-program", where->path, where->label(),
          "is neither an ELF executable nor a script starting with '#!', so starting it fails with "
          "'Exec format error'",
          "make bootstrap your compiled program, or a script whose first line is #!/bin/sh");
}

}  // namespace layered::doctor
