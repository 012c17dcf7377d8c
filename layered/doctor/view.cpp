#include <algorithm>
#include <cstdio>

#include "doctor/internal.hpp"

namespace layered::doctor {

namespace fs = std::filesystem;

Result<Source> scan(const fs::path& root, std::string label, std::string mount, int layer) {
  Source source;
  source.label = std::move(label);
  source.mount = std::move(mount);
  source.layer = layer;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return make_error("cannot read directory: " + ec.message(), root.string());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error("cannot read directory: " + ec.message(), root.string());
    SourceFile f;
    f.host = it->path();
    f.rel = it->path().lexically_relative(root).generic_string();
    auto status = it->symlink_status(ec);
    if (fs::is_symlink(status)) {
      f.link = fs::read_symlink(it->path(), ec).string();
    } else if (fs::is_directory(status)) {
      f.directory = true;
    } else if (fs::is_regular_file(status)) {
      f.size = it->file_size(ec);
      f.executable = (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
      source.total_bytes += f.size;
    } else {
      continue;  // devices, FIFOs: Lambda's zips cannot hold them
    }
    source.files.push_back(std::move(f));
  }
  std::sort(source.files.begin(), source.files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.rel < b.rel; });
  return source;
}

View::View(const image::BaseImage& image, const std::vector<Source>& sources) : image_(image) {
  for (const auto& source : sources) {
    for (const auto& f : source.files) {
      if (f.directory) continue;
      std::string path = source.mount + "/" + f.rel;
      auto [it, inserted] = entries_.try_emplace(path);
      if (!inserted) it->second.overwritten.push_back(it->second.source);
      it->second.source = &source;
      it->second.file = &f;
    }
  }
}

// Resolves symlinks component by component (a link may be a directory:
// /opt/lib64 -> lib). Image links (/lib64 -> usr/lib64) are left for the
// image to resolve.
std::optional<std::string> View::follow(const std::string& path) const {
  std::string current = fs::path(path).lexically_normal().generic_string();
  for (int hops = 0; hops < 16; ++hops) {
    bool changed = false;
    fs::path built = "/";
    fs::path p(current);
    for (auto part = std::next(p.begin()); part != p.end(); ++part) {
      built /= *part;
      auto it = entries_.find(built.generic_string());
      if (it == entries_.end() || it->second.file->link.empty()) continue;
      fs::path target(it->second.file->link);
      fs::path resolved = target.is_absolute() ? target : built.parent_path() / target;
      for (auto rest = std::next(part); rest != p.end(); ++rest) resolved /= *rest;
      current = resolved.lexically_normal().generic_string();
      changed = true;
      break;
    }
    if (!changed) return current;
  }
  return std::nullopt;  // a symlink loop: the loader gets ELOOP
}

std::optional<Located> View::find(const std::string& path) const {
  auto resolved = follow(path);
  if (!resolved) return std::nullopt;
  auto it = entries_.find(*resolved);
  if (it != entries_.end()) return Located{*resolved, &it->second};
  if (image_.has_file(*resolved)) return Located{image_.canonical(*resolved), nullptr};
  return std::nullopt;
}

void Context::add(Severity severity, std::string code, std::string file, std::string source,
                  std::string message, std::string fix) {
  std::string key = code + "\n" + file + "\n" + message;
  if (!seen.insert(key).second) return;
  findings.push_back(Finding{severity, std::move(code), std::move(file), std::move(source),
                             std::move(message), std::move(fix)});
}

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  return buf;
}

// Which OS image each managed runtime runs on (AWS "Lambda runtimes" table:
// Amazon Linux 2023 for python3.12+, nodejs20.x+, java21, ruby3.3+,
// provided.al2023; Amazon Linux 2 for the older ones).
Result<RuntimeInfo> runtime_info(const std::string& runtime) {
  auto starts = [&](const char* prefix) { return runtime.rfind(prefix, 0) == 0; };
  auto os_for = [](bool al2023) { return std::string(al2023 ? "provided.al2023" : "provided.al2"); };
  if (runtime == "provided.al2023" || runtime == "provided.al2") return RuntimeInfo{"provided", "", runtime};
  if (starts("python3.")) {
    std::string minor = runtime.substr(8);
    bool known = !minor.empty() && std::all_of(minor.begin(), minor.end(), ::isdigit);
    if (known) return RuntimeInfo{"python", "3." + minor, os_for(std::stoi(minor) >= 12)};
  }
  if (starts("nodejs") && runtime.size() > 8 && runtime.substr(runtime.size() - 2) == ".x") {
    std::string major = runtime.substr(6, runtime.size() - 8);
    if (!major.empty() && std::all_of(major.begin(), major.end(), ::isdigit))
      return RuntimeInfo{"nodejs", major, os_for(std::stoi(major) >= 20)};
  }
  if (starts("java")) return RuntimeInfo{"java", runtime.substr(4), os_for(runtime == "java21")};
  if (starts("ruby3.")) return RuntimeInfo{"ruby", runtime.substr(4), os_for(runtime != "ruby3.2")};
  if (starts("dotnet")) return RuntimeInfo{"dotnet", runtime.substr(6), os_for(true)};
  std::vector<std::string> known = {"provided.al2023", "provided.al2", "python3.12", "python3.13",
                                    "nodejs20.x",      "nodejs22.x",   "java21",     "ruby3.3"};
  std::string hint = did_you_mean(runtime, known);
  return make_error("unknown runtime '" + runtime + "'", "",
                    (hint.empty() ? "" : hint + " ") +
                        "use provided.al2023, provided.al2, python3.X, nodejs<N>.x, "
                        "java<N>, ruby3.X or dotnet<N>");
}

}  // namespace layered::doctor
