// CloudFormation template evaluation with CloudFormation's rules: the
// template model, Parameters, pseudo parameters, Conditions, Mappings, Rules,
// intrinsic functions, dynamic references and resource ordering.
//
// The deployer drives it resource by resource:
//
//   auto tpl = cfn::parse(stack.template_json, stack.name);  // Result<Template>
//   cfn::Evaluator ev(*tpl, env);         // env: account, region, ssm, imports, resources
//   LAYERED_TRY(ev.prepare());            // parameters, conditions, rules
//   auto order = ev.resource_order();     // active resources, dependencies first
//   for (id : *order) {
//     auto props = ev.evaluate_properties(id);   // fully resolved JSON
//     ... create/update; afterwards env.resources.ref(id) must answer ...
//   }
//   auto outputs = ev.evaluate_outputs();
//
// Values: evaluated properties are plain JSON (strings, numbers, booleans,
// lists, objects) with every intrinsic and dynamic reference resolved and
// AWS::NoValue removed. Numbers in the template stay JSON numbers, but a
// value that came through Ref of a parameter is a string (as in
// CloudFormation, `MemorySize: {"Ref": "Mem"}` yields "256"): accept both.
//
// Every error names where it happened: "Stack/LogicalId.Properties.Layers[1]"
// for resources, "Stack/Outputs/Id.Export.Name", "Stack/Parameters/Name",
// "Stack/Conditions/Name", "Stack/Rules/Name.Assertions[0]". Messages use
// CloudFormation's wording where it has one ("No export named X found",
// "Circular dependency between resources: [A, B]").
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.hpp"

namespace layered::cfn {

using Json = nlohmann::json;

// The SSM parameter every CDK stack reads for its BootstrapVersion parameter
// (checked by the CheckBootstrapVersion rule, which fails for versions 1-5).
// The evaluator resolves it through Environment::ssm like any other; the
// deployer seeds it (with kBootstrapVersion) so that every CDK app deploys
// out of the box.
inline constexpr const char* kBootstrapVersionParameter = "/cdk-bootstrap/hnb659fds/version";
inline constexpr const char* kBootstrapVersion = "21";

// Whether `name` is a CDK bootstrap's version parameter,
// "/cdk-bootstrap/<qualifier>/version", the default qualifier's or one of
// `cdk bootstrap --qualifier Q` (DefaultStackSynthesizer({ qualifier })).
// No stack defines it: it is the bootstrap's, so each one is seeded like
// kBootstrapVersionParameter.
bool is_bootstrap_version_parameter(std::string_view name);

// ---- limits -----------------------------------------------------------------

// CloudFormation's quotas on a template (docs/cloudformation-limits.md);
// parse() refuses a template past them with CloudFormation's wording.
inline constexpr std::size_t kMaxResources = 500;
inline constexpr std::size_t kMaxOutputs = 200;
inline constexpr std::size_t kMaxParameters = 200;
inline constexpr std::size_t kMaxMappings = 200;
inline constexpr std::size_t kMaxMappingAttributes = 200;
inline constexpr std::size_t kMaxNameLength = 255;  // resource, output, parameter, mapping names
inline constexpr std::size_t kMaxDescriptionBytes = 1024;
inline constexpr std::size_t kMaxParameterValueBytes = 4096;
inline constexpr std::size_t kMaxExportValueBytes = 1024;

// Bounds of our own on evaluation, so that no template (a string doubled
// through nested Fn::Join, a large mapping copied by many Fn::FindInMap)
// costs unbounded time or memory: no evaluated string may be larger than
// the largest template CloudFormation accepts, and one evaluator produces
// at most kMaxEvaluationBytes of values in all.
inline constexpr std::size_t kMaxValueBytes = 1000000;
inline constexpr std::size_t kMaxEvaluationBytes = 64u * 1024 * 1024;

// ---- template model -------------------------------------------------------

struct Parameter {
  std::string name;
  std::string type;                          // "String", "Number", "List<Number>", "CommaDelimitedList",
                                             // "AWS::SSM::Parameter::Value<String>", ...
  std::optional<std::string> default_value;  // as a string ("Default": 5 -> "5")
  std::vector<std::string> allowed_values;
  std::string allowed_pattern;
  std::optional<double> min_value, max_value;
  std::optional<std::size_t> min_length, max_length;
  std::string description;
  bool no_echo = false;
};

struct Resource {
  std::string logical_id;
  std::string type;
  Json properties = Json::object();  // unevaluated
  std::vector<std::string> depends_on;
  std::string condition;              // "" = always
  std::string deletion_policy;        // "" = CloudFormation's default (Delete)
  std::string update_replace_policy;  // "" = Delete
  Json metadata = Json::object();
};

struct Output {
  std::string logical_id;
  Json value;        // unevaluated
  Json export_name;  // unevaluated; null when the output has no Export
  std::string description;
  std::string condition;
};

struct Rule {
  std::string name;
  Json rule_condition;                                   // null = always applies
  std::vector<std::pair<Json, std::string>> assertions;  // (Assert, AssertDescription)
};

struct Template {
  std::string stack_name;             // for error locations
  std::vector<Parameter> parameters;  // sorted by name (JSON objects are unordered)
  std::map<std::string, Json> conditions;
  Json mappings = Json::object();
  std::vector<Rule> rules;
  std::vector<Resource> resources;      // sorted by logical id
  std::vector<Output> outputs;          // sorted by logical id
  std::vector<std::string> transforms;  // "Transform" (not emulated: prepare() fails)

  const Resource* find_resource(const std::string& logical_id) const;
  const Parameter* find_parameter(const std::string& name) const;
};

// Checks the template's shape (sections are objects, every resource has a
// Type, DependsOn names resources, ...) and builds the model. `stack_name`
// prefixes error locations.
Result<Template> parse(const Json& template_json, const std::string& stack_name);

// A parameter's value as CloudFormation passes one (a nested stack's
// Parameters, a stack's recorded values): text, a list comma-joined.
std::string parameter_string(const Json& value);

// Adds to `values` what a parameter keeps from the stack's previous deploy
// (`previous`: name -> value) when not given now, as `cdk deploy` keeps it
// (--previous-parameters, its default: UsePreviousValue for every parameter
// the stack had), default or not. What `values` already holds wins: the
// given ones and the CDK's asset parameters, filled at each deploy.
// SSM-typed ones are resolved again (`previous` holds their resolved values).
void keep_previous_values(const Template& tpl,
                          const std::vector<std::pair<std::string, std::string>>& previous,
                          std::map<std::string, std::string>& values);

// Export names the template imports with a literal `Fn::ImportValue` (a
// string argument), anywhere in Resources and Outputs, sorted, without
// evaluating anything. Imports computed from parameters need an Evaluator:
// see Evaluator::imported_exports().
std::set<std::string> literal_imports(const Json& template_json);

// ---- evaluation environment -----------------------------------------------

// Answers for Ref / Fn::GetAtt to resources of the stack being evaluated,
// i.e. resources the deployer already created (it creates them in
// resource_order()). An error returned here is passed through, with `where`
// filled in when empty; return e.g. "attribute 'Foo' of 'Fn' (AWS::X::Y) is
// not emulated".
struct ResourceResolver {
  // Physical id (what `Ref` returns): LayerVersion -> version ARN,
  // Function -> function name, SSM Parameter -> parameter name, ...
  std::function<Result<std::string>(const std::string& logical_id)> ref;
  // Attribute value: a string, or a list for list-valued attributes.
  std::function<Result<Json>(const std::string& logical_id, const std::string& attribute)> get_att;
};

// What Fn::GetStackOutput finds for a stack name in one account and region.
struct StackOutputs {
  bool exists = false;
  std::vector<std::pair<std::string, std::string>> outputs;  // output logical id -> value
  // Where a stack of that name is deployed instead ("account 111111111111,
  // region eu-west-1"), for the error's hint; "" when nowhere.
  std::string elsewhere;
};

struct Environment {
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  std::string partition = "aws";
  std::string url_suffix = "amazonaws.com";
  std::string stack_name;
  std::string stack_id;  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  std::vector<std::string> notification_arns;
  // Values given for template parameters (`--parameters`-like overrides);
  // naming a parameter the template lacks is an error.
  std::map<std::string, std::string> parameter_overrides;
  // SSM Parameter Store lookup: current value of `name`, or nullopt. Used for
  // AWS::SSM::Parameter::Value<...> parameters and {{resolve:ssm:name}}.
  // Must answer kBootstrapVersionParameter (and any other
  // is_bootstrap_version_parameter() a stack reads) for CDK stacks.
  std::function<std::optional<std::string>(const std::string& name)> ssm;
  // Pinned versions ({{resolve:ssm:name:3}}); when unset such references are
  // an error saying versions are not emulated.
  std::function<std::optional<std::string>(const std::string& name, long version)> ssm_version;
  // The value exported under `export_name` by some deployed stack, or nullopt.
  std::function<std::optional<std::string>(const std::string& export_name)> import_value;
  // Where an export or SSM parameter that this stack's account and region
  // lack exists instead ("region eu-west-1 (stack 'Producer')"), for the
  // error's hint; "" (or unset) when it exists nowhere.
  std::function<std::string(const std::string& export_name)> export_elsewhere;
  std::function<std::string(const std::string& parameter_name)> ssm_elsewhere;
  // The outputs of the stack `stack` deployed in `account_id` / `region`
  // (Fn::GetStackOutput, a weak reference: nothing is locked by reading
  // them). Unset: no stack exists.
  std::function<StackOutputs(const std::string& stack, const std::string& account_id,
                             const std::string& region)>
      stack_outputs;
  ResourceResolver resources;
};

struct ResolvedOutput {
  std::string logical_id;
  std::string value;        // numbers/booleans as text; a list is an error, as in CloudFormation
  std::string export_name;  // "" when not exported
  std::string description;
};

// ---- evaluator ------------------------------------------------------------

class Evaluator {
 public:
  // `tpl` must outlive the evaluator. The environment's callbacks are called
  // during evaluation, so they may answer differently as deployment proceeds.
  Evaluator(const Template& tpl, Environment env);
  ~Evaluator();
  Evaluator(Evaluator&&) noexcept;
  Evaluator& operator=(Evaluator&&) noexcept;

  // Resolves parameters (defaults, overrides, SSM, type and AllowedValues
  // checks), evaluates every condition, then checks the Rules (a failing
  // assertion is an error whose message is its AssertDescription). Must
  // succeed before anything below is called.
  Status prepare();

  // Parameter values after prepare(), as Ref returns them (a string, or a
  // list of strings for list types). SSM-typed parameters hold the SSM
  // value, so a changed SSM value shows up here.
  const std::map<std::string, Json>& parameter_values() const;

  // A condition's value after prepare(); false for an unknown name.
  bool condition(const std::string& name) const;

  // True if the resource exists and its Condition (if any) is true.
  bool is_active(const std::string& logical_id) const;

  // Active resources, each after all it depends on (DependsOn plus implicit
  // Ref / Fn::GetAtt / Fn::Sub references), ties by logical id.
  // A cycle -> "Circular dependency between resources: [A, B]".
  Result<std::vector<std::string>> resource_order() const;

  // The active resources `logical_id` depends on directly, sorted.
  std::vector<std::string> dependencies_of(const std::string& logical_id) const;

  // The resource's Properties, fully evaluated. References to resources go
  // through Environment::resources, so evaluate in resource_order().
  Result<Json> evaluate_properties(const std::string& logical_id) const;

  // Outputs whose condition holds, evaluated, sorted by logical id.
  Result<std::vector<ResolvedOutput>> evaluate_outputs() const;

  // Every export name the active resources and outputs import (arguments of
  // Fn::ImportValue evaluated; Fn::If branches not taken are skipped),
  // without evaluating anything else and without asking import_value.
  Result<std::set<std::string>> imported_exports() const;

  // Fails as CloudFormation does before it changes anything when an active
  // resource imports an export that does not exist ("No export named X
  // found"). Names that need a resource's value are left to evaluation.
  Status check_imports() const;

  // Evaluates any template value (e.g. one property) with `where` as the
  // location for errors. AWS::NoValue at the top yields null.
  Result<Json> evaluate(const Json& value, const std::string& where) const;

  // `value` (evaluated) with its dynamic references ({{resolve:ssm:NAME}})
  // replaced, as evaluate_properties() does after the intrinsics.
  Result<Json> resolve_dynamic_references(Json value, const std::string& where) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace layered::cfn
