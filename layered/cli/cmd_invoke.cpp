// `layered invoke FUNCTION [--event FILE|-] [--json]`: one cold start of a
// deployed function. The response goes to stdout, the function's log with
// Lambda's START/END/REPORT lines to stderr.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/commands.hpp"
#include "common/common.hpp"
#include "invoke/invoke.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

struct InvokeArgs {
  std::string function;
  std::string event;  // a file, "-" for stdin, "" for {}
  bool no_network = false;
};

Result<std::string> read_event(const std::string& source) {
  if (source.empty()) return std::string("{}");
  if (source == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(source, std::ios::binary);
  if (!in)
    return make_error("cannot read the event file", source, "pass an existing JSON file, or '-' for stdin");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

invoke::FunctionSpec to_spec(const state::FunctionRecord& f) {
  invoke::FunctionSpec spec;
  spec.name = f.name;
  spec.arn = f.arn;
  spec.version = f.version;
  spec.runtime = f.runtime;
  spec.architecture = f.architecture;
  spec.handler = f.handler;
  spec.code_dir = f.code_dir;
  for (const auto& layer : f.layers) spec.layers.push_back({layer.arn, layer.dir});
  spec.environment = f.environment;
  spec.memory_mb = f.memory_mb;
  spec.timeout_s = f.timeout_s;
  spec.ephemeral_mb = f.ephemeral_mb;
  return spec;
}

Result<invoke::InvokeResult> run_invoke(const InvokeArgs& args, const GlobalOptions& global) {
  auto payload = read_event(args.event);
  if (!payload) return payload.error();
  // An invalid event never starts an environment (InvalidRequestContentException).
  LAYERED_TRY(invoke::validate_event(*payload, args.event.empty() ? "-" : args.event));
  const std::string dir = global.state_dir();
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "state.db", ec)) {
    return make_error("nothing is deployed here: no state in '" + dir + "'", dir,
                      "run 'layered deploy --all' first, or pass --state DIR");
  }
  auto state = state::State::open_read_only(dir);  // never waits for a deploy
  if (!state) return state.error();
  auto function = state->find_function(args.function);
  if (!function) return function.error();
  invoke::Options options;
  options.cache_dir = state->dir() + "/cache";
  options.region = state->settings().region;
  options.outbound_network = !args.no_network;
  return invoke::invoke_once(to_spec(*function), *payload, options);
}

}  // namespace

void add_invoke(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<InvokeArgs>();
  add_global_flags(app, ctx);
  app.add_option("FUNCTION", args->function, "function name, ARN, or construct path (Stack/Construct)")
      ->required();
  app.add_option("--event", args->event, "JSON event file, or '-' for stdin (default: {})");
  app.add_flag("--json", ctx.global.json, "print one JSON object: payload, functionError, logs, report");
  app.add_flag("--no-network", args->no_network,
               "no outbound network: the function's loopback is all it reaches (default: the outside, "
               "through slirp4netns when installed, never this machine's loopback)");
  app.callback([&ctx, args] {
    auto result = run_invoke(*args, ctx.global);
    if (!result) {
      ctx.exit_code = report(result.error());
      return;
    }
    if (ctx.global.json) {
      std::cout << invoke::to_json(*result) << "\n";
    } else {
      std::cerr << result->logs;
      std::cout << result->payload << "\n";
    }
    ctx.exit_code = result->function_error.empty() ? 0 : 1;
  });
}

}  // namespace layered::cli
