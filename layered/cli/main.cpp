// `layered`: parse, call a module, print, map to an exit code.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cli/commands.hpp"
#include "common/common.hpp"

namespace layered::cli {

std::string GlobalOptions::state_dir() const {
  if (!state.empty()) return state;
  if (const char* env = std::getenv("LAYERED_STATE"); env && *env) return env;
  return ".layered";
}

std::string GlobalOptions::app_dir() const {
  if (!app.empty()) return app;
  // `npx cdk synth` writes to cdk.json's "output" when it has one; a
  // cdk.json that cannot be read leaves the CDK's default.
  std::ifstream in("cdk.json");
  const auto cdk_json = nlohmann::json::parse(in, nullptr, false);
  const auto output = cdk_json.is_object() ? cdk_json.find("output") : cdk_json.end();
  if (output != cdk_json.end() && output->is_string() && !output->get<std::string>().empty()) return *output;
  return "cdk.out";
}

void add_global_flags(CLI::App& sub, Context& ctx) {
  sub.add_option("--app", ctx.global.app,
                 "cloud assembly directory (default: cdk.json's \"output\", else cdk.out)");
  sub.add_option("--state", ctx.global.state, "state directory (default .layered/ or $LAYERED_STATE)");
}

void print_warnings(const std::vector<Error>& warnings) {
  for (const Error& w : warnings) {
    std::string text = format_error(w);
    text.replace(0, std::string_view("layered: error: ").size(), "layered: warning: ");
    std::cerr << text << "\n";
  }
}

std::string error_json(const Error& error) {
  nlohmann::json body{{"message", error.message}};
  body["where"] = error.where.empty() ? nlohmann::json() : nlohmann::json(error.where);
  body["hint"] = error.hint.empty() ? nlohmann::json() : nlohmann::json(error.hint);
  return nlohmann::json{{"error", body}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int report(const Error& error, bool json) {
  std::cerr << format_error(error) << "\n";
  if (json) std::cout << error_json(error) << "\n" << std::flush;
  return 1;
}

// Whether the command line asks for JSON, for errors found before (or
// while) CLI11 parses it.
bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") return true;
  }
  return false;
}

namespace {

struct CommandEntry {
  const char* name;
  const char* help;
  void (*add)(CLI::App&, Context&);
};

// One table: the help output and the dispatch both come from it.
constexpr CommandEntry kCommands[] = {
    {"deploy", "deploy stacks of the cloud assembly locally, with CloudFormation's rules", add_deploy},
    {"destroy", "destroy locally deployed stacks", add_destroy},
    {"list", "list deployed stacks, functions, layer versions and exports", add_list},
    {"invoke", "invoke a deployed function in a Lambda-like sandbox (one cold start)", add_invoke},
    {"serve", "answer Lambda's Invoke API for the AWS CLI and SDKs (--endpoint-url), with warm environments",
     add_serve},
    {"doctor", "explain why a function would not find its layers' code", add_doctor},
};

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& c : kCommands) names.emplace_back(c.name);
  return names;
}

int run(int argc, char** argv) {
  CLI::App app{"layered: run a CDK app's Lambda functions and layers locally"};
  app.require_subcommand(1);
  Context ctx;
  ctx.argv = argv;
  for (const auto& c : kCommands) c.add(*app.add_subcommand(c.name, c.help), ctx);
  if (argc > 1 && argv[1][0] != '-') {
    std::string word = argv[1];
    auto names = command_names();
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      return report(make_error("unknown command '" + word + "'", "",
                               did_you_mean(word, names).empty() ? "run 'layered --help' for the commands"
                                                                 : did_you_mean(word, names)),
                    wants_json(argc, argv));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(make_error(e.what(), "", "run 'layered --help' for usage"), wants_json(argc, argv));
  }
  return ctx.exit_code;
}

}  // namespace
}  // namespace layered::cli

int main(int argc, char** argv) {
  try {
    return layered::cli::run(argc, argv);
  } catch (const std::exception& e) {
    const layered::Error error = layered::make_error(std::string("internal error: ") + e.what());
    std::cerr << "layered: " << error.message << "\n";
    if (layered::cli::wants_json(argc, argv)) std::cout << layered::cli::error_json(error) << "\n";
    return 70;
  }
}
