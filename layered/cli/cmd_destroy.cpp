// `layered destroy [STACK...] [--all] [--exclusively] [--force]`
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "assembly/assembly.hpp"
#include "cli/commands.hpp"
#include "deploy/deploy.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

struct DestroyFlags {
  std::vector<std::string> stacks;
  bool all = false;
  bool exclusively = false;
  bool force = false;
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// As `cdk destroy`: ask on a terminal; elsewhere only --force proceeds.
Result<bool> confirmed(const std::vector<std::string>& stacks, bool force) {
  if (force) return true;
  if (!isatty(STDIN_FILENO)) {
    return make_error(
        "refusing to destroy " + quoted_names(stacks) + " without confirmation: stdin is not a terminal", "",
        "pass --force to destroy without asking");
  }
  std::cerr << "Are you sure you want to delete: " << joined(stacks) << " (y/n)? " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int run_destroy(const Context& ctx, const DestroyFlags& flags) {
  auto app = assembly::load(ctx.global.app_dir());
  if (!app.ok()) return report(app.error());
  print_warnings(app->warnings());
  auto state = state::State::open(ctx.global.state_dir(), state::State::settings_from_environment());
  if (!state.ok()) return report(state.error());
  deploy::DestroyOptions options{flags.stacks, flags.all, flags.exclusively, nullptr};
  auto plan = deploy::plan_destroy(*app, *state, options);
  if (!plan.ok()) return report(plan.error());
  if (plan->empty()) {
    std::cerr << "nothing to destroy: none of the selected stacks is deployed\n";
    return 0;
  }
  auto yes = confirmed(*plan, flags.force);
  if (!yes.ok()) return report(yes.error());
  if (!*yes) {
    std::cerr << "destroy cancelled\n";
    return 1;
  }
  // What --exclusively leaves out, for the error of a stack still imported.
  std::vector<std::string> left_out;
  if (flags.exclusively) {
    options.exclusively = false;
    auto whole = deploy::plan_destroy(*app, *state, options);
    if (!whole.ok()) return report(whole.error());
    for (const auto& name : *whole)
      if (std::find(plan->begin(), plan->end(), name) == plan->end()) left_out.push_back(name);
  }
  auto progress = [](const std::string& line) { std::cerr << line << "\n"; };
  auto status = deploy::destroy(*state, deploy::store_for(*state), *plan, progress, left_out);
  return status.ok() ? 0 : report(status.error());
}

}  // namespace

void add_destroy(CLI::App& app, Context& ctx) {
  add_global_flags(app, ctx);
  auto flags = std::make_shared<DestroyFlags>();
  app.add_option("stacks", flags->stacks,
                 "stacks to destroy (wildcards are supported); default: the only stack");
  app.add_flag("--all", flags->all, "destroy every stack of the app");
  app.add_flag("-e,--exclusively", flags->exclusively,
               "only destroy the named stacks, not the stacks depending on them");
  app.add_flag("-f,--force", flags->force, "do not ask for confirmation");
  app.callback([&ctx, flags] { ctx.exit_code = run_destroy(ctx, *flags); });
}

}  // namespace layered::cli
