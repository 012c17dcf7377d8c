// `layered invoke FUNCTION [--event FILE|-] [--json]`: one cold start of a
// deployed function. The response goes to stdout, the function's log with
// Lambda's START/END/REPORT lines to stderr.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <random>

#include "cli/commands.hpp"
#include "common/common.hpp"
#include "invoke/invoke.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

struct InvokeArgs {
  std::string function;
  std::string event;           // a file, "-" for stdin, "" for {}
  std::string client_context;  // base64 JSON, as Lambda's ClientContext
  bool no_network = false;
};

// Lambda's limit on a synchronous request (validate_event checks the same).
constexpr std::size_t kMaxEventBytes = 6291456;

// Reads the event up to Lambda's limit and no further: `--event /dev/zero`
// is refused after 6 MB, not read until memory runs out.
Result<std::string> read_event(const std::string& source) {
  if (source.empty()) return std::string("{}");
  auto read = source == "-" ? read_bounded(STDIN_FILENO, kMaxEventBytes, "-")
                            : read_bounded(source, kMaxEventBytes, source);
  if (!read) {
    Error e = std::move(read.error());
    e.hint = "pass an existing JSON file, or '-' for stdin";
    return e;
  }
  if (read->over_limit) {
    return make_error("the event is larger than " + std::to_string(kMaxEventBytes) +
                          " bytes: Lambda's request must be smaller than 6291456 bytes for the "
                          "InvokeFunction operation",
                      source, "send a smaller event (Lambda answers RequestTooLargeException)");
  }
  return std::move(read->bytes);
}

// Picks between the versions of an alias with weighted routing.
double uniform_draw() {
  std::random_device device;
  return std::uniform_real_distribution<double>(0, 1)(device);
}

// The state's cache, or a private one for this command where the state
// directory cannot be written (a read-only state): removed on exit.
class CacheDir {
 public:
  explicit CacheDir(const std::string& state_dir) : path_(state_dir + "/cache") {
    std::error_code ec;
    std::filesystem::create_directories(path_, ec);
    if (!ec && ::access(path_.c_str(), W_OK) == 0) return;
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "layered-cache-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = private_ = pattern;
  }
  ~CacheDir() {
    std::error_code ec;
    if (!private_.empty()) std::filesystem::remove_all(private_, ec);
  }
  CacheDir(const CacheDir&) = delete;
  CacheDir& operator=(const CacheDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string private_;
};

// The environment outlives the result so that the answer is printed before
// the sandbox is torn down (unmounting /tmp takes milliseconds).
struct Invoked {
  std::unique_ptr<CacheDir> cache;
  std::unique_ptr<invoke::Environment> environment;
  invoke::InvokeResult result;
};

Result<Invoked> run_invoke(const InvokeArgs& args, const GlobalOptions& global) {
  auto payload = read_event(args.event);
  if (!payload) return payload.error();
  // An invalid event never starts an environment (InvalidRequestContentException).
  LAYERED_TRY(invoke::validate_event(*payload, args.event.empty() ? "-" : args.event));
  std::string client_context;
  if (!args.client_context.empty()) {
    auto decoded = invoke::decode_client_context(args.client_context);
    if (!decoded) {
      Error e = std::move(decoded.error());
      e.where = "--client-context";
      e.hint = "pass a JSON object in base64, e.g. $(echo -n '{\"custom\":{}}' | base64 -w0)";
      return e;
    }
    client_context = std::move(*decoded);
  }
  const std::string dir = global.state_dir();
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "state.db", ec)) {
    return make_error("nothing is deployed here: no state in '" + dir + "'", dir,
                      "run 'layered deploy --all' first, or pass --state DIR");
  }
  auto state = state::State::open_read_only(dir);  // never waits for a deploy
  if (!state) return state.error();
  // NAME[:VERSION|:ALIAS]: what runs is that version's copy of the function.
  auto function = state->resolve_function(args.function, uniform_draw());
  if (!function) return function.error();
  Invoked out;
  out.cache = std::make_unique<CacheDir>(state->dir());
  invoke::Options options;
  options.cache_dir = out.cache->path();
  options.region = state->settings().region;
  options.outbound_network = !args.no_network;
  // Ctrl-C ends the invocation and shuts the sandbox down (not the engine
  // alone, which would leave its memory cgroup and helpers behind).
  LAYERED_TRY(install_stop_signals());
  options.abort_fd = stop_signal_fd();
  auto environment = invoke::Environment::create(*function, options);
  if (!environment) return environment.error();
  out.environment = std::move(*environment);
  auto result = out.environment->invoke(*payload, client_context);
  if (!result) return result.error();
  out.result = std::move(*result);
  return out;
}

}  // namespace

void add_invoke(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<InvokeArgs>();
  add_global_flags(app, ctx);
  app.add_option("FUNCTION", args->function,
                 "function name, ARN, or construct path (Stack/Construct), optionally :VERSION or :ALIAS")
      ->required();
  app.add_option("--event", args->event, "JSON event file, or '-' for stdin (default: {})");
  app.add_option("--client-context", args->client_context,
                 "Lambda's ClientContext: a JSON object in base64 (the function's context holds it decoded)");
  app.add_flag("--json", ctx.global.json, "print one JSON object: payload, functionError, logs, report");
  app.add_flag("--no-network", args->no_network,
               "no outbound network: the function's loopback is all it reaches (default: the outside, "
               "through slirp4netns when installed, never this machine's loopback)");
  app.callback([&ctx, args] {
    auto invoked = run_invoke(*args, ctx.global);
    if (!invoked) {
      ctx.exit_code = report(invoked.error(), ctx.global.json);
      if (stop_signal() != 0) ctx.exit_code = 128 + stop_signal();  // as the shell reports a signal
      return;
    }
    const auto& result = invoked->result;
    if (ctx.global.json) {
      std::cout << invoke::to_json(result) << "\n";
    } else {
      std::cerr << result.logs;
      std::cout << result.payload << "\n";
    }
    std::cout.flush();
    ctx.exit_code = result.function_error.empty() ? 0 : 1;
  });
}

}  // namespace layered::cli
