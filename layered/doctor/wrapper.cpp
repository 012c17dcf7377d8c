// AWS_LAMBDA_EXEC_WRAPPER: a managed runtime's /var/runtime/bootstrap runs
// the wrapper with the runtime's command line as its arguments, after
// checking it (`[ -f ]`: "<wrapper>: does not exist", exit 127; `[ -x ]`:
// "<wrapper>: is not an executable", 126). A wrapper the kernel cannot start
// (a script whose #! line ends in '\r') fails at that exec: the runtime never
// starts, and every invoke fails with Runtime.ExitError (lambda-facts.md
// section 10). OS-only runtimes ignore the variable.
#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

constexpr const char* kVariable = "AWS_LAMBDA_EXEC_WRAPPER";

std::string variable(const model::Function& function, const std::string& name) {
  for (const auto& [key, value] : function.environment)
    if (key == name) return value;
  return "";
}

// Where the bootstrap looks: a relative path from its working directory,
// /var/task.
std::string wrapper_path(const std::string& value) {
  const std::filesystem::path path = value.starts_with("/") ? value : "/var/task/" + value;
  std::string out = path.lexically_normal().generic_string();
  while (out.size() > 1 && out.ends_with("/")) out.pop_back();
  return out;
}

std::string fails(const std::string& value, const std::string& says, int status) {
  return "so Lambda's bootstrap prints '" + value + ": " + says + "' and exits " + std::to_string(status) +
         " before the runtime starts: every invoke fails with Runtime.ExitError";
}

void missing(Context& ctx, const std::string& value, const std::string& path) {
  const bool directory = ctx.view.is_directory(path);
  const std::string names = std::string(kVariable) + " is '" + value + "'";
  const std::string what = directory ? names + ", which is a directory, not a file, "
                                     : names + ", but no layer nor the function has " + path + ", ";
  const std::string fix = "set " + std::string(kVariable) +
                          " to the path of an executable script: a layer's file 'x' is /opt/x, the "
                          "function's is /var/task/x";
  if (!directory && path.starts_with("/opt/") && !ctx.unchecked_layers.empty()) {
    ctx.add(Severity::warning, "wrapper.missing", path, "",
            what + "unless a layer doctor did not check has it (" + ctx.unchecked_note() + "), " +
                fails(value, "does not exist", 127),
            "check that layer with 'layered doctor --layer DIR|ZIP', or " + fix);
    return;
  }
  ctx.add(Severity::error, "wrapper.missing", path, "", what + fails(value, "does not exist", 127), fix);
}

// A script whose lines end in CRLF: the kernel looks for the interpreter
// with the '\r' ("/bin/sh\r"), bash's exec says "bad interpreter: No such
// file or directory" and exits 126.
void crlf(Context& ctx, const Located& where, const std::string& bytes) {
  const std::string first = bytes.substr(0, bytes.find('\n'));
  if (!first.starts_with("#!") || !first.ends_with("\r")) return;
  const auto start = first.find_first_not_of(" \t", 2);
  const std::string interp = first.substr(start, first.size() - 1 - start);
  if (interp.empty() || interp.find_first_of(" \t") != std::string::npos)
    return;  // the '\r' ends an argument
  const std::string name = std::filesystem::path(where.path).filename().string();
  ctx.add(Severity::error, "wrapper.crlf", where.path, where.label(),
          "is the " + std::string(kVariable) +
              " script, but it has Windows (CRLF) line endings, so the kernel looks for the interpreter '" +
              interp +
              "\\r', which does not exist: Lambda's bootstrap cannot start the wrapper (bash: 'bad "
              "interpreter' or 'required file not found'), the runtime never starts, and every invoke "
              "fails with Runtime.ExitError",
          "convert it to LF line endings (dos2unix " + name + ") and keep it LF (.gitattributes: " + name +
              " eol=lf)");
}

}  // namespace

void check_exec_wrapper(Context& ctx) {
  if (model::family(ctx.function.runtime) == model::Family::custom) return;
  const std::string value = variable(ctx.function, kVariable);
  if (value.empty()) return;
  const std::string path = wrapper_path(value);
  const auto where = ctx.view.find(path);
  if (!where) return missing(ctx, value, path);
  if (!where->entry) return;  // the image's own program (/bin/sh)
  const SourceFile& file = *where->entry->file;
  if (!file.executable) {
    ctx.add(Severity::error, "wrapper.not-executable", where->path, where->label(),
            "is the " + std::string(kVariable) + " script, but it is not executable, " +
                fails(value, "is not an executable", 126),
            "chmod +x " + std::filesystem::path(where->path).filename().string() +
                " before zipping (zip keeps the mode)");
  }
  const std::string bytes = read_head(file.host, 4096);
  if (!elf::is_elf(bytes)) crlf(ctx, *where, bytes);
}

}  // namespace layered::doctor
