#include "doctor/elf.hpp"

#include <optional>
#include <set>

namespace layered::doctor::elf {

namespace {

// ELF constants (elf.h), named here so the reader needs no system header.
constexpr std::uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr std::uint64_t kDtNull = 0, kDtNeeded = 1, kDtStrtab = 5, kDtStrsz = 10, kDtSoname = 14,
                        kDtRpath = 15, kDtRunpath = 29, kDtVerdef = 0x6ffffffc, kDtVerdefnum = 0x6ffffffd,
                        kDtVerneed = 0x6ffffffe, kDtVerneednum = 0x6fffffff;
// Bounds on what a sane object has; a hostile file cannot make us loop longer.
constexpr std::uint64_t kMaxHeaders = 4096, kMaxDynamic = 1 << 16, kMaxVersions = 1 << 14, kMaxName = 4096;

// A window on the file where every read is checked against its end.
class Slice {
 public:
  Slice(std::string_view data, bool little) : data_(data), little_(little) {}

  std::optional<std::uint64_t> uint(std::uint64_t offset, int size) const {
    if (offset > data_.size() || data_.size() - offset < static_cast<std::uint64_t>(size))
      return std::nullopt;
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
      auto byte = static_cast<unsigned char>(data_[offset + (little_ ? size - 1 - i : i)]);
      value = (value << 8) | byte;
    }
    return value;
  }
  std::optional<std::string_view> sub(std::uint64_t offset, std::uint64_t size) const {
    if (offset > data_.size() || data_.size() - offset < size) return std::nullopt;
    return data_.substr(offset, size);
  }
  std::uint64_t size() const { return data_.size(); }

 private:
  std::string_view data_;
  bool little_;
};

struct Segment {
  std::uint32_t type;
  std::uint64_t offset, vaddr, filesz;
};

struct Dynamic {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;  // tag, value
  std::uint64_t value(std::uint64_t tag, std::uint64_t fallback = 0) const {
    for (const auto& [t, v] : entries)
      if (t == tag) return v;
    return fallback;
  }
  bool has(std::uint64_t tag) const {
    for (const auto& e : entries)
      if (e.first == tag) return true;
    return false;
  }
};

Error malformed(const std::string& what) { return make_error("malformed ELF file: " + what); }

class Parser {
 public:
  Parser(std::string_view bytes, bool little, bool is64) : file_(bytes, little), is64_(is64) {}

  Result<Info> run(Info info) {
    LAYERED_TRY(read_segments());
    for (const auto& s : segments_) {
      if (s.type == kPtInterp) {
        auto text = file_.sub(s.offset, s.filesz);
        if (!text) return malformed("PT_INTERP lies outside the file");
        info.interpreter = std::string(text->substr(0, text->find('\0')));
      }
    }
    for (const auto& s : segments_)
      if (s.type == kPtDynamic) {
        info.dynamic = true;
        LAYERED_TRY(read_dynamic(s, info));
        break;
      }
    return info;
  }

 private:
  std::uint64_t word() const { return is64_ ? 8 : 4; }

  Status read_segments() {
    auto phoff = file_.uint(is64_ ? 32 : 28, static_cast<int>(word()));
    auto phentsize = file_.uint(is64_ ? 54 : 42, 2);
    auto phnum = file_.uint(is64_ ? 56 : 44, 2);
    if (!phoff || !phentsize || !phnum) return malformed("truncated header");
    if (*phnum == 0) return Ok{};
    if (*phnum > kMaxHeaders || *phentsize < (is64_ ? 56u : 32u))
      return malformed("bad program header table");
    for (std::uint64_t i = 0; i < *phnum; ++i) {
      std::uint64_t at = *phoff + i * *phentsize;
      if (at < *phoff) return malformed("program header table overflows");
      auto type = file_.uint(at, 4);
      auto offset = file_.uint(at + (is64_ ? 8 : 4), static_cast<int>(word()));
      auto vaddr = file_.uint(at + (is64_ ? 16 : 8), static_cast<int>(word()));
      auto filesz = file_.uint(at + (is64_ ? 32 : 16), static_cast<int>(word()));
      if (!type || !offset || !vaddr || !filesz)
        return malformed("program header table lies outside the file");
      segments_.push_back(Segment{static_cast<std::uint32_t>(*type), *offset, *vaddr, *filesz});
    }
    return Ok{};
  }

  // File offset of virtual address `vaddr`, through the PT_LOAD segments.
  std::optional<std::uint64_t> offset_of(std::uint64_t vaddr) const {
    for (const auto& s : segments_) {
      if (s.type != kPtLoad || vaddr < s.vaddr) continue;
      std::uint64_t delta = vaddr - s.vaddr;
      if (delta < s.filesz && s.offset + delta >= s.offset) return s.offset + delta;
    }
    return std::nullopt;
  }

  // The NUL-terminated string at `index` of the dynamic string table.
  std::optional<std::string> str(std::uint64_t index) const {
    if (index >= strtab_.size()) return std::nullopt;
    auto end = strtab_.find('\0', index);
    if (end == std::string_view::npos || end - index > kMaxName) return std::nullopt;
    return std::string(strtab_.substr(index, end - index));
  }

  Status read_dynamic(const Segment& seg, Info& info) {
    Dynamic dyn;
    const std::uint64_t entry = 2 * word();
    for (std::uint64_t i = 0; i < kMaxDynamic && (i + 1) * entry <= seg.filesz; ++i) {
      auto tag = file_.uint(seg.offset + i * entry, static_cast<int>(word()));
      auto val = file_.uint(seg.offset + i * entry + word(), static_cast<int>(word()));
      if (!tag || !val) return malformed("dynamic section lies outside the file");
      if (*tag == kDtNull) break;
      dyn.entries.emplace_back(*tag, *val);
    }
    if (dyn.has(kDtStrtab)) {
      auto at = offset_of(dyn.value(kDtStrtab));
      if (!at || *at > file_.size()) return malformed("DT_STRTAB points outside the file");
      std::uint64_t size = std::min<std::uint64_t>(dyn.value(kDtStrsz), file_.size() - *at);
      strtab_ = *file_.sub(*at, size);
    }
    // ld.so keeps one entry per tag, the last (elf/get-dynamic-info.h:
    // info[tag] = dyn), so only the last DT_RPATH and DT_RUNPATH count.
    std::optional<std::uint64_t> rpath, runpath;
    std::set<std::string> needed;
    for (const auto& [tag, value] : dyn.entries) {
      if (tag == kDtRpath) rpath = value;
      if (tag == kDtRunpath) runpath = value;
      if (tag != kDtNeeded && tag != kDtSoname) continue;
      auto text = str(value);
      if (!text) return malformed("a dynamic entry names a string outside the string table");
      // A name needed twice is loaded once.
      if (tag == kDtNeeded && needed.insert(*text).second) info.needed.push_back(*text);
      if (tag == kDtSoname) info.soname = *text;
    }
    for (auto [index, out] : {std::pair{rpath, &info.rpath}, std::pair{runpath, &info.runpath}}) {
      if (!index) continue;
      auto text = str(*index);
      if (!text) return malformed("a dynamic entry names a string outside the string table");
      split_into(*text, *out);
    }
    if (dyn.has(kDtVerneed)) LAYERED_TRY(read_verneed(dyn.value(kDtVerneed), dyn.value(kDtVerneednum), info));
    if (dyn.has(kDtVerdef)) LAYERED_TRY(read_verdef(dyn.value(kDtVerdef), dyn.value(kDtVerdefnum), info));
    return Ok{};
  }

  // The directories of a search path, each once: ld.so drops a directory
  // already in the list (elf/dl-load.c, fillin_rpath), and a crafted
  // "a:a:a:..." must not cost a search per repetition.
  static void split_into(const std::string& text, std::vector<std::string>& out) {
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find(':', start);
      if (end == std::string::npos) end = text.size();
      std::string dir = text.substr(start, end - start);
      if (!dir.empty() && seen.insert(dir).second) out.push_back(std::move(dir));
      start = end + 1;
    }
  }

  // Elf_Verneed {u16 version, u16 cnt, u32 file, u32 aux, u32 next} and
  // Elf_Vernaux {u32 hash, u16 flags, u16 other, u32 name, u32 next}: the same
  // layout in 32- and 64-bit files.
  Status read_verneed(std::uint64_t vaddr, std::uint64_t count, Info& info) {
    auto at = offset_of(vaddr);
    if (!at) return malformed("DT_VERNEED points outside the file");
    std::uint64_t pos = *at;
    for (std::uint64_t i = 0; i < std::min(count, kMaxVersions); ++i) {
      auto cnt = file_.uint(pos + 2, 2), file = file_.uint(pos + 4, 4);
      auto aux = file_.uint(pos + 8, 4), next = file_.uint(pos + 12, 4);
      if (!cnt || !file || !aux || !next) return malformed("version needs lie outside the file");
      auto name = str(*file);
      if (!name) return malformed("a version need names a string outside the string table");
      auto& versions = info.version_needs[*name];
      std::uint64_t a = pos + *aux;
      for (std::uint64_t j = 0; j < *cnt; ++j) {
        auto vname = file_.uint(a + 8, 4), vnext = file_.uint(a + 12, 4);
        if (!vname || !vnext) return malformed("version needs lie outside the file");
        auto v = str(*vname);
        if (!v) return malformed("a version need names a string outside the string table");
        versions.push_back(*v);
        if (++versions_read_ > kMaxVersions) return malformed("too many version entries");
        if (*vnext == 0) break;
        a += *vnext;
      }
      if (*next == 0) break;
      pos += *next;
    }
    return Ok{};
  }

  // Elf_Verdef {u16 version, u16 flags, u16 ndx, u16 cnt, u32 hash, u32 aux,
  // u32 next} and Elf_Verdaux {u32 name, u32 next}. Only the first aux names
  // the version; the others are its parents.
  Status read_verdef(std::uint64_t vaddr, std::uint64_t count, Info& info) {
    auto at = offset_of(vaddr);
    if (!at) return malformed("DT_VERDEF points outside the file");
    std::uint64_t pos = *at;
    for (std::uint64_t i = 0; i < std::min(count, kMaxVersions); ++i) {
      auto cnt = file_.uint(pos + 6, 2), aux = file_.uint(pos + 12, 4), next = file_.uint(pos + 16, 4);
      if (!cnt || !aux || !next) return malformed("version definitions lie outside the file");
      if (*cnt > 0) {
        auto vname = file_.uint(pos + *aux, 4);
        if (!vname) return malformed("version definitions lie outside the file");
        auto v = str(*vname);
        if (!v) return malformed("a version definition names a string outside the string table");
        info.version_defs.push_back(*v);
        if (++versions_read_ > kMaxVersions) return malformed("too many version entries");
      }
      if (*next == 0) break;
      pos += *next;
    }
    return Ok{};
  }

  Slice file_;
  bool is64_;
  std::vector<Segment> segments_;
  std::string_view strtab_;
  std::uint64_t versions_read_ = 0;
};

}  // namespace

bool is_elf(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) ==
                                  "\x7f"
                                  "ELF";
}

Result<Info> parse(std::string_view bytes) {
  if (!is_elf(bytes)) return make_error("not an ELF file");
  if (bytes.size() < 52) return malformed("truncated header");
  Info info;
  const auto cls = static_cast<unsigned char>(bytes[4]);
  const auto data = static_cast<unsigned char>(bytes[5]);
  if (cls != 1 && cls != 2) return malformed("unknown ELF class " + std::to_string(cls));
  if (data != 1 && data != 2) return malformed("unknown byte order " + std::to_string(data));
  info.bits = cls == 2 ? 64 : 32;
  info.little_endian = data == 1;
  if (info.bits == 64 && bytes.size() < 64) return malformed("truncated header");
  Slice header(bytes, info.little_endian);
  info.type = static_cast<std::uint16_t>(*header.uint(16, 2));
  info.machine = static_cast<std::uint16_t>(*header.uint(18, 2));
  return Parser(bytes, info.little_endian, info.bits == 64).run(std::move(info));
}

std::string machine_name(std::uint16_t machine, int bits) {
  switch (machine) {
    case 62:
      return "x86_64";
    case 183:
      return "arm64";
    case 3:
      return "i386 (32-bit x86)";
    case 40:
      return "arm (32-bit)";
    case 8:
      return bits == 64 ? "mips64" : "mips";
    case 20:
      return "powerpc";
    case 21:
      return "powerpc64";
    case 22:
      return "s390";
    case 243:
      return "riscv" + std::to_string(bits);
    default:
      return "machine " + std::to_string(machine);
  }
}

}  // namespace layered::doctor::elf
