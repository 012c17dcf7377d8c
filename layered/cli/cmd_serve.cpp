// `layered serve [--host 127.0.0.1] [--port 3001]`: its flags. Running it is
// in serve_run.cpp (layered-serve) or serve_exec.cpp (layered); see serve.hpp.
#include <cmath>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "cli/serve.hpp"

namespace layered::cli {

void add_serve(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ServeArgs>();
  add_global_flags(app, ctx);
  app.add_option("--host", args->host, "address to listen on (default 127.0.0.1; other than loopback warns)");
  app.add_option("--port", args->port, "port to listen on (default 3001; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--idle-timeout", args->idle_timeout_s,
                 "seconds a warm environment may stay unused before it is shut down (default 300)")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            // NaN passes any range's comparisons: finite, and at most a week.
            char* end = nullptr;
            const double s = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !std::isfinite(s) || s <= 0 || s > 604800)
              return "must be a number of seconds above 0 and at most 604800 (a week)";
            return "";
          },
          "SECONDS"));
  app.add_option("--max-environments", args->max_environments,
                 "execution environments alive at once, all functions together (default 64); a request "
                 "that finds all busy waits for one (up to 30 s)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--prepare", args->prepare_functions,
                 "prepare an environment ahead for each of the first N functions, by name (default 8; 0: "
                 "only on demand)")
      ->check(CLI::Range(0, 1024));
  app.add_flag("--verbose", args->verbose, "also say how long preparing each environment took");
  app.add_flag("--no-network", args->no_network,
               "no outbound network for the functions: only their own loopback (as for invoke)");
  app.callback([&ctx, args] { ctx.exit_code = run_serve(*args, ctx); });
}

}  // namespace layered::cli
