#include <algorithm>

#include "doctor/doctor.hpp"
#include "doctor/inputs.hpp"
#include "doctor/internal.hpp"

namespace layered::doctor {

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "error";
}

namespace {

Result<Source> load_source(const std::filesystem::path& path, std::string label, std::string mount, int layer,
                           std::optional<TempDir>& scratch) {
  auto input = open_input(path, label, scratch);
  if (!input) return input.error();
  auto source = scan(input->dir, std::move(label), std::move(mount), layer);
  if (!source) return source.error();
  source->input = path;
  source->zip_bytes = input->zip_bytes;
  return source;
}

Status validate(const Package& package) {
  if (package.architecture != "x86_64" && package.architecture != "arm64") {
    std::string hint = did_you_mean(package.architecture, {"x86_64", "arm64"});
    return make_error("unknown architecture '" + package.architecture + "'", "",
                      hint.empty() ? "use x86_64 or arm64" : hint);
  }
  for (std::size_t i = 0; i < package.layers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (package.layers[i].name == package.layers[j].name)
        return make_error("two layers are named '" + package.layers[i].name + "'", "",
                          "give each layer its own name");
  return Ok{};
}

}  // namespace

Result<Report> check(const Package& package) {
  LAYERED_TRY(validate(package));
  auto runtime = runtime_info(package.runtime);
  if (!runtime) return runtime.error();
  auto image = image::load(runtime->os_image);
  if (!image) return image.error();
  std::optional<TempDir> scratch;  // made for the first zip only
  std::vector<Source> sources;
  sources.reserve(package.layers.size() + 1);
  if (package.function_dir) {
    auto fn = load_source(*package.function_dir, "function", "/var/task", -1, scratch);
    if (!fn) return fn.error();
    sources.push_back(std::move(*fn));
  }
  for (std::size_t i = 0; i < package.layers.size(); ++i) {
    const auto& layer = package.layers[i];
    auto src =
        load_source(layer.dir_or_zip, "layer '" + layer.name + "'", "/opt", static_cast<int>(i), scratch);
    if (!src) return src.error();
    sources.push_back(std::move(*src));
  }
  View view(*image, sources);
  Context ctx{package, *image, sources, view, {}, {}, {}};
  check_elves(ctx);
  check_layout(ctx);
  check_bootstrap(ctx);
  check_limits(ctx);
  check_conflicts(ctx);
  check_python(ctx);
  check_foreign_os(ctx);
  std::stable_sort(ctx.findings.begin(), ctx.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
  FunctionReport fr{
      package.function_name, package.runtime, package.architecture, {}, std::move(ctx.findings)};
  for (const auto& layer : package.layers) fr.layers.push_back(layer.name);
  Report report;
  report.functions.push_back(std::move(fr));
  return report;
}

std::size_t count(const Report& report, Severity severity) {
  std::size_t n = 0;
  for (const auto& f : report.functions)
    n += static_cast<std::size_t>(std::count_if(f.findings.begin(), f.findings.end(),
                                                [&](const Finding& x) { return x.severity == severity; }));
  return n;
}

bool has_errors(const Report& report) { return count(report, Severity::error) > 0; }

}  // namespace layered::doctor
