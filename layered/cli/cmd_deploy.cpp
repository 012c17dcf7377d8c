// `layered deploy [STACK...] [--all] [--exclusively] [--no-doctor] [--parameters [STACK:]KEY=VALUE ...]
//  [--layer ARN=DIR|ZIP ...]`
#include <iostream>
#include <memory>

#include "assembly/assembly.hpp"
#include "cli/commands.hpp"
#include "deploy/deploy.hpp"
#include "doctor/doctor.hpp"
#include "state/state.hpp"

namespace layered::cli {

namespace {

struct DeployFlags {
  std::vector<std::string> stacks;
  bool all = false;
  bool exclusively = false;
  bool no_doctor = false;
  std::vector<std::string> layers;      // ARN=DIR|ZIP
  std::vector<std::string> parameters;  // [STACK:]KEY=VALUE
};

// `--parameters A=1 B=2 Stack` takes several values, as `cdk deploy
// --parameters` does, so a stack name can follow them: a value without '='
// that names a stack of the app is one (a stack name has no '='). What is
// left is stack_parameters()'s to check.
void move_stack_names(const assembly::Assembly& app, DeployFlags& flags) {
  std::vector<std::string> parameters;
  for (auto& text : flags.parameters) {
    const bool stack =
        text.find('=') == std::string::npos && app.select({text}, false, assembly::Expand::none);
    (stack ? flags.stacks : parameters).push_back(std::move(text));
  }
  flags.parameters = std::move(parameters);
}

// "[STACK:]KEY=VALUE" as `cdk deploy --parameters` takes it: the value is
// everything after the first '=', the stack what comes before a ':' ahead of it.
Result<std::vector<deploy::StackParameter>> stack_parameters(const std::vector<std::string>& given) {
  std::vector<deploy::StackParameter> out;
  for (const auto& text : given) {
    const auto equals = text.find('=');
    const std::string left = text.substr(0, equals);
    const auto colon = left.find(':');
    deploy::StackParameter p{colon == std::string::npos ? "" : left.substr(0, colon),
                             colon == std::string::npos ? left : left.substr(colon + 1),
                             equals == std::string::npos ? "" : text.substr(equals + 1)};
    if (equals == std::string::npos || p.key.empty() || (colon != std::string::npos && p.stack.empty())) {
      return make_error("'" + text + "' is not [STACK:]KEY=VALUE", "--parameters",
                        "e.g. --parameters Stage=prod, or --parameters MyStack:Stage=prod for one stack");
    }
    out.push_back(std::move(p));
  }
  return out;
}

// "ARN=PATH" at its first '=' (an ARN has none).
Result<std::vector<deploy::ProvidedLayer>> provided_layers(const std::vector<std::string>& given) {
  std::vector<deploy::ProvidedLayer> out;
  for (const auto& text : given) {
    const auto at = text.find('=');
    if (at == std::string::npos || at == 0 || at + 1 == text.size()) {
      return make_error("'" + text + "' is not ARN=DIR|ZIP", "--layer",
                        "give a layer version's ARN and its content, e.g. "
                        "--layer arn:aws:lambda:us-east-1:123456789012:layer:tools:3=tools.zip");
    }
    out.push_back({text.substr(0, at), text.substr(at + 1)});
  }
  return out;
}

// The doctor's package check on a function about to be deployed, whatever
// its runtime: what `layered doctor --app` would say of it.
Status doctor_check(const state::FunctionRecord& f) {
  auto report = doctor::check(f);
  if (!report.ok()) return report.error();
  if (!doctor::has_errors(*report)) {
    // A warning can still fail an invoke here that works on Lambda (boto3
    // or the AWS SDK that Lambda's runtime provides): say that there are some.
    if (auto warnings = doctor::count(*report, doctor::Severity::warning); warnings > 0) {
      std::cerr << "doctor: " << warnings << " warning" << (warnings == 1 ? "" : "s") << " for function '"
                << f.display_name() << "': run 'layered doctor " << f.construct_path << "' to see them\n";
    }
    return Ok{};
  }
  std::cerr << doctor::render_text(*report);
  auto errors = doctor::count(*report, doctor::Severity::error);
  return make_error("doctor found " + std::to_string(errors) + " error" + (errors == 1 ? "" : "s") +
                        " in function '" + f.display_name() + "'",
                    f.stack + "/" + f.logical_id,
                    "fix the package (see above), or pass --no-doctor to deploy anyway");
}

void print_stack(const deploy::StackResult& result) {
  std::cout << "\n";
  if (!result.outputs.empty()) {
    std::cout << "Outputs:\n";
    for (const auto& [key, value] : result.outputs)
      std::cout << result.name << "." << key << " = " << value << "\n";
  }
  std::cout << "Stack ARN:\n" << result.stack_id << "\n";
  std::cout.flush();
}

int run_deploy(const Context& ctx, DeployFlags flags) {
  auto layers = provided_layers(flags.layers);
  if (!layers.ok()) return report(layers.error());
  auto app = assembly::load(ctx.global.app_dir());
  if (!app.ok()) return report(app.error());
  print_warnings(app->warnings());
  move_stack_names(*app, flags);
  auto parameters = stack_parameters(flags.parameters);
  if (!parameters.ok()) return report(parameters.error());
  auto state = state::State::open(ctx.global.state_dir(), state::State::settings_from_environment());
  if (!state.ok()) return report(state.error());
  auto store = deploy::store_for(*state);
  deploy::DeployOptions options;
  options.stacks = flags.stacks;
  options.all = flags.all;
  options.exclusively = flags.exclusively;
  options.provided_layers = std::move(*layers);
  options.parameters = std::move(*parameters);
  if (!flags.no_doctor) options.check_function = doctor_check;
  options.progress = [](const std::string& line) { std::cerr << line << "\n"; };
  options.stack_done = print_stack;
  auto result = deploy::deploy(*app, *state, store, options);
  if (!result.ok()) return report(result.error());
  if (auto note = deploy::not_emulated_summary(*result); !note.empty()) std::cerr << note << "\n";
  if (auto note = deploy::not_emulated_settings_summary(*result); !note.empty()) std::cerr << note << "\n";
  return 0;
}

}  // namespace

void add_deploy(CLI::App& app, Context& ctx) {
  add_global_flags(app, ctx);
  auto flags = std::make_shared<DeployFlags>();
  app.add_option("stacks", flags->stacks,
                 "stacks to deploy (wildcards are supported); default: the only stack");
  app.add_flag("--all", flags->all, "deploy every stack of the app");
  app.add_flag("-e,--exclusively", flags->exclusively,
               "only deploy the named stacks, not their dependencies");
  app.add_flag("--no-doctor", flags->no_doctor,
               "do not run 'layered doctor' on the functions being deployed");
  app.add_option("--parameters", flags->parameters,
                 "[STACK:]KEY=VALUE ...: template parameters' values, each for one stack or every stack "
                 "that has it (a stack name may follow them); a parameter not given keeps the value it "
                 "was last given, as with cdk deploy's --previous-parameters (its default)")
      ->type_name("[STACK:]KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--layer", flags->layers,
                 "ARN=DIR|ZIP: the content of a layer version published elsewhere (a public layer, another "
                 "account's), which layered cannot download; kept in the state for later deploys")
      ->type_name("ARN=PATH")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.callback([&ctx, flags] { ctx.exit_code = run_deploy(ctx, *flags); });
}

}  // namespace layered::cli
