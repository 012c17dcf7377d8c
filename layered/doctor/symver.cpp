#include "doctor/symver.hpp"

#include <algorithm>
#include <map>

namespace layered::doctor {

namespace {

std::string how_to_fix(Context& ctx, const std::string& family, const std::string& object_path) {
  std::string object = std::filesystem::path(object_path).filename().string();
  if (family == "GLIBC") {
    auto it = ctx.image.symbol_versions.find("GLIBC");
    std::string loader = ctx.function.architecture == model::Architecture::arm64 ? "ld-linux-aarch64.so.1"
                                                                                 : "ld-linux-x86-64.so.2";
    return "build '" + object + "' against glibc " +
           (it == ctx.image.symbol_versions.end() ? "" : it->second + " ") +
           "or older, or ship glibc in a layer and start through it (-Wl,--dynamic-linker=/opt/lib/" +
           loader + ",--disable-new-dtags,-rpath,/opt/lib)";
  }
  if (family == "GCC")
    return "ship the libgcc_s.so.1 you built with in a layer's lib/, or link with -static-libgcc";
  return "ship the libstdc++.so.6 you built with in a layer's lib/ and load it first "
         "(-Wl,--disable-new-dtags,-rpath,/opt/lib), or link with -static-libstdc++";
}

// The highest version per family in `names` (numbered families only).
std::map<std::string, std::string> highest(const std::vector<std::string>& names) {
  std::map<std::string, std::string> out;
  for (const auto& name : names) {
    auto v = parse_version(name);
    if (!v) continue;
    auto& best = out[v->family];
    if (best.empty() || image::compare_versions(v->number, best) > 0) best = v->number;
  }
  return out;
}

void against_image(Context& ctx, const ElfFile& object, const std::string& needed, const Located& target,
                   const std::vector<std::string>& versions) {
  for (const auto& [family, number] : highest(versions)) {
    std::string want = family + "_" + number;
    if (image_defines(ctx.image, want)) continue;
    auto offered = ctx.image.symbol_versions.find(family);
    std::string has = offered == ctx.image.symbol_versions.end()
                          ? "has no " + family + " versions at all"
                          : "has only up to " + family + "_" + offered->second;
    ctx.add(Severity::error, "symver.too-new", object.path, object.entry->source->label,
            "needs " + want + " from '" + needed + "', but " + ctx.image.runtime + "'s '" + target.path +
                "' " + has + " (version `" + want + "' not found)",
            how_to_fix(ctx, family, object.path));
  }
}

void against_copy(Context& ctx, const ElfFile& object, const std::string& needed, const Located& target,
                  const ElfFile& copy, const std::vector<std::string>& versions) {
  const auto& defs = copy.info.version_defs;
  if (defs.empty()) return;  // an unversioned library: ld.so does not check
  std::vector<std::string> missing;
  for (const auto& v : versions)
    if (std::find(defs.begin(), defs.end(), v) == defs.end()) missing.push_back(v);
  if (missing.empty()) return;
  auto newest = highest(defs);
  auto report = [&](const std::string& want, const std::string& family) {
    std::string note;
    if (auto it = newest.find(family); it != newest.end())
      note = " (its newest is " + family + "_" + it->second + ")";
    ctx.add(Severity::error, "symver.too-new", object.path, object.entry->source->label,
            "needs " + want + " from '" + needed + "', but the copy it loads, '" + target.path + "' (" +
                target.label() + "), does not define it" + note + " (version `" + want + "' not found)",
            "replace '" + target.path + "' with the " + needed + " that '" +
                std::filesystem::path(object.path).filename().string() +
                "' was built against, or rebuild against it");
  };
  for (const auto& [family, number] : highest(missing)) report(family + "_" + number, family);
  for (const auto& v : missing)
    if (!parse_version(v)) report(v, "");
}

}  // namespace

std::optional<Version> parse_version(const std::string& name) {
  for (const char* family : {"GLIBCXX", "GLIBC", "CXXABI", "GCC"}) {
    std::string prefix = std::string(family) + "_";
    if (name.rfind(prefix, 0) != 0) continue;
    std::string number = name.substr(prefix.size());
    bool numeric = !number.empty() && std::isdigit(static_cast<unsigned char>(number[0])) &&
                   std::all_of(number.begin(), number.end(), [](char c) {
                     return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
                   });
    if (numeric) return Version{family, number};
  }
  return std::nullopt;
}

bool image_defines(const image::BaseImage& image, const std::string& name) {
  auto v = parse_version(name);
  if (!v) return true;
  auto offered = image.symbol_versions.find(v->family);
  return offered != image.symbol_versions.end() && image::compare_versions(v->number, offered->second) <= 0;
}

void check_versions(Context& ctx, const ElfFile& object, const std::string& needed, const Located& target,
                    const ElfFile* target_elf) {
  auto it = object.info.version_needs.find(needed);
  if (it == object.info.version_needs.end()) return;
  if (!target.entry) {
    against_image(ctx, object, needed, target, it->second);
  } else if (target_elf) {
    against_copy(ctx, object, needed, target, *target_elf, it->second);
  }
}

}  // namespace layered::doctor
