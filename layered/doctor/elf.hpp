// A careful reader of ELF files (untrusted input): every read goes through a
// bounds-checked slice, every count and chain is bounded, and a malformed file
// is an Error, never a crash. It reads what the dynamic loader reads: the
// program headers, PT_INTERP, the dynamic section and the version tables.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/common.hpp"

namespace layered::doctor::elf {

struct Info {
  int bits = 0;  // 32 or 64
  bool little_endian = true;
  std::uint16_t type = 0;  // ET_EXEC = 2, ET_DYN = 3, ...
  std::uint16_t machine = 0;
  std::string interpreter;          // PT_INTERP, "" if none
  bool dynamic = false;             // has a PT_DYNAMIC segment
  std::vector<std::string> needed;  // DT_NEEDED, in order, each name once
  std::string soname;
  // The last DT_RPATH and DT_RUNPATH (ld.so uses only those), split at ':',
  // each directory once.
  std::vector<std::string> rpath;
  std::vector<std::string> runpath;
  // DT_VERNEED: needed file -> version names (e.g. "libc.so.6" -> GLIBC_2.34).
  std::map<std::string, std::vector<std::string>> version_needs;
  // DT_VERDEF: the versions this object defines (its own name included).
  std::vector<std::string> version_defs;
};

// True if `bytes` start with the ELF magic.
bool is_elf(std::string_view bytes);

// Parses an ELF image held in memory.
Result<Info> parse(std::string_view bytes);

// Lambda's name for a machine ("x86_64", "arm64") or a readable name for
// others ("i386 (32-bit x86)", "arm (32-bit)", "machine 243").
std::string machine_name(std::uint16_t machine, int bits);

}  // namespace layered::doctor::elf
