// Placeholder until the 'doctor' module is wired in (replaced by its owner).
#include "cli/commands.hpp"
#include "common/common.hpp"

namespace layered::cli {

void add_doctor(CLI::App& app, Context& ctx) {
  add_global_flags(app, ctx);
  app.callback([&ctx] { ctx.exit_code = report(make_error("'doctor' is not available in this build")); });
}

}  // namespace layered::cli
