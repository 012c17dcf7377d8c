#include "image/image.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace layered::image {

extern const char* const kBaseImagesJson;

namespace {

using nlohmann::json;

const json& data() {
  static const json parsed = json::parse(kBaseImagesJson);
  return parsed.at("images");
}

std::vector<std::pair<std::string, std::string>> pairs(const json& array) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : array) out.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
  return out;
}

// A managed runtime's entry names the OS image it `extends`: its keys
// replace the base's, except `environment`, whose variables are set over the
// base's (same name: replaced in place; new: appended), and `sources`, which
// add to the base's.
json resolved(const json& images, const json& entry) {
  if (!entry.contains("extends")) return entry;
  json merged = images.at(entry.at("extends").get<std::string>());
  for (const auto& [key, value] : entry.items()) {
    if (key == "sources") {
      for (const auto& source : value) merged["sources"].push_back(source);
    } else if (key == "environment") {
      for (const auto& pair : value) {
        auto same = [&](const json& p) { return p.at(0) == pair.at(0); };
        auto& env = merged["environment"];
        auto it = std::find_if(env.begin(), env.end(), same);
        if (it != env.end()) {
          *it = pair;
        } else {
          env.push_back(pair);
        }
      }
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

BaseImage from_json(const std::string& runtime, const json& j) {
  BaseImage image;
  image.os_image = j.value("extends", runtime);
  if (j.contains("language")) {
    image.language = j.at("language").at("name").get<std::string>();
    image.language_version = j.at("language").at("version").get<std::string>();
  }
  image.runtime = runtime;
  image.description = j.value("description", "");
  image.sources = j.value("sources", std::vector<std::string>{});
  image.symbol_versions = j.at("symbol_versions").get<std::map<std::string, std::string>>();
  image.environment = pairs(j.at("environment"));
  image.loader_default_dirs = j.at("loader_default_dirs").get<std::vector<std::string>>();
  image.loaders = j.at("loaders").get<std::map<std::string, std::string>>();
  image.library_dir = j.at("library_dir").get<std::string>();
  image.libraries = j.at("libraries").get<std::vector<std::string>>();
  image.symlinks = pairs(j.at("symlinks"));
  // Where the interpreter this machine lends a managed runtime looks for CA
  // certificates, leading to the image's bundle (interpreter_symlinks).
  if (!image.language.empty() && j.contains("interpreter_symlinks")) {
    for (auto& link : pairs(j.at("interpreter_symlinks"))) image.symlinks.push_back(std::move(link));
  }
  image.directories = j.at("directories").get<std::vector<std::string>>();
  image.tools = j.at("tools").get<std::vector<std::string>>();
  image.tool_aliases = j.value("tool_aliases", std::map<std::string, std::string>{});
  image.tools_dir = j.at("tools_dir").get<std::string>();
  image.host_programs = j.value("host_programs", std::vector<std::string>{});
  for (const auto& f : j.at("files")) {
    image.files.push_back(File{f.at("path").get<std::string>(), f.value("content", ""), f.value("host", "")});
  }
  return image;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

}  // namespace

std::string BaseImage::env(const std::string& name) const {
  for (const auto& [key, value] : environment)
    if (key == name) return value;
  return {};
}

std::vector<std::string> BaseImage::ld_library_path() const {
  std::vector<std::string> dirs;
  for (auto& d : split(env("LD_LIBRARY_PATH"), ':'))
    if (!d.empty()) dirs.push_back(d);
  return dirs;
}

std::string BaseImage::canonical(const std::string& path) const {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  std::string s = p.generic_string();
  // Resolve at most a few levels: the image's links are one level deep.
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    for (const auto& [link, target] : symlinks) {
      if (s == link || s.rfind(link + "/", 0) == 0) {
        std::filesystem::path parent = std::filesystem::path(link).parent_path();
        std::string resolved = (parent / target).lexically_normal().generic_string();
        s = resolved + s.substr(link.size());
        changed = true;
      }
    }
    if (!changed) break;
  }
  return s;
}

bool BaseImage::has_file(const std::string& path) const {
  const std::string c = canonical(path);
  const std::string libdir = canonical(library_dir);
  for (const auto& lib : libraries)
    if (c == libdir + "/" + lib) return true;
  const std::string tooldir = canonical(tools_dir);
  for (const auto& tool : tools)
    if (c == tooldir + "/" + tool) return true;
  for (const auto& [alias, applet] : tool_aliases)
    if (c == tooldir + "/" + alias) return true;
  for (const auto& program : host_programs)
    if (c == tooldir + "/" + std::filesystem::path(program).filename().string()) return true;
  for (const auto& f : files)
    if (c == canonical(f.path)) return true;
  return false;
}

std::vector<std::string> runtimes() {
  std::vector<std::string> names;
  for (const auto& [name, value] : data().items()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<BaseImage> load(const std::string& runtime) {
  const json& images = data();
  auto it = images.find(runtime);
  if (it == images.end()) {
    std::string known;
    for (const auto& name : runtimes()) known += (known.empty() ? "" : ", ") + name;
    std::string hint = did_you_mean(runtime, runtimes());
    hint += (hint.empty() ? "" : " ") + std::string("known runtimes: ") + known;
    return make_error("runtime '" + runtime + "' is not emulated", "", hint);
  }
  return from_json(runtime, resolved(images, *it));
}

int compare_versions(const std::string& a, const std::string& b) {
  auto pa = split(a, '.');
  auto pb = split(b, '.');
  for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    long x = i < pa.size() ? std::strtol(pa[i].c_str(), nullptr, 10) : 0;
    long y = i < pb.size() ? std::strtol(pb[i].c_str(), nullptr, 10) : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string host_library_dir() {
  for (const char* dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                          "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64"}) {
    std::error_code ec;
    if (std::filesystem::exists(std::string(dir) + "/libc.so.6", ec)) return dir;
  }
  return "/lib";
}

std::string host_busybox() {
  for (const char* path : {"/bin/busybox", "/usr/bin/busybox"}) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
  }
  return {};
}

}  // namespace layered::image
