// The subcommands of `layered`. Each lives in cmd_<name>.cpp and has two
// parts: `add_<name>` declares its flags on the CLI11 subcommand, and the
// callback it installs runs the command and returns an exit code through
// `Context::exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/common.hpp"

namespace layered::cli {

// Flags every subcommand takes; they mean the same everywhere.
struct GlobalOptions {
  std::string app = "cdk.out";  // --app DIR: the cloud assembly
  std::string state;            // --state DIR: default .layered/ or $LAYERED_STATE
  bool json = false;            // --json where the command supports it

  // The state directory after applying the default and LAYERED_STATE.
  std::string state_dir() const;
};

struct Context {
  GlobalOptions global;
  int exit_code = 0;
};

void add_deploy(CLI::App& app, Context& ctx);
void add_destroy(CLI::App& app, Context& ctx);
void add_list(CLI::App& app, Context& ctx);
void add_invoke(CLI::App& app, Context& ctx);
void add_doctor(CLI::App& app, Context& ctx);

// Adds --app and --state to a subcommand.
void add_global_flags(CLI::App& sub, Context& ctx);

// Prints `format_error(error)` to stderr and returns the exit code for it.
int report(const Error& error);

}  // namespace layered::cli
