#include "cfn/cfn.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "assembly/assembly.hpp"

namespace layered::cfn {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  const char* src = std::getenv("LAYERED_SOURCE_DIR");
  return fs::path(src ? src : LAYERED_SOURCE_DIR_FALLBACK) / "tests/fixtures/assemblies" / name;
}

// A deployer stand-in: SSM and exports in maps, resources "created" on demand.
struct World {
  std::map<std::string, std::string> ssm = {{kBootstrapVersionParameter, kBootstrapVersion}};
  std::map<std::string, std::string> exports;
  std::set<std::string> created;

  Environment env(const std::string& stack) {
    Environment e;
    e.stack_name = stack;
    e.stack_id = "arn:aws:cloudformation:us-east-1:123456789012:stack/" + stack + "/1";
    e.ssm = [this](const std::string& n) -> std::optional<std::string> {
      auto it = ssm.find(n);
      return it == ssm.end() ? std::nullopt : std::optional(it->second);
    };
    e.import_value = [this](const std::string& n) -> std::optional<std::string> {
      auto it = exports.find(n);
      return it == exports.end() ? std::nullopt : std::optional(it->second);
    };
    e.resources.ref = [this](const std::string& id) -> Result<std::string> {
      if (!created.count(id)) return make_error("resource '" + id + "' is not created yet");
      return "phys-" + id;
    };
    e.resources.get_att = [this](const std::string& id, const std::string& attr) -> Result<Json> {
      if (!created.count(id)) return make_error("resource '" + id + "' is not created yet");
      if (attr == "Bad") return make_error("attribute 'Bad' is not emulated");
      return Json("arn:" + id + ":" + attr);
    };
    return e;
  }
};

struct Loaded {
  assembly::Assembly assembly;
  Template tpl;
};

Loaded load_stack(const std::string& fixture_name, const std::string& stack) {
  auto a = assembly::load(fixture(fixture_name));
  EXPECT_TRUE(a.ok()) << format_error(a.error());
  const assembly::Stack* s = a->find_stack(stack);
  EXPECT_NE(s, nullptr);
  auto t = parse(s->template_json, s->name);
  EXPECT_TRUE(t.ok()) << format_error(t.error());
  return {std::move(*a), std::move(*t)};
}

Template inline_template(const std::string& json_text) {
  auto t = parse(Json::parse(json_text), "S");
  EXPECT_TRUE(t.ok()) << format_error(t.error());
  return *t;
}

// Evaluates every resource in order, "creating" each.
Result<std::map<std::string, Json>> deploy(Evaluator& ev, World& world) {
  LAYERED_TRY(ev.prepare());
  auto order = ev.resource_order();
  if (!order) return std::move(order.error());
  std::map<std::string, Json> out;
  for (const std::string& id : *order) {
    auto props = ev.evaluate_properties(id);
    if (!props) return std::move(props.error());
    out[id] = *props;
    world.created.insert(id);
  }
  return out;
}

TEST(Cfn, SharedLayerProducerOutputsAndExports) {
  auto l = load_stack("shared-layer-export", "Lambda-layers-example-layers");
  World world;
  Evaluator ev(l.tpl, world.env("Lambda-layers-example-layers"));
  auto props = deploy(ev, world);
  ASSERT_TRUE(props.ok()) << format_error(props.error());
  EXPECT_TRUE(ev.is_active("CDKMetadata"));  // us-east-1 is in CDKMetadataAvailable
  EXPECT_EQ((*props)["ExternalLayerE23CF025"]["Content"]["S3Bucket"],
            "cdk-hnb659fds-assets-123456789012-us-east-1");
  auto outputs = ev.evaluate_outputs();
  ASSERT_TRUE(outputs.ok()) << format_error(outputs.error());
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[1].logical_id, "ExternalLayerArnOutput");
  EXPECT_EQ((*outputs)[1].value, "phys-ExternalLayerE23CF025");
  EXPECT_EQ((*outputs)[1].export_name, "ExternalLayerArn");
  EXPECT_EQ((*outputs)[1].description, "ARN of the external layer");
}

TEST(Cfn, SharedLayerConsumerResolvesImportsInOrder) {
  auto l = load_stack("shared-layer-export", "Lambda-layers-example");
  World world;
  world.exports = {{"ExternalLayerArn", "arn:aws:lambda:us-east-1:123456789012:layer:ext:1"},
                   {"CpputilsLayerArn", "arn:aws:lambda:us-east-1:123456789012:layer:cpp:1"}};
  Evaluator ev(l.tpl, world.env("Lambda-layers-example"));
  ASSERT_TRUE(ev.prepare().ok());
  auto order = ev.resource_order();
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (std::vector<std::string>{"CDKMetadata", "GreetingFunctionServiceRoleDFC585EB",
                                              "GreetingFunction16D8FDDB"}));
  EXPECT_EQ(ev.dependencies_of("GreetingFunction16D8FDDB"),
            std::vector<std::string>{"GreetingFunctionServiceRoleDFC585EB"});
  auto imports = ev.imported_exports();
  ASSERT_TRUE(imports.ok());
  EXPECT_EQ(*imports, (std::set<std::string>{"CpputilsLayerArn", "ExternalLayerArn"}));
  EXPECT_EQ(literal_imports(l.assembly.find_stack("Lambda-layers-example")->template_json), *imports);

  auto props = deploy(ev, world);
  ASSERT_TRUE(props.ok()) << format_error(props.error());
  const Json& fn = (*props)["GreetingFunction16D8FDDB"];
  EXPECT_EQ(fn["Layers"], Json::parse(R"(["arn:aws:lambda:us-east-1:123456789012:layer:ext:1",
                                         "arn:aws:lambda:us-east-1:123456789012:layer:cpp:1"])"));
  EXPECT_EQ(fn["Role"], "arn:GreetingFunctionServiceRoleDFC585EB:Arn");
  EXPECT_EQ(fn["MemorySize"], 128);
  EXPECT_EQ((*props)["GreetingFunctionServiceRoleDFC585EB"]["ManagedPolicyArns"][0],
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
}

TEST(Cfn, MissingExportUsesCloudFormationWording) {
  auto l = load_stack("missing-export", "Missing-export-consumer");
  World world;
  Evaluator ev(l.tpl, world.env("Missing-export-consumer"));
  auto props = deploy(ev, world);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().message, "No export named NoSuchLayerArn found");
  EXPECT_EQ(props.error().where, "Missing-export-consumer/Fn9270CBC0.Properties.Layers[0]");
}

TEST(Cfn, UnknownIntrinsicNamesResourceAndProperty) {
  auto l = load_stack("unknown-intrinsic", "Unknown-intrinsic");
  World world;
  Evaluator ev(l.tpl, world.env("Unknown-intrinsic"));
  auto props = deploy(ev, world);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().message, "encountered unsupported function 'Fn::Bogus'");
  EXPECT_EQ(props.error().where, "Unknown-intrinsic/Fn9270CBC0.Properties.Layers[1]");
  EXPECT_EQ(props.error().hint.rfind("supported functions: Ref, Fn::GetAtt, Fn::Join", 0), 0u)
      << props.error().hint;
}

TEST(Cfn, ResourceCycleUsesCloudFormationWording) {
  auto l = load_stack("resource-cycle", "Resource-cycle");
  World world;
  Evaluator ev(l.tpl, world.env("Resource-cycle"));
  ASSERT_TRUE(ev.prepare().ok());
  auto order = ev.resource_order();
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message, "Circular dependency between resources: [First, Second]");
  EXPECT_EQ(order.error().where, "Resource-cycle");
}

TEST(Cfn, ConditionsSkipResourcesPropertiesAndOutputs) {
  auto l = load_stack("conditions", "Conditions-example");
  World world;
  Evaluator ev(l.tpl, world.env("Conditions-example"));
  auto props = deploy(ev, world);
  ASSERT_TRUE(props.ok()) << format_error(props.error());
  EXPECT_FALSE(ev.condition("IsProd"));
  EXPECT_TRUE(ev.condition("IsNotProd"));
  EXPECT_FALSE(ev.is_active("ProdOnlyParameter"));
  EXPECT_FALSE(props->count("ProdOnlyParameter"));
  EXPECT_EQ((*props)["DevOnlyParameter"]["Value"], "dev in us-east-1");
  const Json& fn = (*props)["Fn9270CBC0"];
  EXPECT_EQ(fn["Environment"]["Variables"], Json::parse(R"({"STAGE":"dev"})"));
  EXPECT_EQ(fn["MemorySize"], 128);
  auto outputs = ev.evaluate_outputs();
  ASSERT_TRUE(outputs.ok());
  ASSERT_EQ(outputs->size(), 1u);
  EXPECT_EQ((*outputs)[0].logical_id, "FunctionName");
}

TEST(Cfn, ParameterOverridesAndAllowedValues) {
  auto l = load_stack("conditions", "Conditions-example");
  World world;
  Environment env = world.env("Conditions-example");
  env.parameter_overrides["Stage"] = "prod";
  Evaluator prod(l.tpl, env);
  auto props = deploy(prod, world);
  ASSERT_TRUE(props.ok()) << format_error(props.error());
  EXPECT_TRUE(prod.is_active("ProdOnlyParameter"));
  EXPECT_EQ((*props)["Fn9270CBC0"]["Environment"]["Variables"]["PROD_ONLY"], "yes");
  EXPECT_EQ((*props)["Fn9270CBC0"]["MemorySize"], 1024);

  env.parameter_overrides["Stage"] = "test";
  Evaluator bad(l.tpl, env);
  auto status = bad.prepare();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "Parameter 'Stage' must be one of AllowedValues");
  EXPECT_EQ(status.error().where, "Conditions-example/Parameters/Stage");

  env.parameter_overrides = {{"Stag", "dev"}};
  Evaluator unknown(l.tpl, env);
  status = unknown.prepare();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "Parameters: [Stag] do not exist in the template");
  EXPECT_EQ(status.error().hint, "did you mean 'Stage'?");
}

TEST(Cfn, SsmParameterTypeResolvesFromTheStore) {
  auto l = load_stack("ssm-sharing", "Lambda-layers-example");
  World world;
  world.ssm["/lambda-layers-example/external-layer-arn"] =
      "arn:aws:lambda:us-east-1:123456789012:layer:ext:3";
  Evaluator ev(l.tpl, world.env("Lambda-layers-example"));
  auto props = deploy(ev, world);
  ASSERT_TRUE(props.ok()) << format_error(props.error());
  EXPECT_EQ((*props)["GreetingFunction16D8FDDB"]["Layers"][0],
            "arn:aws:lambda:us-east-1:123456789012:layer:ext:3");
  EXPECT_EQ(ev.parameter_values().at("BootstrapVersion"), "21");
  EXPECT_TRUE(ev.imported_exports()->empty());

  world.ssm.erase("/lambda-layers-example/external-layer-arn");
  Evaluator missing(l.tpl, world.env("Lambda-layers-example"));
  auto status = missing.prepare();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(
      status.error().message,
      "Unable to fetch parameters [/lambda-layers-example/external-layer-arn] from parameter store for this "
      "account.");
}

TEST(Cfn, BootstrapVersionRule) {
  auto l = load_stack("six-layers", "Six-layers");
  World world;
  world.ssm[kBootstrapVersionParameter] = "5";
  Evaluator old(l.tpl, world.env("Six-layers"));
  auto status = old.prepare();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the "
            "CDK CLI.");
  EXPECT_EQ(status.error().where, "Six-layers/Rules/CheckBootstrapVersion.Assertions[0]");
  world.ssm.erase(kBootstrapVersionParameter);
  Evaluator none(l.tpl, world.env("Six-layers"));
  status = none.prepare();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().where, "Six-layers/Parameters/BootstrapVersion");
}

TEST(Cfn, AnyBootstrapQualifiersVersionParameterIsTheBootstraps) {
  EXPECT_TRUE(is_bootstrap_version_parameter(kBootstrapVersionParameter));
  EXPECT_TRUE(is_bootstrap_version_parameter("/cdk-bootstrap/myqual1/version"));
  EXPECT_FALSE(is_bootstrap_version_parameter("/cdk-bootstrap//version"));
  EXPECT_FALSE(is_bootstrap_version_parameter("/cdk-bootstrap/version"));
  EXPECT_FALSE(is_bootstrap_version_parameter("/cdk-bootstrap/a/b/version"));
  EXPECT_FALSE(is_bootstrap_version_parameter("/cdk-bootstrap/myqual1/versions"));
  EXPECT_FALSE(is_bootstrap_version_parameter("/lambda-layers-example/external-layer-arn"));
}

TEST(Cfn, UnsupportedResourceAttributeErrorGetsAWhere) {
  Template t = inline_template(R"({"Resources":{"Q":{"Type":"AWS::SQS::Queue"},
    "F":{"Type":"AWS::Lambda::Function","Properties":{"Environment":{"Variables":{"A":{"Fn::GetAtt":"Q.Bad"}}}}}}})");
  World world;
  Evaluator ev(t, world.env("S"));
  auto props = deploy(ev, world);
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.error().message, "attribute 'Bad' is not emulated");
  EXPECT_EQ(props.error().where, "S/F.Properties.Environment.Variables.A");
}

class Intrinsics : public ::testing::Test {
 protected:
  Template tpl = inline_template(R"({
    "Parameters": {"Env": {"Type": "String", "Default": "dev"},
                   "Sizes": {"Type": "List<Number>", "Default": "1,2,3"},
                   "Count": {"Type": "Number", "Default": 3}},
    "Mappings": {"M": {"dev": {"Size": "small"}}},
    "Conditions": {"Off": {"Fn::Equals": ["a", "b"]}},
    "Resources": {"R": {"Type": "AWS::SSM::Parameter"},
                  "Hidden": {"Type": "AWS::SSM::Parameter", "Condition": "Off"}}})");
  World world;
  Evaluator ev{tpl, world.env("S")};
  void SetUp() override {
    ASSERT_TRUE(ev.prepare().ok());
    world.created.insert("R");
  }
  Json eval(const std::string& text) {
    auto v = ev.evaluate(Json::parse(text), "S/R.Properties.X");
    EXPECT_TRUE(v.ok()) << format_error(v.error());
    return v.ok() ? *v : Json();
  }
  Error fail(const std::string& text) {
    auto v = ev.evaluate(Json::parse(text), "S/R.Properties.X");
    EXPECT_FALSE(v.ok());
    return v.ok() ? Error{} : v.error();
  }
};

TEST_F(Intrinsics, Values) {
  EXPECT_EQ(eval(R"({"Fn::Sub": "${AWS::Region}-${Env}-${R}-${R.Arn}-${!Literal}"})"),
            "us-east-1-dev-phys-R-arn:R:Arn-${Literal}");
  EXPECT_EQ(eval(R"({"Fn::Sub": ["${A}/${AWS::AccountId}", {"A": {"Ref": "Env"}}]})"), "dev/123456789012");
  EXPECT_EQ(eval(R"({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]})"), "b");
  EXPECT_EQ(eval(R"({"Fn::Select": ["2", {"Ref": "Sizes"}]})"), "3");
  EXPECT_EQ(eval(R"({"Fn::Join": ["-", ["a", {"Ref": "AWS::NoValue"}, {"Ref": "Count"}]]})"), "a-3");
  EXPECT_EQ(eval(R"({"Fn::Base64": "hello"})"), "aGVsbG8=");
  EXPECT_EQ(
      eval(R"({"Fn::GetAZs": ""})"),
      Json::parse(R"(["us-east-1a","us-east-1b","us-east-1c","us-east-1d","us-east-1e","us-east-1f"])"));
  EXPECT_EQ(eval(R"({"Fn::Select": [5, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]})"), "us-east-1f");
  EXPECT_EQ(eval(R"({"Fn::GetAZs": "eu-west-1"})"),
            Json::parse(R"(["eu-west-1a","eu-west-1b","eu-west-1c"])"));
  EXPECT_EQ(eval(R"({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Size"]})"), "small");
  EXPECT_EQ(eval(R"({"Fn::GetAtt": "R.Arn"})"), "arn:R:Arn");
  EXPECT_EQ(eval(R"({"Fn::If": ["Off", 1, [{"Ref": "AWS::NoValue"}, "x"]]})"), Json::parse(R"(["x"])"));
  EXPECT_EQ(eval(R"({"Fn::ToJsonString": {"a": [1]}})"), R"({"a":[1]})");
  EXPECT_EQ(eval(R"({"Ref": "AWS::StackName"})"), "S");
  EXPECT_EQ(eval(R"({"Ref": "AWS::NotificationARNs"})"), Json::array());
}

TEST_F(Intrinsics, Errors) {
  Error e = fail(R"({"Ref": "Evn"})");
  EXPECT_EQ(
      e.message,
      "Template format error: Unresolved resource dependencies [Evn] in the Resources block of the template");
  EXPECT_EQ(e.hint, "did you mean 'Env'?");
  e = fail(R"({"Ref": "Hidden"})");
  EXPECT_EQ(e.hint,
            "'Hidden' is not created because condition 'Off' is false; reference it inside Fn::If on that "
            "condition");
  e = fail(R"({"Fn::Select": [5, ["a"]]})");
  EXPECT_EQ(e.message, "Template error: Fn::Select cannot select nonexistent value at index 5");
  e = fail(R"({"Fn::FindInMap": ["M", "prod", "Size"]})");
  EXPECT_EQ(e.message, "Template error: Unable to get mapping for M::prod::Size");
  e = fail(R"({"Fn::Join": ["", [{"Fn::Sbu": "x"}]]})");
  EXPECT_EQ(e.message, "encountered unsupported function 'Fn::Sbu'");
  EXPECT_EQ(e.where, "S/R.Properties.X.Fn::Join[1][0]");
  EXPECT_EQ(e.hint.rfind("did you mean 'Fn::Sub'?", 0), 0u);
  e = fail(R"({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})");
  EXPECT_EQ(e.message, "function 'Fn::Cidr' is not emulated by layered");
  e = fail(R"({"Fn::Join": ",", "Extra": 1})");
  EXPECT_EQ(e.message, "'Fn::Join' must be the only key of its object");
  e = fail(R"({"Fn::GetAtt": ["Nope", "Arn"]})");
  EXPECT_EQ(e.message, "Template error: instance of Fn::GetAtt references undefined resource Nope");
}

TEST(Cfn, DynamicReferences) {
  Template t = inline_template(R"({"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{
    "A":"layer={{resolve:ssm:/app/layer}}!",
    "B":{"Fn::Join":["",["{{resolve:ssm:","/app/layer","}}"]]}}},
    "V":{"Type":"AWS::Lambda::Function","Properties":{"A":"{{resolve:ssm:/app/layer:2}}"}},
    "S":{"Type":"AWS::Lambda::Function","Properties":{"A":"{{resolve:secretsmanager:MySecret}}"}}}})");
  World world;
  world.ssm["/app/layer"] = "arn:1";
  Evaluator ev(t, world.env("S"));
  ASSERT_TRUE(ev.prepare().ok());
  auto f = ev.evaluate_properties("F");
  ASSERT_TRUE(f.ok()) << format_error(f.error());
  EXPECT_EQ((*f)["A"], "layer=arn:1!");
  EXPECT_EQ((*f)["B"], "arn:1");
  auto v = ev.evaluate_properties("V");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(
      v.error().message,
      "dynamic reference '{{resolve:ssm:/app/layer:2}}' pins a version, which layered does not emulate");
  EXPECT_EQ(v.error().where, "S/V.Properties.A");
  auto s = ev.evaluate_properties("S");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "dynamic reference '{{resolve:secretsmanager:MySecret}}' is not emulated by layered");
}

TEST(Cfn, TemplateShapeErrors) {
  auto t = parse(Json::parse(R"({"Resources":{"A":{"Properties":{}}}})"), "S");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "template format error: resource 'A' has no 'Type'");
  EXPECT_EQ(t.error().where, "S/A");
  t = parse(Json::parse(R"({"Resources":{"A":{"Type":"X","DependsOn":"Bee"},"Be":{"Type":"X"}}})"), "S");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(
      t.error().message,
      "Template format error: Unresolved resource dependencies [Bee] in the Resources block of the template");
  EXPECT_EQ(t.error().where, "S/A.DependsOn");
  EXPECT_EQ(t.error().hint, "did you mean 'Be'?");
}

TEST(Cfn, SelfReferenceIsACycle) {
  Template t = inline_template(R"({"Resources":{"A":{"Type":"X","Properties":{"P":{"Ref":"A"}}}}})");
  World world;
  Evaluator ev(t, world.env("S"));
  ASSERT_TRUE(ev.prepare().ok());
  auto order = ev.resource_order();
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message, "Circular dependency between resources: [A]");
}

}  // namespace
}  // namespace layered::cfn

namespace layered::cfn {
namespace {

// AllowedPattern is input: a pattern nested 100,000 deep overflowed the
// stack of std::regex, and "(a|a)*" against a non-matching value never
// ended. Each is now decided, in linear time.
Status check_value_against(const std::string& pattern, const std::string& value) {
  Json tpl = {{"Parameters", {{"P", {{"Type", "String"}, {"AllowedPattern", pattern}}}}},
              {"Resources", {{"R", {{"Type", "AWS::CDK::Metadata"}}}}}};
  auto parsed = parse(tpl, "S");
  EXPECT_TRUE(parsed.ok());
  World world;
  Environment env = world.env("S");
  env.parameter_overrides["P"] = value;
  Evaluator ev(*parsed, env);
  return ev.prepare();
}

TEST(Parameters, AllowedPatternIsCheckedInBoundedTimeAndSpace) {
  EXPECT_TRUE(check_value_against("[a-z]+-[0-9]{2}", "stage-01").ok());
  auto mismatch = check_value_against("[a-z]+-[0-9]{2}", "Stage-1");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().message, "Parameter 'P' must match pattern [a-z]+-[0-9]{2}");
  auto backtracking = check_value_against("(a|a)*", std::string(40, 'a') + "!");
  ASSERT_FALSE(backtracking.ok());
  EXPECT_EQ(backtracking.error().message, "Parameter 'P' must match pattern (a|a)*");
  const std::string nested = std::string(100000, '(') + "a" + std::string(100000, ')');
  EXPECT_TRUE(check_value_against(nested, "a").ok());
  auto deep = check_value_against(nested, "b");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().where, "S/Parameters/P");
  auto invalid = check_value_against("(?<=a)b", "b");  // lookbehind: not RE2's
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().message.rfind("AllowedPattern of Parameter 'P' is not a regular expression", 0),
            0u)
      << invalid.error().message;
}

// As `cdk deploy` (--previous-parameters, on by default): a parameter not
// given now keeps its previous value over its Default.
TEST(Parameters, OnesNotGivenKeepTheirPreviousValueOverTheirDefault) {
  auto tpl = parse(Json::parse(R"({"Parameters": {
      "Required": {"Type": "String"},
      "Defaulted": {"Type": "String", "Default": "d"},
      "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>"},
      "Given": {"Type": "String"}},
    "Resources": {"R": {"Type": "AWS::CDK::Metadata"}}})"),
                   "S");
  ASSERT_TRUE(tpl.ok()) << format_error(tpl.error());
  std::map<std::string, std::string> values{{"Given", "now"}};
  keep_previous_values(*tpl,
                       {{"Required", "before"},
                        {"Defaulted", "old"},
                        {"FromSsm", "resolved"},
                        {"Given", "then"},
                        {"Gone", "x"}},
                       values);
  EXPECT_EQ(values, (std::map<std::string, std::string>{
                        {"Defaulted", "old"}, {"Given", "now"}, {"Required", "before"}}));
}

}  // namespace
}  // namespace layered::cfn
