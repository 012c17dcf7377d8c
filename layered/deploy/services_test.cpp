// The services a function is wired to are recorded only, but what refers to
// them reads CloudFormation's shapes: a queue's Ref is its URL, a topic's its
// ARN, a bucket's name is lower case. An attribute nothing here can know is
// a marked placeholder, not a failed deploy. A container image function is
// recorded the same way, so the stack around it deploys.
#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "deploy/deploy_test_util.hpp"

namespace layered::deploy::testing {
namespace {

class ServiceResources : public DeployFixture {
 protected:
  // The conditions fixture with `resources` added and the function's
  // environment set to `variables`.
  Result<std::vector<StackResult>> deploy_with(const Json& resources, const Json& variables) {
    const fs::path dir = use("conditions");
    const fs::path file = dir / "Conditions-example.template.json";
    Json tpl = read_json(file);
    for (const auto& [id, resource] : resources.items()) tpl["Resources"][id] = resource;
    tpl["Resources"]["Fn9270CBC0"]["Properties"]["Environment"] = {{"Variables", variables}};
    write_json(file, tpl);
    return run(dir, {});
  }

  std::string variable(const std::string& name) {
    auto f = state_->find_function("Conditions-example/Fn");
    EXPECT_TRUE(f.ok());
    if (!f.ok()) return "";
    for (const auto& [key, value] : f->environment)
      if (key == name) return value;
    return "<unset>";
  }
};

Json ref(const std::string& id) { return {{"Ref", id}}; }
Json att(const std::string& id, const std::string& attribute) {
  return {{"Fn::GetAtt", Json::array({id, attribute})}};
}

TEST_F(ServiceResources, RefAndGetAttHaveCloudFormationsShapes) {
  const Json resources = {
      {"Uploads4F6EB0FD", {{"Type", "AWS::S3::Bucket"}}},
      {"Q63C6E3AB", {{"Type", "AWS::SQS::Queue"}}},
      {"TopicBFC7AF6E", {{"Type", "AWS::SNS::Topic"}}},
      {"TableCD117FA1", {{"Type", "AWS::DynamoDB::Table"}, {"Properties", {{"TableName", "orders"}}}}},
      {"Key961B73FD", {{"Type", "AWS::KMS::Key"}}},
  };
  const Json variables = {
      {"BUCKET", ref("Uploads4F6EB0FD")},
      {"BUCKET_ARN", att("Uploads4F6EB0FD", "Arn")},
      {"QUEUE_URL", ref("Q63C6E3AB")},
      {"QUEUE_NAME", att("Q63C6E3AB", "QueueName")},
      {"QUEUE_ARN", att("Q63C6E3AB", "Arn")},
      {"TOPIC", ref("TopicBFC7AF6E")},
      {"TABLE", ref("TableCD117FA1")},
      {"TABLE_ARN", att("TableCD117FA1", "Arn")},
      {"KEY", ref("Key961B73FD")},
  };
  auto result = deploy_with(resources, variables);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  const std::string bucket = variable("BUCKET");
  EXPECT_EQ(bucket.rfind("conditions-example-uploads4f6eb0fd-", 0), 0u) << bucket;
  EXPECT_EQ(variable("BUCKET_ARN"), "arn:aws:s3:::" + bucket);
  const std::string queue = variable("QUEUE_NAME");
  EXPECT_EQ(queue.rfind("Conditions-example-Q63C6E3AB-", 0), 0u) << queue;
  EXPECT_EQ(variable("QUEUE_URL"), "https://sqs.us-east-1.amazonaws.com/123456789012/" + queue);
  EXPECT_EQ(variable("QUEUE_ARN"), "arn:aws:sqs:us-east-1:123456789012:" + queue);
  EXPECT_EQ(
      variable("TOPIC").rfind("arn:aws:sns:us-east-1:123456789012:Conditions-example-TopicBFC7AF6E-", 0), 0u);
  EXPECT_EQ(variable("TABLE"), "orders");
  EXPECT_EQ(variable("TABLE_ARN"), "arn:aws:dynamodb:us-east-1:123456789012:table/orders");
  EXPECT_EQ(variable("KEY").size(), 36u) << variable("KEY");
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ(result->front().not_emulated.size(), 5u);
}

TEST_F(ServiceResources, AnAttributeNothingHereKnowsIsAMarkedPlaceholder) {
  // LambdaRestApi's proxy resource reads the API's RootResourceId; an
  // unknown type's attribute has no local value at all.
  const Json resources = {
      {"RestApi0C43BF4B", {{"Type", "AWS::ApiGateway::RestApi"}, {"Properties", {{"Name", "api"}}}}},
      {"Proxy",
       {{"Type", "AWS::ApiGateway::Resource"},
        {"Properties",
         {{"ParentId", att("RestApi0C43BF4B", "RootResourceId")},
          {"PathPart", "{proxy+}"},
          {"RestApiId", ref("RestApi0C43BF4B")}}}}},
      {"Cache", {{"Type", "AWS::ElastiCache::CacheCluster"}}},
  };
  const Json variables = {{"ROOT", att("RestApi0C43BF4B", "RootResourceId")},
                          {"CACHE", att("Cache", "RedisEndpoint.Address")}};
  auto result = deploy_with(resources, variables);
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ(variable("ROOT").size(), 10u) << variable("ROOT");
  EXPECT_EQ(variable("CACHE"), "<Cache.RedisEndpoint.Address: not emulated>");
  EXPECT_TRUE(
      said("Conditions-example: note: AWS::ElastiCache::CacheCluster Cache is recorded only; "
           "Fn::GetAtt Cache.RedisEndpoint.Address is given the placeholder "
           "'<Cache.RedisEndpoint.Address: not emulated>'"))
      << ::testing::PrintToString(progress_);
}

// DockerImageFunction: layered runs no containers, but the stack around it
// deploys (it was refused whole, zip functions beside it included).
TEST_F(ServiceResources, AContainerImageFunctionIsRecordedAndTheStackDeploys) {
  auto dir = use("conditions");
  const fs::path file = dir / "Conditions-example.template.json";
  Json tpl = read_json(file);
  Json image = tpl["Resources"]["Fn9270CBC0"];
  image["Properties"].erase("Runtime");
  image["Properties"].erase("Handler");
  image["Properties"]["PackageType"] = "Image";
  image["Properties"]["Code"] = {{"ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"}};
  tpl["Resources"]["ImageFn"] = image;
  tpl["Outputs"]["ImageArn"] = {{"Value", {{"Fn::GetAtt", Json::array({"ImageFn", "Arn"})}}}};
  write_json(file, tpl);
  auto result = run(dir, {});
  ASSERT_TRUE(result.ok()) << format_error(result.error());
  EXPECT_EQ((*result)[0].not_emulated, std::vector<std::string>{"AWS::Lambda::Function ImageFn"});
  auto functions = state_->functions();
  ASSERT_EQ(functions->size(), 1u) << "the zip function runs; the image one is a record";
  const auto outputs = (*result)[0].outputs;
  auto arn =
      std::find_if(outputs.begin(), outputs.end(), [](const auto& o) { return o.first == "ImageArn"; });
  ASSERT_NE(arn, outputs.end());
  EXPECT_EQ(
      arn->second.rfind("arn:aws:lambda:us-east-1:123456789012:function:Conditions-example-ImageFn-", 0), 0u)
      << arn->second;
  const std::string name = arn->second.substr(arn->second.find(":function:") + 10);
  auto looked_up = state_->find_function(name);
  ASSERT_FALSE(looked_up.ok());
  EXPECT_NE(looked_up.error().message.find("is a container image (PackageType Image)"), std::string::npos)
      << looked_up.error().message;
  EXPECT_EQ(looked_up.error().where, "Conditions-example/ImageFn");
}

}  // namespace
}  // namespace layered::deploy::testing
