// The subcommands of `layered`. Each lives in cmd_<name>.cpp and has two
// parts: `add_<name>` declares its flags on the CLI11 subcommand, and the
// callback it installs runs the command and returns an exit code through
// `Context::exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/common.hpp"

namespace layered::cli {

// Flags every subcommand takes; they mean the same everywhere.
struct GlobalOptions {
  std::string app;    // --app DIR: the cloud assembly; default: see app_dir()
  std::string state;  // --state DIR: default .layered/ or $LAYERED_STATE
  bool json = false;  // --json where the command supports it

  // The state directory after applying the default and LAYERED_STATE.
  std::string state_dir() const;
  // The cloud assembly: --app, else where `cdk synth` writes it from this
  // directory (cdk.json's "output"), else cdk.out.
  std::string app_dir() const;
};

struct Context {
  GlobalOptions global;
  int exit_code = 0;
  char** argv = nullptr;  // the command line as given, for `layered serve` (serve.hpp)
};

void add_deploy(CLI::App& app, Context& ctx);
void add_destroy(CLI::App& app, Context& ctx);
void add_list(CLI::App& app, Context& ctx);
void add_invoke(CLI::App& app, Context& ctx);
void add_serve(CLI::App& app, Context& ctx);
void add_doctor(CLI::App& app, Context& ctx);

// Adds --app and --state to a subcommand.
void add_global_flags(CLI::App& sub, Context& ctx);

// Prints `format_error(error)` to stderr and returns the exit code for it.
// With `json` (the command's --json) it also prints the error on stdout as
// {"error": {"message", "where", "hint"}}, so a tool reading stdout always
// gets one JSON document.
int report(const Error& error, bool json = false);

// Prints each warning to stderr as "layered: warning: WHERE: MESSAGE" and
// its hint, as format_error() prints an error.
void print_warnings(const std::vector<Error>& warnings);

// That JSON document, valid whatever bytes the error carries (a file name
// that is not UTF-8): invalid sequences become U+FFFD.
std::string error_json(const Error& error);

// Whether the command line has --json, for errors found before or while
// the command line is parsed.
bool wants_json(int argc, char** argv);

// SIGINT and SIGTERM stop the command instead of killing it, so that it can
// shut its sandboxes down (stop_signals.cpp). After install_stop_signals,
// stop_signal_fd() is readable once either arrived, and stop_signal() says
// which (0: none yet). SIGPIPE then fails the write that caused it (EPIPE)
// instead of ending the command.
Status install_stop_signals();
int stop_signal_fd();
int stop_signal();
void wait_for_stop_signal();

}  // namespace layered::cli
