// One report, two renderings: text for people, JSON for tools.
#include <nlohmann/json.hpp>

#include "doctor/doctor.hpp"

namespace layered::doctor {

namespace {

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string counts(std::size_t errors, std::size_t warnings, std::size_t infos) {
  std::string out = plural(errors, "error") + ", " + plural(warnings, "warning");
  if (infos) out += ", " + plural(infos, "note");
  return out;
}

std::string heading(const FunctionReport& f) {
  std::string name = f.function_name.empty() ? "package" : f.function_name;
  std::string layers = f.layers.empty() ? "no layers" : "layers: ";
  for (std::size_t i = 0; i < f.layers.size(); ++i) layers += (i ? ", " : "") + f.layers[i];
  return name + " (" + f.runtime + ", " + f.architecture + "; " + layers + ")";
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out;
  for (const auto& fn : report.functions) {
    out += heading(fn) + "\n";
    bool problems = false;
    for (const auto& f : fn.findings) {
      problems = problems || f.severity != Severity::info;
      out += std::string("  ") + to_string(f.severity) + " [" + f.code + "] ";
      if (!f.file.empty()) out += f.file + (f.source.empty() ? "" : " (" + f.source + ")") + ": ";
      out += f.message + "\n";
      out += "    fix: " + f.fix + "\n";
    }
    if (!problems) out += "  no problems found\n";
  }
  std::size_t errors = count(report, Severity::error), warnings = count(report, Severity::warning);
  std::string scope = plural(report.functions.size(), "function");
  if (errors + warnings == 0) {
    out += "no problems found in " + scope + "\n";
  } else {
    out += counts(errors, warnings, count(report, Severity::info)) + " in " + scope + "\n";
  }
  return out;
}

std::string render_json(const Report& report) {
  nlohmann::json functions = nlohmann::json::array();
  for (const auto& fn : report.functions) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : fn.findings)
      findings.push_back({{"severity", to_string(f.severity)},
                          {"code", f.code},
                          {"file", f.file},
                          {"source", f.source},
                          {"message", f.message},
                          {"fix", f.fix}});
    functions.push_back({{"function", fn.function_name},
                         {"runtime", fn.runtime},
                         {"architecture", fn.architecture},
                         {"layers", fn.layers},
                         {"findings", findings}});
  }
  nlohmann::json out = {{"functions", functions},
                        {"errors", count(report, Severity::error)},
                        {"warnings", count(report, Severity::warning)},
                        {"ok", !has_errors(report)}};
  // File names are bytes, not always UTF-8: replace what is not (U+FFFD).
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace layered::doctor
