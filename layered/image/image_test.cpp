#include "image/image.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace layered::image {
namespace {

TEST(Image, Al2023HasGlibc234AndGcc11Runtime) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->symbol_versions.at("GLIBC"), "2.34");
  EXPECT_EQ(image->symbol_versions.at("GCC"), "7.0.0");
  EXPECT_EQ(image->symbol_versions.at("GLIBCXX"), "3.4.29");
  EXPECT_EQ(image->symbol_versions.at("CXXABI"), "1.3.13");
  EXPECT_TRUE(image->has_file("/lib64/libc.so.6"));
  EXPECT_TRUE(image->has_file("/usr/lib64/libm.so.6"));
  EXPECT_TRUE(image->has_file("/lib64/libstdc++.so.6"));
  EXPECT_TRUE(image->has_file("/lib64/libgcc_s.so.1"));
  EXPECT_FALSE(image->has_file("/lib64/libgomp.so.1"));
  EXPECT_TRUE(image->has_file("/bin/sh"));
  EXPECT_TRUE(image->has_file("/bin/bash"));
  EXPECT_FALSE(image->has_file("/usr/bin/python3"));
  EXPECT_TRUE(image->has_file("/usr/bin/curl"));
}

TEST(Image, LdLibraryPathPutsImageDirectoriesBeforeTaskAndOpt) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  auto dirs = image->ld_library_path();
  ASSERT_EQ(dirs.size(), 8u);
  EXPECT_EQ(dirs.front(), "/var/lang/lib");
  EXPECT_EQ(dirs[1], "/lib64");
  EXPECT_EQ(dirs.back(), "/opt/lib");
}

TEST(Image, UnknownRuntimeSuggestsTheClosest) {
  auto image = load("provided.al2024");
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().message, "runtime 'provided.al2024' is not emulated");
  EXPECT_EQ(image.error().hint.rfind("did you mean 'provided.al2023'? known runtimes: nodejs18.x, ", 0), 0u)
      << image.error().hint;
}

TEST(Image, ManagedRuntimesExtendTheirOsImage) {
  auto python = load("python3.13");
  ASSERT_TRUE(python.ok());
  EXPECT_EQ(python->os_image, "provided.al2023");
  EXPECT_EQ(python->language, "python");
  EXPECT_EQ(python->language_version, "3.13");
  EXPECT_EQ(python->symbol_versions.at("GLIBC"), "2.34");
  EXPECT_EQ(python->env("AWS_EXECUTION_ENV"), "AWS_Lambda_python3.13");
  // Unset at start: Lambda's bootstrap.py sets it, unless the function did.
  EXPECT_EQ(python->env("PYTHONPATH"), "");
  EXPECT_EQ(python->env("PATH"), "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin");
  EXPECT_EQ(python->environment.front().first, "PATH");  // the base's order is kept
  auto old = load("python3.11");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->os_image, "provided.al2");
  EXPECT_EQ(old->symbol_versions.at("GLIBC"), "2.26");
  EXPECT_EQ(old->symbol_versions.at("GLIBCXX"), "3.4.24");
  EXPECT_TRUE(old->has_file("/lib64/libgcc_s.so.1"));
  auto node = load("nodejs18.x");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->os_image, "provided.al2");
  EXPECT_EQ(node->language_version, "18");
  EXPECT_EQ(node->env("NODE_PATH"),
            "/opt/nodejs/node18/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:"
            "/var/task");
  auto provided = load("provided.al2023");
  ASSERT_TRUE(provided.ok());
  EXPECT_EQ(provided->os_image, "provided.al2023");
  EXPECT_TRUE(provided->language.empty());
  EXPECT_TRUE(provided->env("AWS_EXECUTION_ENV").empty());
}

// The interpreter is this machine's: its OpenSSL's CA locations lead to the
// image's bundle in managed runtimes, and nowhere in the OS-only images (a
// native function bringing Debian's libssl finds no certificates on Lambda).
TEST(Image, InterpretersFindTheImagesCaBundle) {
  const std::pair<std::string, std::string> debian_file = {"/usr/lib/ssl/cert.pem",
                                                           "/etc/pki/tls/certs/ca-bundle.crt"};
  for (const char* runtime : {"python3.11", "python3.13", "nodejs20.x"}) {
    auto image = load(runtime);
    ASSERT_TRUE(image.ok());
    EXPECT_NE(std::find(image->symlinks.begin(), image->symlinks.end(), debian_file), image->symlinks.end())
        << runtime;
    EXPECT_EQ(image->canonical("/usr/lib/ssl/certs/ca-bundle.crt"), "/etc/pki/tls/certs/ca-bundle.crt");
  }
  for (const char* runtime : {"provided.al2023", "provided.al2"}) {
    auto image = load(runtime);
    ASSERT_TRUE(image.ok());
    EXPECT_EQ(std::find(image->symlinks.begin(), image->symlinks.end(), debian_file), image->symlinks.end())
        << runtime;
  }
}

// Names resolve through the outbound network's DNS forwarder (slirp4netns
// answers on 10.0.2.3), as a function on Lambda resolves names.
TEST(Image, NamesResolveThroughTheOutboundNetworksForwarder) {
  for (const char* runtime : {"provided.al2023", "provided.al2", "python3.11", "nodejs20.x"}) {
    auto image = load(runtime);
    ASSERT_TRUE(image.ok());
    auto conf = std::find_if(image->files.begin(), image->files.end(),
                             [](const File& f) { return f.path == "/etc/resolv.conf"; });
    ASSERT_NE(conf, image->files.end()) << runtime;
    EXPECT_EQ(conf->content, "nameserver 10.0.2.3\n") << runtime;
  }
}

TEST(Image, EveryImageNamesItsSources) {
  for (const auto& name : runtimes()) {
    auto image = load(name);
    ASSERT_TRUE(image.ok()) << name;
    EXPECT_FALSE(image->sources.empty()) << name;
  }
  auto python = load("python3.12");
  ASSERT_TRUE(python.ok());
  auto os = load("provided.al2023");
  ASSERT_TRUE(os.ok());
  ASSERT_GT(python->sources.size(), os->sources.size());
  EXPECT_EQ(python->sources.front(), os->sources.front());  // the OS image's first
}

TEST(Image, EveryLambdaPythonAndNodeRuntimeIsDescribed) {
  auto names = runtimes();
  for (const char* rt : {"python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
                         "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"})
    EXPECT_NE(std::find(names.begin(), names.end(), rt), names.end()) << rt;
}

TEST(Image, ComparesVersionsNumerically) {
  EXPECT_LT(compare_versions("2.34", "2.35"), 0);
  EXPECT_GT(compare_versions("3.4.30", "3.4.9"), 0);
  EXPECT_EQ(compare_versions("2.34", "2.34.0"), 0);
}

TEST(Image, CanonicalResolvesDirectoryLinks) {
  auto image = load("provided.al2023");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->canonical("/lib64/libc.so.6"), "/usr/lib64/libc.so.6");
  EXPECT_EQ(image->canonical("/bin/sh"), "/usr/bin/sh");
}

}  // namespace
}  // namespace layered::image
