// Symbol versions: what an ELF file needs from a library against what the
// copy it will load provides ("GLIBCXX_3.4.30 not found", predicted).
#pragma once

#include <optional>
#include <string>

#include "doctor/internal.hpp"

namespace layered::doctor {

// "GLIBCXX_3.4.30" -> {"GLIBCXX", "3.4.30"}; nullopt for names that are not
// a numbered version of a known family (GLIBC_PRIVATE, a library's own).
struct Version {
  std::string family;
  std::string number;
};
std::optional<Version> parse_version(const std::string& name);

// True if the image's libraries define symbol version `name` (GLIBC_2.34 on
// provided.al2023, not GLIBC_2.35); names outside the numbered families
// (GLIBC_PRIVATE) are not judged and count as defined.
bool image_defines(const image::BaseImage& image, const std::string& name);

// Checks the versions `object` needs from `needed` (DT_NEEDED name) against
// `target`, the file it resolved to (`target_elf` null for an image file).
void check_versions(Context& ctx, const ElfFile& object, const std::string& needed, const Located& target,
                    const ElfFile* target_elf);

}  // namespace layered::doctor
