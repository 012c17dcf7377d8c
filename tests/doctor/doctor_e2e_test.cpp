// Runs the real `layered doctor` binary, as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
};

// Runs `layered doctor ARGS` in `cwd`; stdout captured, stderr folded in.
Run doctor(const std::string& args, const fs::path& cwd = fs::current_path()) {
  std::string cmd = "cd '" + cwd.string() + "' && '" LAYERED_BIN "' doctor " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "doctor-e2e-XXXXXX").string();
    ASSERT_TRUE(mkdtemp(pattern.data()));
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(Scratch, CrlfBootstrapFailsWithOneLineToFix) {
  fs::create_directories(dir_ / "function");
  std::ofstream(dir_ / "function/bootstrap") << "#!/bin/sh\r\necho hi\r\n";
  fs::permissions(dir_ / "function/bootstrap", fs::perms(0755));
  fs::create_directories(dir_ / "layer/lib");
  auto r = doctor("--function function --layer layer", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out,
      "function (provided.al2023, x86_64; layers: layer)\n"
      "  error [bootstrap.crlf] /var/task/bootstrap (function): has Windows (CRLF) line endings, so the "
      "kernel "
      "looks for the interpreter '/bin/sh\\r' and fails with 'No such file or directory'\n"
      "    fix: convert it to LF line endings (dos2unix bootstrap) and keep it LF (.gitattributes: bootstrap "
      "eol=lf)\n"
      "1 error, 0 warnings in 1 function\n");
  auto json = doctor("--function function --layer layer --json", dir_);
  EXPECT_EQ(json.status, 1);
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["functions"][0]["findings"][0]["code"], "bootstrap.crlf");
}

TEST_F(Scratch, CleanPackageSaysSoAndExitsZero) {
  fs::create_directories(dir_ / "function");
  std::ofstream(dir_ / "function/bootstrap") << "#!/bin/sh\nexec echo hi\n";
  fs::permissions(dir_ / "function/bootstrap", fs::perms(0755));
  auto r = doctor("--function function", dir_);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out,
            "function (provided.al2023, x86_64; no layers)\n  no problems found\nno problems found in 1 "
            "function\n");
}

TEST_F(Scratch, UsageErrors) {
  auto r = doctor("--layer nowhere", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(
      r.out,
      "layered: error: nowhere: layer 'nowhere': no such file or directory\n  pass a directory or a .zip\n");
  fs::create_directories(dir_ / "l");
  r = doctor("--layer l --arch arm65", dir_);
  EXPECT_EQ(r.out, "layered: error: unknown architecture 'arm65'\n  did you mean 'arm64'?\n");
}

// doctor evaluates templates as deploy does: a legacy-synthesis layer whose
// S3Key is built from asset parameters is found and checked.
TEST_F(Scratch, LegacySynthesisLayerIsResolvedAsDeployResolvesIt) {
  const std::string app = std::string(LAYERED_SOURCE) + "/tests/fixtures/assemblies/legacy-assets";
  auto r = doctor("--app '" + app + "' --state '" + (dir_ / "state").string() + "' --json", dir_);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["functions"][0]["layers"], nlohmann::json::array({"LegacyLayer1A2B3C4D"}));
}

// A layer passed to another stack as a weak reference (Fn::GetStackOutput,
// what `cdk init` apps now synthesize) is found as deploy finds it: through
// the producer's output, before anything is deployed.
TEST_F(Scratch, WeakReferenceLayerIsResolvedAsDeployResolvesIt) {
  const std::string app = std::string(LAYERED_SOURCE) + "/tests/fixtures/assemblies/weak-references";
  auto r = doctor("--app '" + app + "' --state '" + (dir_ / "state").string() + "' --json", dir_);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["functions"].size(), 1u) << r.out;
  EXPECT_EQ(j["functions"][0]["layers"], nlohmann::json::array({"GreeterA41DC22A"})) << r.out;
  for (const auto& finding : j["functions"][0]["findings"]) {
    EXPECT_NE(finding["code"], "layer.unresolved") << finding;
    EXPECT_NE(finding["code"], "template.error") << finding;
  }
}

// The example system that scripts/build.sh produces must come out clean, as
// directories and as the zips that ship.
TEST(RealBuild, ExampleFunctionsAreClean) {
  fs::path build = fs::path(LAYERED_SOURCE) / "build";
  if (!fs::exists(build / "layers/external") || !fs::exists(build / "functions/greeting"))
    GTEST_SKIP() << "no build/layers or build/functions: run scripts/build.sh first";
  for (const char* fn : {"greeting", "catalog"}) {
    for (const char* ext : {"", ".zip"}) {
      std::string args = std::string("--layer layers/external") + ext + " --layer layers/cpputils" + ext +
                         " --function functions/" + fn + ext;
      auto r = doctor(args, build);
      EXPECT_EQ(r.status, 0) << args << "\n" << r.out;
      EXPECT_NE(r.out.find("no problems found in 1 function"), std::string::npos) << args << "\n" << r.out;
    }
  }
}

// The same through the cloud assembly: layers found via Fn::ImportValue.
TEST(RealBuild, AssemblyFunctionsAreClean) {
  fs::path src = fs::path(LAYERED_SOURCE);
  if (!fs::exists(src / "cdk.out/manifest.json") || !fs::exists(src / "build/layers/external"))
    GTEST_SKIP() << "no cdk.out or build/: run scripts/build.sh and npx cdk synth first";
  auto r = doctor("--app cdk.out", src);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Lambda-layers-example/GreetingFunction (provided.al2023, x86_64; layers: "),
            std::string::npos)
      << r.out;
  // The Python example's functions too, with their handler's imports checked
  // against the layers found through the export.
  EXPECT_NE(r.out.find("Lambda-layers-example-python/PythonCatalogFunction (python3.11, x86_64; layers: "
                       "lambda-layers-example-python-external, lambda-layers-example-pythonutils)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("no problems found in 4 functions"), std::string::npos) << r.out;
  auto typo = doctor("--app cdk.out Lambda-layers-example/GreetingFunctio", src);
  EXPECT_EQ(typo.status, 1);
  EXPECT_NE(typo.out.find("did you mean 'Lambda-layers-example/GreetingFunction'?"), std::string::npos)
      << typo.out;
}

}  // namespace
