#include "model/model.hpp"

#include <gtest/gtest.h>

using namespace layered;
using model::Runtime;

TEST(Runtime, EveryNameRoundTrips) {
  for (const auto& name : model::runtime_names()) {
    auto runtime = model::parse_runtime(name);
    ASSERT_TRUE(runtime) << name;
    EXPECT_EQ(model::to_string(*runtime), name);
  }
  // The newest in Lambda's model (botocore's Runtime enum): valid, not run here.
  for (const char* newest : {"java25", "dotnet10", "ruby4.0"}) {
    auto runtime = model::parse_runtime(newest);
    ASSERT_TRUE(runtime) << newest;
    EXPECT_FALSE(model::emulated(*runtime)) << newest;
  }
  EXPECT_FALSE(model::parse_runtime("pyhton3.12"));
  EXPECT_FALSE(model::parse_runtime(""));
}

TEST(Runtime, FamiliesAndWhatIsEmulated) {
  EXPECT_EQ(model::family(Runtime::provided_al2023), model::Family::custom);
  EXPECT_EQ(model::family(Runtime::provided), model::Family::custom);
  EXPECT_EQ(model::family(Runtime::python3_13), model::Family::python);
  EXPECT_EQ(model::family(Runtime::nodejs16_x), model::Family::nodejs);
  EXPECT_EQ(model::family(Runtime::java21), model::Family::other);
  EXPECT_TRUE(model::emulated(Runtime::nodejs22_x));
  EXPECT_FALSE(model::emulated(Runtime::java21));
  EXPECT_FALSE(model::emulated(Runtime::provided));
}

TEST(Runtime, InlineCodeGoesToIndexForPythonAndNodeOnly) {
  EXPECT_EQ(model::inline_code_file(Runtime::python3_12), "index.py");
  EXPECT_EQ(model::inline_code_file(Runtime::nodejs22_x), "index.js");
  EXPECT_FALSE(model::inline_code_file(Runtime::provided_al2023));
  EXPECT_FALSE(model::inline_code_file(Runtime::java21));
}

TEST(Runtime, InlinePackageAddsCfnResponseOnlyForTheExactImport) {
  auto names = [](Runtime runtime, const std::string& code) {
    std::string out;
    for (const auto& [name, content] : model::inline_package(runtime, code)) out += name + " ";
    return out;
  };
  EXPECT_EQ(names(Runtime::python3_12, "def handler(e, c): pass\n"), "index.py ");
  EXPECT_EQ(names(Runtime::python3_12, "import json\n  import cfnresponse  \r\ndef handler(e, c): pass"),
            "index.py cfnresponse.py ");
  for (const char* other : {"from cfnresponse import send\n", "# import cfnresponse\n",
                            "import cfnresponse2\n", "import json, cfnresponse\n"})
    EXPECT_EQ(names(Runtime::python3_12, other), "index.py ") << other;
  EXPECT_EQ(names(Runtime::nodejs22_x, "const r = require( 'cfn-response' );"), "index.js cfn-response.js ");
  EXPECT_EQ(names(Runtime::nodejs22_x, "const r = require(\"cfn-response\")"), "index.js cfn-response.js ");
  EXPECT_EQ(names(Runtime::nodejs22_x, "require('cfn-response-x')"), "index.js ");
  EXPECT_EQ(names(Runtime::provided_al2023, "import cfnresponse\n"), "");
  auto files = model::inline_package(Runtime::python3_12, "import cfnresponse\n");
  EXPECT_NE(files.back().second.find("def send(event, context, responseStatus, responseData"),
            std::string::npos);
}

TEST(Runtime, DeprecatedOnesNameTheirReplacement) {
  EXPECT_TRUE(model::deprecated(Runtime::provided));
  EXPECT_EQ(model::replacement(Runtime::provided), Runtime::provided_al2023);
  EXPECT_EQ(model::replacement(Runtime::go1_x), Runtime::provided_al2023);
  EXPECT_EQ(model::replacement(Runtime::python3_7), Runtime::python3_13);
  EXPECT_EQ(model::replacement(Runtime::nodejs16_x), Runtime::nodejs22_x);
  EXPECT_FALSE(model::deprecated(Runtime::provided_al2));
  EXPECT_EQ(model::replacement(Runtime::provided_al2), Runtime::provided_al2);
}

TEST(Runtime, OneMessageForADeprecatedRuntime) {
  auto r = model::supported_runtime("App/Legacy", "provided", "App/Legacy.Properties.Runtime");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().message,
      "function 'App/Legacy': the runtime 'provided' is no longer supported for creating or updating AWS "
      "Lambda functions");
  EXPECT_EQ(r.error().where, "App/Legacy.Properties.Runtime");
  EXPECT_EQ(
      r.error().hint,
      "set the function's runtime to 'provided.al2023' (Lambda's replacement for 'provided') and deploy "
      "again");
}

TEST(Runtime, UnknownRuntimeSaysDidYouMean) {
  auto r = model::supported_runtime("fn", "pyhton3.12");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "function 'fn': unknown runtime 'pyhton3.12'");
  EXPECT_EQ(r.error().hint.rfind("did you mean 'python3.12'?", 0), 0u) << r.error().hint;
  EXPECT_EQ(*model::supported_runtime("fn", "nodejs20.x"), Runtime::nodejs20_x);
}

TEST(Architecture, ParseAndPrint) {
  EXPECT_EQ(model::parse_architecture("arm64"), model::Architecture::arm64);
  EXPECT_EQ(model::parse_architecture("x86_64"), model::Architecture::x86_64);
  EXPECT_FALSE(model::parse_architecture("aarch64"));
  EXPECT_EQ(model::to_string(model::Architecture::arm64), "arm64");
}

TEST(Function, IsAPlainValueWithADisplayName) {
  model::Function f;
  f.name = "App-Fn-1";
  EXPECT_EQ(f.display_name(), "App-Fn-1");
  f.construct_path = "App/Fn";
  f.layers.push_back({"arn:aws:lambda:us-east-1:123456789012:layer:external:3", "/x", "external:3"});
  model::Function copy = f;  // a version is a snapshot: a copy
  copy.layers.clear();
  EXPECT_EQ(f.display_name(), "App/Fn");
  EXPECT_EQ(f.layers.size(), 1u);
  EXPECT_EQ(model::layer_display_name(f.layers[0].arn), "external:3");
}

TEST(Layer, VersionArnsFollowLambdasPattern) {
  auto id = model::parse_layer_version_arn("arn:aws:lambda:us-east-1:017000801446:layer:Power_tools-V2:40");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "Power_tools-V2");
  EXPECT_EQ(id->version, 40);
  EXPECT_TRUE(model::parse_layer_version_arn("arn:aws-cn:lambda:cn-north-1:017000801446:layer:x:0"));
  for (const char* bad :
       {"nonsense", "arn:aws:lambda:us-east-1:0170008014:layer:x:1",
        "arn:aws:lambda:us-east-1:017000801446:layer:x", "arn:aws:lambda:us-east-1:017000801446:function:x:1",
        "arn:aws:lambda:us-east-1:017000801446:layer:x.y:1",
        "arn:aws:lambda:us-east-1:017000801446:layer:x:1a"})
    EXPECT_FALSE(model::parse_layer_version_arn(bad)) << bad;
}
