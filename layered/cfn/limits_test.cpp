// Hostile templates: CloudFormation's quotas with its wording, a nesting
// bound that keeps every recursive walk off the end of the stack, and the
// bounds on what evaluation may produce.
#include <gtest/gtest.h>

#include <chrono>

#include "cfn/cfn.hpp"

namespace layered::cfn {
namespace {

// {"Resources": {"R": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": <value>}}}}
Json with_value(Json value) {
  Json tpl;
  tpl["Resources"]["R"] = {{"Type", "AWS::SSM::Parameter"}, {"Properties", {{"Value", std::move(value)}}}};
  return tpl;
}

// `n` entries {"<prefix>1": entry, ...}.
Json section_of(std::size_t n, const std::string& prefix, const Json& entry) {
  Json out = Json::object();
  for (std::size_t i = 1; i <= n; ++i) out[prefix + std::to_string(i)] = entry;
  return out;
}

Error parse_error(const Json& tpl) {
  auto t = parse(tpl, "S");
  EXPECT_FALSE(t.ok());
  return t.ok() ? Error{} : t.error();
}

Result<Json> evaluate_value(const Json& tpl) {
  auto t = parse(tpl, "S");
  if (!t) return std::move(t.error());
  Evaluator ev(*t, Environment{});
  LAYERED_TRY(ev.prepare());
  return ev.evaluate_properties("R");
}

TEST(TemplateLimits, FiveThousandNestedJoinsAreRefusedNotACrash) {
  // Built by nlohmann's parser, which does not recurse; copying or
  // evaluating it would, 5,000 frames deep.
  std::string text;
  for (int i = 0; i < 5000; ++i) text += R"({"Fn::Join": ["", [)";
  text += R"("x")";
  for (int i = 0; i < 5000; ++i) text += "]]}";
  auto e = parse_error(with_value(Json::parse(text)));
  EXPECT_EQ(e.message, "the template nests arrays and objects deeper than 256 levels");
  EXPECT_EQ(e.where, "S");

  // Just under the bound (three JSON levels per Fn::Join) the evaluator's
  // recursion still fits on the stack.
  Json value = "x";
  for (int i = 0; i < 80; ++i) value = {{"Fn::Join", {"", {value}}}};
  auto v = evaluate_value(with_value(value));
  ASSERT_TRUE(v.ok()) << format_error(v.error());
  EXPECT_EQ((*v)["Value"], "x");
}

// Each level joins ["", "", ""] with the level below as the delimiter: the
// string doubles per level.
Json doubling(int levels, std::size_t seed_bytes) {
  Json value = std::string(seed_bytes, 'x');
  for (int i = 0; i < levels; ++i) value = {{"Fn::Join", {value, {"", "", ""}}}};
  return with_value(value);
}

TEST(TemplateLimits, AStringDoubledPastTheValueBoundIsRefusedWithWhere) {
  // 1 KB doubled 12 times is 4 MB: over the bound of 1,000,000 bytes.
  auto v = evaluate_value(doubling(12, 1024));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message,
            "a string evaluates to 1048576 bytes; layered evaluates none over 1000000 bytes (the largest "
            "template CloudFormation takes)");
  EXPECT_EQ(v.error().where.rfind("S/R.Properties.Value.Fn::Join[0]", 0), 0u) << v.error().where;
}

TEST(TemplateLimits, ADoublingToTerabytesEndsAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  auto v = evaluate_value(doubling(60, 1024));
  EXPECT_FALSE(v.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(TemplateLimits, TotalEvaluationIsBounded) {
  // A 100 KB mapping value copied 700 times is 70 MB of values, from a
  // template of about 130 KB.
  Json tpl = with_value(nullptr);
  tpl["Mappings"]["M"]["K"]["V"] = std::string(100 * 1024, 'm');
  Json list = Json::array();
  for (int i = 0; i < 700; ++i) list.push_back({{"Fn::FindInMap", {"M", "K", "V"}}});
  tpl["Resources"]["R"]["Properties"]["Value"] = list;
  auto v = evaluate_value(tpl);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message,
            "evaluating the template produced over 67108864 bytes of values; layered stops here");
  EXPECT_EQ(v.error().where.rfind("S/R.Properties.Value[", 0), 0u) << v.error().where;
}

TEST(TemplateLimits, CountsUseCloudFormationsWording) {
  const Json resource = {{"Type", "AWS::SSM::Parameter"}};
  Json tpl;
  tpl["Resources"] = section_of(501, "R", resource);
  EXPECT_EQ(parse_error(tpl).message,
            "Template format error: Number of resources, 501, is greater than maximum allowed, 500");
  tpl["Resources"] = section_of(500, "R", resource);
  EXPECT_TRUE(parse(tpl, "S").ok());

  tpl["Outputs"] = section_of(201, "O", {{"Value", "v"}});
  EXPECT_EQ(parse_error(tpl).message,
            "Template format error: Outputs count 201 is greater than max allowed 200");
  tpl.erase("Outputs");
  tpl["Parameters"] = section_of(201, "P", {{"Type", "String"}, {"Default", "d"}});
  EXPECT_EQ(parse_error(tpl).message,
            "Template format error: Parameter count 201 is greater than max allowed 200");
  tpl.erase("Parameters");
  tpl["Mappings"] = section_of(201, "M", {{"K", {{"V", "v"}}}});
  EXPECT_EQ(parse_error(tpl).message,
            "Template format error: Mappings count 201 is greater than max allowed 200");
  tpl["Mappings"] = {{"M", section_of(201, "K", {{"V", "v"}})}};
  auto e = parse_error(tpl);
  EXPECT_EQ(e.message, "Template format error: Mapping attributes count 201 is greater than max allowed 200");
  EXPECT_EQ(e.where, "S/Mappings/M");
}

TEST(TemplateLimits, NamesAreAlphanumericAndAtMost255Characters) {
  Json tpl;
  tpl["Resources"]["My_Topic"] = {{"Type", "AWS::SNS::Topic"}};
  auto e = parse_error(tpl);
  EXPECT_EQ(e.message, "Template format error: Resource name My_Topic is non alphanumeric.");
  EXPECT_EQ(e.where, "S/Resources");
  tpl["Resources"] = {{std::string(256, 'A'), {{"Type", "AWS::SNS::Topic"}}}};
  EXPECT_EQ(parse_error(tpl).message, "Template format error: Resource name " + std::string(40, 'A') +
                                          "... is 256 characters long; the maximum is 255");
  tpl["Resources"] = {{std::string(255, 'A'), {{"Type", "AWS::SNS::Topic"}}}};
  EXPECT_TRUE(parse(tpl, "S").ok());
  tpl["Outputs"]["Out-1"] = {{"Value", "v"}};
  EXPECT_EQ(parse_error(tpl).message, "Template format error: Output name Out-1 is non alphanumeric.");
}

TEST(TemplateLimits, ParameterValuesAndExportsAreBounded) {
  Json tpl = with_value("v");
  tpl["Parameters"]["Big"] = {{"Type", "String"}, {"Default", std::string(4097, 'p')}};
  auto t = parse(tpl, "S");
  ASSERT_TRUE(t.ok());
  Evaluator ev(*t, Environment{});
  auto prepared = ev.prepare();
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.error().message,
            "the value of Parameter 'Big' is 4097 bytes; CloudFormation takes at most 4096");
  EXPECT_EQ(prepared.error().where, "S/Parameters/Big");

  Json out = with_value("v");
  out["Outputs"]["Long"] = {{"Value", std::string(1025, 'o')}, {"Export", {{"Name", "long"}}}};
  auto t2 = parse(out, "S");
  ASSERT_TRUE(t2.ok());
  Evaluator ev2(*t2, Environment{});
  ASSERT_TRUE(ev2.prepare().ok());
  auto outputs = ev2.evaluate_outputs();
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.error().message,
            "Cannot export output Long with length 1025. Max length of 1024 exceeded.");
}

}  // namespace
}  // namespace layered::cfn
