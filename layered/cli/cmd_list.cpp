// `layered list [--json]`: what is deployed in the local state.
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "deploy/deploy.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

int run_list(const Context& ctx) {
  if (!std::filesystem::exists(std::filesystem::path(ctx.global.state_dir()) / "state.db")) {
    // Listing must not create a state as a side effect.
    deploy::Inventory empty;
    empty.settings = state::State::settings_from_environment();
    std::cout << (ctx.global.json ? deploy::render_json(empty) : deploy::render_text(empty));
    return 0;
  }
  // Read-only: never waits for a deploy, works on a read-only directory.
  auto state = state::State::open_read_only(ctx.global.state_dir());
  if (!state.ok()) return report(state.error(), ctx.global.json);
  auto inventory = deploy::inventory(*state);
  if (!inventory.ok()) return report(inventory.error(), ctx.global.json);
  std::cout << (ctx.global.json ? deploy::render_json(*inventory) : deploy::render_text(*inventory));
  return 0;
}

}  // namespace

void add_list(CLI::App& app, Context& ctx) {
  add_global_flags(app, ctx);
  app.add_flag("--json", ctx.global.json, "print JSON for tools");
  app.callback([&ctx] { ctx.exit_code = run_list(ctx); });
}

}  // namespace layered::cli
