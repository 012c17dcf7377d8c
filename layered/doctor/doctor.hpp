// `layered doctor`: checks a Lambda package (function code + ordered layers +
// runtime + architecture) before it is deployed, and says why the function
// would not find its layers' code: layout, native dependencies resolved in
// Lambda's search order against the emulated base image, symbol versions,
// architecture, size/count limits and files that layers overwrite.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/common.hpp"
#include "model/model.hpp"

namespace layered::state {
class State;
}

namespace layered::image {
struct BaseImage;
}

namespace layered::doctor {

enum class Severity { error, warning, info };

// "error", "warning" or "info".
const char* to_string(Severity severity);

struct Finding {
  Severity severity = Severity::error;
  // Stable id for tools and tests, e.g. "layout.extra-top-folder",
  // "deps.unresolved", "symver.too-new", "arch.mismatch",
  // "limits.too-many-layers", "conflict.file", "bootstrap.crlf".
  std::string code;
  // The file as the function sees it on Lambda (e.g. "/opt/lib/libfoo.so"),
  // or the input itself for findings about a whole layer/zip; may be "".
  std::string file;
  // Where the file comes from: "function", "layer 'external'", "image".
  std::string source;
  std::string message;  // what is wrong, one sentence
  std::string fix;      // what to do, one line
};

struct FunctionReport {
  std::string function_name;
  std::string runtime;
  std::string architecture;
  std::vector<std::string> layers;  // names, in order
  std::vector<Finding> findings;    // errors first, then warnings, then info
};

struct Report {
  std::vector<FunctionReport> functions;
};

// Checks one function: its code (`code_dir`, a directory or a .zip; none
// when empty), its layers in order (each `dir` a directory or a .zip) and its
// runtime and architecture. An Error only when the inputs cannot be read at
// all (missing path, broken zip); everything wrong with the function itself,
// a deprecated or not emulated runtime included, is a Finding.
Result<Report> check(const model::Function& function);

// Every function of a cloud assembly (cdk.out), or those named in
// `functions` (logical id, construct path such as
// "Lambda-layers-example/GreetingFunction", or FunctionName). Each stack's
// template is evaluated with the cfn module as `layered deploy --all` would
// evaluate it, stacks in dependency order: imports and SSM parameters come
// from the assembly's own stacks first, then from `state` when there is one
// (null: none). A function whose template or runtime cannot be evaluated gets
// findings; the other functions are still checked.
Result<Report> check_assembly(const std::filesystem::path& app_dir, const std::vector<std::string>& functions,
                              const state::State* state = nullptr);

// A program about to start in a function's sandbox: the host directories
// mounted at /var/task and /opt, and the program's path inside.
struct Start {
  std::string architecture = "x86_64";
  std::filesystem::path code_dir;  // "" when the function has no code
  std::filesystem::path opt_dir;   // the layers merged; "" when none
  std::string program;             // e.g. "/var/task/bootstrap"
};

// What glibc's loader on Lambda prints when it refuses to start `program`
// because the image's own libraries (glibc, libgcc_s, libstdc++) lack a
// symbol version that the program, or a library it loads from /var/task or
// /opt, needs: one line per missing version, e.g. "/var/task/bootstrap:
// /lib64/libc.so.6: version `GLIBC_2.36' not found (required by
// /var/task/bootstrap)". Empty when it starts, and for a script or a static
// program. Libraries opened later with dlopen() (Python and Node.js native
// modules) are not followed. Reads only the ELF headers and tables.
std::vector<std::string> missing_versions(const image::BaseImage& image, const Start& start);

// True if any finding of any function is an error.
bool has_errors(const Report& report);

// Counts over all functions.
std::size_t count(const Report& report, Severity severity);

// The report for people: grouped by function, one line per finding with its
// severity, code and file, then a line saying what to do; a summary last.
std::string render_text(const Report& report);

// The same report as JSON for tools.
std::string render_json(const Report& report);

}  // namespace layered::doctor
