// Lambda's quotas (lambda-facts.md section 1) and files that layers overwrite.
#include <algorithm>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace {

constexpr std::size_t kMaxLayers = 5;
constexpr std::uint64_t kMaxUnzipped = 262144000;  // 250 MiB: "smaller than 262144000 bytes"
constexpr std::uint64_t kMaxDirectZip = 52428800;  // 50 MiB for a direct upload
bool near(std::uint64_t value, std::uint64_t limit) { return value * 10 >= limit * 9; }

// "layer 'external' 180.2 MB, function 40.0 MB, ..." (the three biggest).
std::string biggest(const std::vector<Source>& sources) {
  std::vector<const Source*> order;
  order.reserve(sources.size());
  for (const auto& s : sources) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->total_bytes > b->total_bytes; });
  std::string out;
  for (std::size_t i = 0; i < order.size() && i < 3; ++i)
    out += (i ? ", " : "") + order[i]->label + " " + human_size(order[i]->total_bytes);
  return out;
}

}  // namespace

void check_limits(Context& ctx) {
  const auto& layers = ctx.function.layers;
  if (layers.size() > kMaxLayers)
    ctx.add(Severity::error, "limits.too-many-layers", "", "",
            "the function uses " + std::to_string(layers.size()) + " layers, but Lambda allows at most 5",
            "merge layers (for example all third-party libraries into one) until there are 5 or fewer");
  std::uint64_t total = 0;
  for (const auto& s : ctx.sources) total += s.total_bytes;
  std::string sizes =
      human_size(total) + " of " + human_size(kMaxUnzipped) + "; biggest: " + biggest(ctx.sources);
  if (total >= kMaxUnzipped) {
    ctx.add(Severity::error, "limits.unzipped-size", "", "",
            "function and layers unzipped are " + sizes +
                " (Lambda: 'Unzipped size must be smaller than 262144000 "
                "bytes')",
            "strip the libraries (strip --strip-unneeded), drop what the function does not load, or use a "
            "container "
            "image");
  } else if (near(total, kMaxUnzipped)) {
    ctx.add(Severity::warning, "limits.unzipped-size", "", "",
            "function and layers unzipped are " + sizes + ", close to Lambda's limit",
            "strip the libraries (strip --strip-unneeded) or drop what the function does not load");
  }
  for (const auto& s : ctx.sources) {
    if (!s.zip_bytes) continue;
    std::string zip = s.input.filename().string();
    if (*s.zip_bytes > kMaxDirectZip)
      ctx.add(Severity::warning, "limits.zip-size", s.input.string(), s.label,
              "the zip is " + human_size(*s.zip_bytes) + ", over the 50 MB limit of a direct upload",
              "upload it through S3 (the CDK does), or make it smaller");
    else if (near(*s.zip_bytes, kMaxDirectZip))
      ctx.add(Severity::warning, "limits.zip-size", s.input.string(), s.label,
              "the zip is " + human_size(*s.zip_bytes) + ", close to the 50 MB limit of a direct upload",
              "upload it through S3 (the CDK does), or make it smaller");
  }
}

void check_conflicts(Context& ctx) {
  for (const auto& [path, entry] : ctx.view.entries()) {
    if (entry.overwritten.empty()) continue;
    std::string losers;
    for (const Source* s : entry.overwritten) losers += (losers.empty() ? "" : ", ") + s->label;
    ctx.add(Severity::warning, "conflict.file", path, entry.source->label,
            "is in " + losers + " and " + entry.source->label + "; the function sees only the copy from " +
                entry.source->label + " (the later layer wins)",
            "keep the file in one layer, or order the layers so the copy you want comes last");
  }
  for (const auto& d : ctx.view.dropped()) {
    const std::string what = d.directory ? "directory" : "file";
    const std::string why = d.blocker == d.path ? "a " + what + " cannot replace the " +
                                                      (d.directory ? "file" : "directory") + " that " +
                                                      d.blocker_source->label + " has there"
                                                : "nothing can be extracted under " + d.blocker + ", which " +
                                                      d.blocker_source->label + " has as a file or symlink";
    ctx.add(Severity::error, "conflict.kind", d.path, d.source->label,
            "this " + what + " of " + d.source->label + " is not extracted into /opt: " + why,
            "give the path one kind in every layer (a file or a directory), or rename it in one of them");
  }
}

}  // namespace layered::doctor
