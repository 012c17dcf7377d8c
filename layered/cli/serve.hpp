// `layered serve`'s flags, and the two ways to run it. serve alone needs
// cpp-httplib (and through it libssl and brotli), whose loading and
// initialisation cost every other command 1.5-2 ms at start. So serve
// runs in a sibling executable, `layered-serve` (serve_run.cpp), and
// `layered serve` replaces itself with it (serve_exec.cpp): same process,
// same arguments, same signals.
#pragma once

#include <string>

#include "cli/commands.hpp"

namespace layered::cli {

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 3001;
  double idle_timeout_s = 300;
  int max_environments = 64;
  int prepare_functions = 8;
  bool verbose = false;
  bool no_network = false;
};

// Runs serve until a stop signal; returns the exit code. In `layered` it
// returns only when `layered-serve` cannot be started.
int run_serve(const ServeArgs& args, const Context& ctx);

// The file name of the sibling executable.
inline constexpr const char* kServeExecutable = "layered-serve";

}  // namespace layered::cli
