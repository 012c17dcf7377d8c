#include "doctor/elf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

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

// A 64-bit x86_64 shared object mapped whole at address 0 by one PT_LOAD:
// its dynamic section is `entries` (tag, value; a value of kStrtab is the
// string table's address) after the string table `strings`.
constexpr std::uint64_t kStrtab = ~0ull;

std::string tiny_elf(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& entries,
                     const std::string& strings) {
  auto put = [](std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const std::uint64_t phoff = 64, strtab = phoff + 2 * 56;
  const std::uint64_t dyn = (strtab + strings.size() + 7) & ~7ull;
  const std::uint64_t dyn_size = (entries.size() + 1) * 16, total = dyn + dyn_size;
  std::string out(16, '\0');  // e_ident: magic, 64-bit, little endian, version 1
  out.replace(0, 7,
              "\x7f"
              "ELF\x02\x01\x01");
  put(out, 3, 2), put(out, 62, 2), put(out, 1, 4), put(out, 0, 8), put(out, phoff, 8), put(out, 0, 8);
  put(out, 0, 4), put(out, 64, 2), put(out, 56, 2), put(out, 2, 2), put(out, 64, 2), put(out, 0, 2),
      put(out, 0, 2);
  using Header = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;  // type, offset, size
  for (auto [type, offset, size] : {Header{1, 0, total}, Header{2, dyn, dyn_size}}) {
    put(out, type, 4), put(out, 6, 4), put(out, offset, 8), put(out, offset, 8), put(out, offset, 8);
    put(out, size, 8), put(out, size, 8), put(out, 8, 8);
  }
  out += strings;
  out.resize(dyn, '\0');
  for (auto [tag, value] : entries) put(out, tag, 8), put(out, value == kStrtab ? strtab : value, 8);
  put(out, 0, 8), put(out, 0, 8);  // DT_NULL
  return out;
}

TEST(Elf, OnlyTheLastRpathAndRunpathCountEachDirectoryOnce) {
  // Thousands of DT_RPATH entries, each naming a 4 KB "a:a:a:...": what
  // ld.so uses is the last entry, and each of its directories once.
  std::string strings = std::string("\0libc.so.6\0", 11);
  const std::uint64_t bomb = strings.size();
  for (int i = 0; i < 2047; ++i) strings += "a:";
  strings += '\0';
  const std::uint64_t last = strings.size();
  strings += std::string("/opt/lib:$ORIGIN:/opt/lib\0/run\0", 31);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries{
      {5, kStrtab}, {10, strings.size()}, {1, 1}, {1, 1}};
  for (int i = 0; i < 20000; ++i) entries.emplace_back(15, bomb);
  entries.emplace_back(15, last);
  for (int i = 0; i < 20000; ++i) entries.emplace_back(29, bomb);
  entries.emplace_back(29, last + 26);
  auto r = parse(tiny_elf(entries, strings));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->needed, std::vector<std::string>{"libc.so.6"});
  EXPECT_EQ(r->rpath, (std::vector<std::string>{"/opt/lib", "$ORIGIN"}));
  EXPECT_EQ(r->runpath, std::vector<std::string>{"/run"});
  entries.pop_back();
  entries.erase(entries.begin() + 4 + 20000);  // the bomb is now the last of each
  auto bombed = parse(tiny_elf(entries, strings));
  ASSERT_TRUE(bombed.ok()) << bombed.error().message;
  EXPECT_EQ(bombed->rpath, std::vector<std::string>{"a"});
  EXPECT_EQ(bombed->runpath, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace layered::doctor::elf
