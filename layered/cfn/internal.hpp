// Private parts of the cfn module: the evaluator's state and the intrinsic
// function machinery shared by evaluator.cpp and intrinsics.cpp.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "cfn/cfn.hpp"

namespace layered::cfn {

// Where a value is evaluated: conditions and rules allow the condition
// functions and `{"Condition": "Name"}`, and may only reference parameters.
enum class Context { resource, output, condition, rule };

// An evaluated value; nullopt is AWS::NoValue (the property or list element
// disappears).
using Value = std::optional<Json>;

struct Evaluator::Impl {
  const Template* tpl = nullptr;
  Environment env;
  std::map<std::string, Json> params;
  // Conditions are evaluated lazily (one may reference another), memoised.
  mutable std::map<std::string, bool> conditions;
  mutable std::set<std::string> evaluating;
  std::map<std::string, std::set<std::string>> deps;  // active resource -> active resources
  bool prepared = false;
  // Bytes of values evaluation has made so far (limits.cpp): a bound on
  // the work and memory any template can cost.
  mutable std::size_t produced = 0;

  // An error when a string of `bytes` would exceed kMaxValueBytes; call it
  // before building the string.
  Status check_string(std::size_t bytes, const std::string& where) const;
  // Counts `bytes` of new values against kMaxEvaluationBytes.
  Status charge(std::size_t bytes, const std::string& where) const;

  // The intrinsic evaluator (intrinsics.cpp).
  Result<Value> eval(const Json& v, const std::string& where, Context ctx) const;
  Result<bool> eval_bool(const Json& v, const std::string& where, Context ctx) const;
  Result<std::string> eval_string(const Json& v, const std::string& where, Context ctx) const;

  // Helpers for individual functions (intrinsics.cpp).
  Result<Value> call(const std::string& fn, const Json& arg, const std::string& where, Context ctx) const;
  Result<Value> ref(const std::string& name, const std::string& where, Context ctx) const;
  Result<Value> get_att(const Json& arg, const std::string& where, Context ctx) const;
  Result<Value> sub(const Json& arg, const std::string& where, Context ctx) const;
  Result<Value> import_value(const Json& arg, const std::string& where, Context ctx) const;
  Result<Value> get_stack_output(const Json& arg, const std::string& where, Context ctx) const;
  Result<Value> condition_fn(const std::string& fn, const Json& arg, const std::string& where,
                             Context ctx) const;
  Result<bool> condition_value(const std::string& name, const std::string& where) const;
  Result<Value> list_fn(const std::string& fn, const Json& arg, const std::string& where, Context ctx) const;

  // The hint for an export or SSM parameter this stack's account and region
  // lack: where it exists instead (Environment::export_elsewhere /
  // ssm_elsewhere), else `otherwise` (references.cpp).
  std::string missing_export_hint(const std::string& name) const;
  std::string missing_ssm_hint(const std::string& name) const;

  // Replaces {{resolve:ssm:...}} in every string of `v` (dynamic.cpp).
  Status resolve_dynamic_references(Json& v, const std::string& where) const;
  Result<std::string> resolve_dynamic_string(const std::string& s, const std::string& where) const;

  // prepare() steps (parameters.cpp, evaluator.cpp).
  Status resolve_parameters();
  Result<Json> parameter_value(const Parameter& p, const std::string& given) const;
  Status check_rules() const;
  void compute_dependencies();
  // Each import as (export name, where), in the order evaluation meets them.
  Status walk_imports(const Json& v, const std::string& where, Context ctx,
                      std::vector<std::pair<std::string, std::string>>& out) const;

  // "Stack/"
  std::string prefix() const { return tpl->stack_name + "/"; }
};

// CloudFormation's quotas on a template's shape and a bound on its nesting,
// checked before anything copies or walks it recursively (limits.cpp).
Status check_template_limits(const Json& tpl, const std::string& stack);

// Roughly what a value costs in memory: its strings' bytes plus a fixed
// amount per node. Walks without recursion.
std::size_t approximate_size(const Json& value);

// Names referenced by Ref / Fn::GetAtt / Fn::Sub anywhere in `v`
// (template.cpp). Includes parameters and pseudo parameters.
void collect_references(const Json& v, std::set<std::string>& out);

// The ${...} variables of a Fn::Sub string, without ${!...} literals.
std::vector<std::string> sub_variables(const std::string& text);

// "x" for strings, "5" for numbers, "true"/"false" for booleans; nullopt
// for lists, objects and null.
std::optional<std::string> scalar_string(const Json& v);

// Every function name layered evaluates, for error hints.
const std::vector<std::string>& supported_functions();

}  // namespace layered::cfn
