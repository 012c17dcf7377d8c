// libFuzzer target for the doctor's ELF reader: any bytes must give an Info
// or an Error, never a crash, a hang or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "doctor/elf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto result = layered::doctor::elf::parse(bytes);
  if (result.ok()) {
    // Touch what a caller would read.
    volatile std::size_t n = result->needed.size() + result->version_defs.size() + result->interpreter.size();
    (void)n;
    (void)layered::doctor::elf::machine_name(result->machine, result->bits);
  }
  return 0;
}
