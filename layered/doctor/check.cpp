#include <algorithm>
#include <fstream>

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

std::string layer_name(const model::Layer& layer) {
  if (!layer.name.empty()) return layer.name;
  return layer.arn.empty() ? std::filesystem::path(layer.dir).stem().string()
                           : model::layer_display_name(layer.arn);
}

Status validate(const model::Function& function) {
  for (std::size_t i = 0; i < function.layers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (layer_name(function.layers[i]) == layer_name(function.layers[j]))
        return make_error("two layers are named '" + layer_name(function.layers[i]) + "'", "",
                          "give each layer its own name");
  return Ok{};
}

FunctionReport report_of(const model::Function& function) {
  FunctionReport fr{function.display_name(),
                    std::string(model::to_string(function.runtime)),
                    std::string(model::to_string(function.architecture)),
                    {},
                    {}};
  for (const auto& layer : function.layers) fr.layers.push_back(layer_name(layer));
  return fr;
}

// A runtime doctor has no image for is the function's finding, not the
// report's end: the other functions are still checked.
std::optional<Finding> runtime_finding(const model::Function& function) {
  if (model::deprecated(function.runtime)) {
    Error e = model::unsupported_runtime(function.display_name(), function.runtime);
    return Finding{Severity::error, "runtime.unsupported", "", "", e.message, e.hint};
  }
  if (!model::emulated(function.runtime)) {
    Error e = model::not_emulated_runtime(function.display_name(), function.runtime);
    return Finding{Severity::warning, "runtime.not-emulated", "", "", e.message, e.hint};
  }
  return std::nullopt;
}

// Inline code (Code.ZipFile) as deploy stores it (model::inline_package),
// in a scratch directory.
Result<std::filesystem::path> write_inline_code(const model::Function& function,
                                                std::optional<TempDir>& scratch) {
  if (!scratch) scratch.emplace();
  if (scratch->path().empty()) return make_error("cannot create a temporary directory");
  const std::filesystem::path dir = scratch->fresh();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& [name, content] : model::inline_package(function.runtime, function.inline_code)) {
    std::ofstream out(dir / name, std::ios::binary);
    out << content;
    if (ec || !out.flush()) return make_error("cannot write the function's inline code", dir.string());
  }
  return dir;
}

Finding inline_code_finding(const model::Function& function) {
  Error e = model::inline_code_refused(function.runtime);
  return Finding{Severity::error, "code.inline", "", "", e.message, e.hint};
}

Result<std::vector<Source>> load_sources(const model::Function& function, std::optional<TempDir>& scratch) {
  std::vector<Source> sources;
  sources.reserve(function.layers.size() + 1);
  if (!function.code_dir.empty()) {
    auto fn = load_source(function.code_dir, "function", "/var/task", -1, scratch);
    if (!fn) return fn.error();
    sources.push_back(std::move(*fn));
  }
  for (std::size_t i = 0; i < function.layers.size(); ++i) {
    const auto& layer = function.layers[i];
    auto src =
        load_source(layer.dir, "layer '" + layer_name(layer) + "'", "/opt", static_cast<int>(i), scratch);
    if (!src) return src.error();
    sources.push_back(std::move(*src));
  }
  return sources;
}

// The OS image whose libraries the function loads against (python3.13 runs
// on provided.al2023's glibc), per the runtime's entry in the image data.
Result<image::BaseImage> os_image_of(model::Runtime runtime) {
  auto own = image::load(std::string(model::to_string(runtime)));
  if (!own) return own.error();
  if (own->os_image.empty() || own->os_image == own->runtime) return own;
  return image::load(own->os_image);
}

}  // namespace

Result<Report> check(const model::Function& function) { return check(function, {}); }

Result<Report> check(const model::Function& function, const std::vector<std::string>& unchecked_layers) {
  LAYERED_TRY(validate(function));
  Report report;
  report.functions.push_back(report_of(function));
  if (auto finding = runtime_finding(function)) {
    report.functions.front().findings.push_back(std::move(*finding));
    return report;
  }
  auto image = os_image_of(function.runtime);
  if (!image) return image.error();
  std::optional<TempDir> scratch;  // made for the first zip or inline code only
  model::Function checked = function;
  if (checked.code_dir.empty() && !checked.inline_code.empty()) {
    if (!model::inline_code_file(checked.runtime)) {
      report.functions.front().findings.push_back(inline_code_finding(checked));
      return report;
    }
    auto written = write_inline_code(checked, scratch);
    if (!written) return written.error();
    checked.code_dir = written->string();
  }
  auto sources = load_sources(checked, scratch);
  if (!sources) return sources.error();
  View view(*image, *sources);
  Context ctx{checked, *image, *sources, view, unchecked_layers, {}, {}, {}};
  check_elves(ctx);
  check_layout(ctx);
  check_bootstrap(ctx);
  check_exec_wrapper(ctx);
  check_limits(ctx);
  check_conflicts(ctx);
  check_python(ctx);
  check_nodejs(ctx);
  check_foreign_os(ctx);
  std::stable_sort(ctx.findings.begin(), ctx.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
  report.functions.front().findings = std::move(ctx.findings);
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
