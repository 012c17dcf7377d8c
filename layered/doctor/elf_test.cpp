#include "doctor/elf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace layered::doctor::elf {
namespace {

std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Elf, RejectsNonElf) {
  auto r = parse("hello");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "not an ELF file");
}

TEST(Elf, ReadsThisMachinesLibc) {
  auto r = parse(slurp("/lib/x86_64-linux-gnu/libc.so.6"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bits, 64);
  EXPECT_EQ(machine_name(r->machine, r->bits), "x86_64");
  EXPECT_EQ(r->soname, "libc.so.6");
  EXPECT_EQ(r->needed, std::vector<std::string>{"ld-linux-x86-64.so.2"});
  auto& defs = r->version_defs;
  EXPECT_NE(std::find(defs.begin(), defs.end(), "GLIBC_2.34"), defs.end());
  auto& needs = r->version_needs.at("ld-linux-x86-64.so.2");
  EXPECT_NE(std::find(needs.begin(), needs.end(), "GLIBC_PRIVATE"), needs.end());
}

TEST(Elf, ReadsAnExecutable) {
  auto r = parse(slurp("/proc/self/exe"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_NE(std::find(r->needed.begin(), r->needed.end(), "libc.so.6"), r->needed.end());
  EXPECT_TRUE(r->version_needs.count("libc.so.6"));
}

TEST(Elf, TruncatedFilesAreErrorsNotCrashes) {
  std::string libc = slurp("/lib/x86_64-linux-gnu/libc.so.6");
  for (std::size_t n : {4, 20, 63, 64, 200, 1000, 5000, 100000}) {
    auto r = parse(std::string_view(libc).substr(0, n));
    EXPECT_FALSE(r.ok()) << n;
  }
  std::string bad = libc;
  bad[4] = 7;
  EXPECT_EQ(parse(bad).error().message, "malformed ELF file: unknown ELF class 7");
}

}  // namespace
}  // namespace layered::doctor::elf
