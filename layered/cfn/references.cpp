// Values from other stacks: Fn::ImportValue (an export, which the importer
// then locks) and Fn::GetStackOutput (any output of a stack, read once at
// deploy: a weak reference that locks nothing).
#include "cfn/internal.hpp"

namespace layered::cfn {

namespace {

// "arn:aws:iam::<account>:role/<name>" -> "<account>", "" for anything else.
std::string role_account(const std::string& role_arn) {
  std::size_t at = 0;
  for (int field = 0; field < 4; ++field) {
    at = role_arn.find(':', at);
    if (at == std::string::npos) return "";
    ++at;
  }
  const std::size_t end = role_arn.find(':', at);
  return end == std::string::npos ? "" : role_arn.substr(at, end - at);
}

std::string elsewhere_hint(const std::string& what, const std::string& elsewhere, const Environment& env) {
  return what + " exists in " + elsewhere + ", not in this stack's account " + env.account_id +
         " and region " + env.region +
         ": exports and SSM parameters belong to one account and region; create it in this stack's account "
         "and "
         "region too, or deploy this stack where it is";
}

}  // namespace

std::string Evaluator::Impl::missing_export_hint(const std::string& name) const {
  const std::string elsewhere = env.export_elsewhere ? env.export_elsewhere(name) : "";
  if (!elsewhere.empty()) return elsewhere_hint("the export '" + name + "'", elsewhere, env);
  return "deploy the stack that exports '" + name + "' first, or fix the export name";
}

std::string Evaluator::Impl::missing_ssm_hint(const std::string& name) const {
  if (is_bootstrap_version_parameter(name))
    return "the local SSM store must be seeded with the CDK bootstrap version";
  const std::string elsewhere = env.ssm_elsewhere ? env.ssm_elsewhere(name) : "";
  if (!elsewhere.empty()) return elsewhere_hint("the SSM parameter '" + name + "'", elsewhere, env);
  return "create the SSM parameter '" + name + "' (deploy the stack that defines it first)";
}

Result<Value> Evaluator::Impl::import_value(const Json& arg, const std::string& where, Context ctx) const {
  auto name = eval_string(arg, where + ".Fn::ImportValue", ctx);
  if (!name) return std::move(name.error());
  std::optional<std::string> value;
  if (env.import_value) value = env.import_value(*name);
  if (value) return Value(*value);
  return make_error("No export named " + *name + " found", where, missing_export_hint(*name));
}

Result<Value> Evaluator::Impl::get_stack_output(const Json& arg, const std::string& where,
                                                Context ctx) const {
  const std::string inner = where + ".Fn::GetStackOutput";
  if (!arg.is_object()) {
    return make_error("'Fn::GetStackOutput' needs {\"StackName\": ..., \"OutputName\": ...}", where,
                      "optional: \"Region\" (default: this stack's), \"RoleArn\" (for another account)");
  }
  std::map<std::string, std::string> given;
  for (const auto& [key, value] : arg.items()) {
    if (key != "StackName" && key != "OutputName" && key != "Region" && key != "RoleArn") {
      return make_error("'Fn::GetStackOutput' has no argument '" + key + "'", inner + "." + key,
                        "its arguments: StackName, OutputName, Region, RoleArn");
    }
    auto v = eval(value, inner + "." + key, ctx);
    if (!v) return std::move(v.error());
    if (!*v) continue;  // AWS::NoValue: as if not given
    auto text = scalar_string(**v);
    if (!text) return make_error("expected a string, got " + (*v)->dump(), inner + "." + key);
    given[key] = *text;
  }
  if (given["StackName"].empty() || given["OutputName"].empty())
    return make_error("'Fn::GetStackOutput' needs a StackName and an OutputName", inner);
  const std::string& stack = given["StackName"];
  const std::string& output = given["OutputName"];
  const std::string region = given["Region"].empty() ? env.region : given["Region"];
  // The role is assumed in the account whose stack is read.
  const std::string role = role_account(given["RoleArn"]);
  const std::string account = role.empty() ? env.account_id : role;
  const StackOutputs found = env.stack_outputs ? env.stack_outputs(stack, account, region) : StackOutputs{};
  const std::string here = "account " + account + ", region " + region;
  if (!found.exists) {
    return make_error("Stack with id " + stack + " does not exist", where,
                      found.elsewhere.empty()
                          ? "deploy '" + stack + "' (in " + here + ") first, or fix StackName"
                          : "'" + stack + "' is deployed in " + found.elsewhere + ", not in " + here +
                                ": give Fn::GetStackOutput its Region (and a RoleArn for another account)");
  }
  for (const auto& [name, value] : found.outputs) {
    if (name == output) return Value(value);
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : found.outputs) names.push_back(name);
  std::string hint = did_you_mean(output, names);
  if (hint.empty())
    hint = (names.empty() ? "it has no outputs" : "its outputs: " + quoted_names(names)) +
           " (OutputName is an output's logical id)";
  return make_error("Output " + output + " does not exist in stack " + stack, where, hint);
}

}  // namespace layered::cfn
