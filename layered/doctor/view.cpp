#include <algorithm>
#include <cstdio>
#include <fstream>

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

model::Kind kind_of(const SourceFile& f) {
  if (!f.link.empty()) return model::Kind::symlink;
  return f.directory ? model::Kind::directory : model::Kind::file;
}

// /var/task is the function alone; /opt is the layers merged by the one
// overlay rule the sandbox uses too (model::overlay), so doctor sees the
// /opt that the function gets.
View::View(const image::BaseImage& image, const std::vector<Source>& sources) : image_(image) {
  std::vector<const Source*> layers;
  for (const auto& source : sources) {
    if (source.layer < 0) {
      for (const auto& f : source.files)
        if (!f.directory) entries_[source.mount + "/" + f.rel] = Entry{&source, &f, {}};
    } else {
      layers.push_back(&source);
    }
  }
  std::vector<std::vector<model::Node>> nodes(layers.size());
  std::vector<std::map<std::string, const SourceFile*>> files(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const auto& f : layers[i]->files) {
      nodes[i].push_back({f.rel, kind_of(f)});
      files[i][f.rel] = &f;
    }
  }
  const model::Overlay merged = model::overlay(nodes);
  for (const auto& [rel, placed] : merged.entries) {
    if (placed.kind == model::Kind::directory) continue;
    const auto layer = static_cast<std::size_t>(placed.layer);
    Entry entry{layers[layer], files[layer].at(rel), {}};
    for (int earlier : placed.overwritten)
      entry.overwritten.push_back(layers[static_cast<std::size_t>(earlier)]);
    entries_["/opt/" + rel] = entry;
  }
  for (const auto& d : merged.dropped) {
    // What lies under a dropped directory of the same layer goes with it.
    const bool under_dropped = std::any_of(dropped_.begin(), dropped_.end(), [&](const Dropped& e) {
      return e.directory && e.source == layers[static_cast<std::size_t>(d.layer)] &&
             ("/opt/" + d.rel).rfind(e.path + "/", 0) == 0;
    });
    if (under_dropped) continue;
    dropped_.push_back({"/opt/" + d.rel, layers[static_cast<std::size_t>(d.layer)], "/opt/" + d.blocker,
                        layers[static_cast<std::size_t>(d.blocker_layer)], d.kind == model::Kind::directory});
  }
}

namespace {

// "/opt/python/." -> "/opt/python": the form the entries have.
std::string normal(const fs::path& path) {
  std::string out = path.lexically_normal().generic_string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

// Resolves symlinks component by component (a link may be a directory:
// /opt/lib64 -> lib). Image links (/lib64 -> usr/lib64) are left for the
// image to resolve.
std::optional<std::string> View::follow(const std::string& path) const {
  std::string current = normal(path);
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
      current = normal(resolved);
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

bool View::is_directory(const std::string& path) const {
  auto resolved = follow(path);
  if (!resolved) return false;
  const std::string prefix = *resolved == "/" ? "/" : *resolved + "/";
  auto it = entries_.lower_bound(prefix);
  return it != entries_.end() && it->first.starts_with(prefix);
}

std::optional<BrokenLink> broken_link(const View& view, const std::string& path) {
  BrokenLink out;
  std::string current = normal(path);
  std::set<std::string> seen;
  for (auto it = view.entries().find(current); it != view.entries().end() && !it->second.file->link.empty();
       it = view.entries().find(current)) {
    if (!seen.insert(current).second) {
      out.paths.push_back(current);
      out.loops = true;
      return out;
    }
    out.links.push_back(&it->second);
    out.paths.push_back(current);
    const fs::path target(it->second.file->link);
    current = normal(target.is_absolute() ? target : fs::path(current).parent_path() / target);
  }
  if (out.links.empty() || view.find(path) || view.is_directory(current)) return std::nullopt;
  out.paths.push_back(current);
  return out;
}

std::string describe(const BrokenLink& broken) {
  std::string out;
  for (std::size_t i = 0; i < broken.paths.size(); ++i) {
    out += (i ? " -> " : "") + broken.paths[i];
    if (i < broken.links.size()) out += " (" + broken.links[i]->source->label + ")";
  }
  return out;
}

void Context::add(Severity severity, std::string code, std::string file, std::string source,
                  std::string message, std::string fix) {
  std::string key = code + "\n" + file + "\n" + message;
  if (!seen.insert(key).second) return;
  findings.push_back(Finding{severity, std::move(code), std::move(file), std::move(source),
                             std::move(message), std::move(fix)});
}

std::string Context::unchecked_note() const {
  std::string list;
  for (const auto& layer : unchecked_layers) list += (list.empty() ? "'" : ", '") + layer + "'";
  return (unchecked_layers.size() > 1 ? "layers " + list + " cannot" : "layer " + list + " cannot") +
         " be resolved before deploy and " + (unchecked_layers.size() > 1 ? "were" : "was") + " not checked";
}

std::string read_head(const fs::path& path, std::uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(limit), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024ULL * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  return buf;
}

RuntimeInfo runtime_info(const Context& ctx) {
  const model::Family family = model::family(ctx.function.runtime);
  if (family == model::Family::custom) return {family, ""};
  // "python3.12" -> "3.12", "nodejs20.x" -> "20".
  const std::string name(model::to_string(ctx.function.runtime));
  const auto digit = name.find_first_of("0123456789");
  std::string version = name.substr(digit);
  if (version.ends_with(".x")) version.resize(version.size() - 2);
  return {family, version};
}

std::string arch_name(const Context& ctx) { return std::string(model::to_string(ctx.function.architecture)); }

}  // namespace layered::doctor
