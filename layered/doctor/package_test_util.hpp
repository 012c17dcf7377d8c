// A package built in a scratch directory and checked: the fixture of the
// Python and Node.js tests (function code, layers, runtime, handler), and
// what every doctor test asks of a report.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "doctor/doctor.hpp"
#include "doctor/inputs.hpp"

namespace layered::doctor {

namespace fs = std::filesystem;

// What the doctor tests ask of a report, shared by their fixtures.
namespace test_util {

// The package's report; a failed check fails the test.
inline Report run(const model::Function& p) {
  auto r = check(p);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.error()));
  return r.ok() ? *r : Report{};
}

// The findings with `code`.
inline std::vector<Finding> with(const Report& r, const std::string& code) {
  std::vector<Finding> out;
  for (const auto& f : r.functions.at(0).findings)
    if (f.code == code) out.push_back(f);
  return out;
}

// Every finding above info, a line each: what a failed assertion shows.
inline std::string codes(const Report& r) {
  std::string out;
  for (const auto& f : r.functions.at(0).findings)
    if (f.severity != Severity::info) out += f.code + " " + f.file + "\n";
  return out;
}

}  // namespace test_util

using test_util::codes;
using test_util::run;
using test_util::with;

class PackageTest : public ::testing::Test {
 protected:
  fs::path root() const { return tmp_.path(); }

  void write(const fs::path& rel, const std::string& bytes) {
    fs::path p = root() / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
  }

  // A real ELF shared object at `rel`, built with the system compiler.
  void shared_object(const fs::path& rel) {
    fs::path src = root() / "ext.c";
    std::ofstream(src) << "int ext_value(void) { return 42; }\n";
    fs::create_directories((root() / rel).parent_path());
    std::string cmd = "cc -shared -fPIC -o '" + (root() / rel).string() + "' '" + src.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  model::Function package(const std::vector<std::string>& layers, const std::string& runtime = "python3.11",
                          const std::string& handler = "handler.handler") {
    model::Function p;
    p.name = "fn";
    p.runtime = *model::parse_runtime(runtime);
    p.handler = handler;
    p.code_dir = (root() / "function").string();
    fs::create_directories(root() / "function");
    for (const auto& l : layers) p.layers.push_back({"", (root() / l).string(), l});
    return p;
  }

  TempDir tmp_;
};

}  // namespace layered::doctor
