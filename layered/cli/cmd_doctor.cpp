// `layered doctor`: check a package (--layer/--function) or every function of
// the cloud assembly, print the report, exit 1 on any error-level finding.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "doctor/doctor.hpp"
#include "model/model.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

struct DoctorOptions {
  std::vector<std::string> functions;
  std::vector<std::string> layers;
  std::string function;
  std::string runtime = "provided.al2023";
  std::string arch = "x86_64";
  std::string handler;
};

// The function that --function/--layer/--runtime/--arch describe.
Result<model::Function> function_of(const DoctorOptions& o) {
  model::Function f;
  std::filesystem::path fn(o.function);
  if (!fn.has_filename()) fn = fn.parent_path();
  f.name = o.function.empty() ? "" : (fn.extension() == ".zip" ? fn.stem() : fn.filename()).string();
  auto runtime = model::supported_runtime(f.name.empty() ? "(package)" : f.name, o.runtime, "--runtime");
  if (!runtime) return runtime.error();
  f.runtime = *runtime;
  auto arch = model::parse_architecture(o.arch);
  if (!arch) {
    std::string hint = did_you_mean(o.arch, {"x86_64", "arm64"});
    return make_error("unknown architecture '" + o.arch + "'", "",
                      hint.empty() ? "use x86_64 or arm64" : hint);
  }
  f.architecture = *arch;
  f.handler = o.handler;
  f.code_dir = o.function;
  for (const auto& layer : o.layers) {
    std::filesystem::path path(layer);
    std::string name = (path.has_filename() ? path : path.parent_path()).stem().string();
    std::string unique = name;
    for (int n = 2; std::any_of(f.layers.begin(), f.layers.end(), [&](auto& l) { return l.name == unique; });
         ++n)
      unique = name + "-" + std::to_string(n);
    f.layers.push_back({"", layer, unique});
  }
  return f;
}

// The local state, when there is one, answers imports and SSM parameters
// that the assembly's own stacks do not make.
std::optional<state::State> local_state(const GlobalOptions& global) {
  const std::string dir = global.state_dir();
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "state.db", ec)) return std::nullopt;
  auto state = state::State::open_read_only(dir);
  if (!state) return std::nullopt;
  return std::move(*state);
}

Result<doctor::Report> check(const DoctorOptions& o, const Context& ctx, bool direct) {
  if (direct) {
    auto function = function_of(o);
    if (!function) return function.error();
    return doctor::check(*function);
  }
  auto state = local_state(ctx.global);
  return doctor::check_assembly(ctx.global.app_dir(), o.functions, state ? &*state : nullptr);
}

int run(const DoctorOptions& o, const Context& ctx) {
  bool direct = !o.layers.empty() || !o.function.empty();
  if (direct && !o.functions.empty())
    return report(make_error("name functions of the cloud assembly or pass --layer/--function, not both", "",
                             "run 'layered doctor --help' for usage"),
                  ctx.global.json);
  auto result = check(o, ctx, direct);
  if (!result) return report(result.error(), ctx.global.json);
  std::cout << (ctx.global.json ? doctor::render_json(*result) : doctor::render_text(*result));
  return doctor::has_errors(*result) ? 1 : 0;
}

}  // namespace

void add_doctor(CLI::App& app, Context& ctx) {
  add_global_flags(app, ctx);
  auto opts = std::make_shared<DoctorOptions>();
  app.add_option(
      "FUNCTION", opts->functions,
      "functions of the cloud assembly to check (logical id, construct path or name); default all");
  app.add_option("--layer", opts->layers, "a layer directory or zip, in order (repeat; later layers win)");
  app.add_option("--function", opts->function, "the function code, a directory or zip");
  app.add_option("--runtime", opts->runtime, "the function's runtime (default provided.al2023)");
  app.add_option("--handler", opts->handler,
                 "the function's handler (python: module.function), to check what its module imports");
  app.add_option("--arch", opts->arch, "the function's architecture: x86_64 (default) or arm64");
  app.add_flag("--json", ctx.global.json, "print the report as JSON");
  app.callback([opts, &ctx] { ctx.exit_code = run(*opts, ctx); });
}

}  // namespace layered::cli
