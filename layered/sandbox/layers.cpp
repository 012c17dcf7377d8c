// /opt as Lambda builds it: layers extracted in order, by the one overlay
// rule of model::overlay (a later file wins; a path keeps its kind).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "model/model.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

Status place_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (!ec) return Ok{};
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("cannot copy layer file: " + ec.message(), from.string());
  fs::permissions(to, fs::status(from).permissions(), ec);
  return Ok{};
}

// What one layer holds, as the overlay sees it (symlinks not followed).
Result<std::vector<model::Node>> nodes_of(const fs::path& layer) {
  std::vector<model::Node> nodes;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(layer, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto st = it->symlink_status(ec);
    if (ec) break;
    const std::string rel = it->path().lexically_relative(layer).generic_string();
    if (fs::is_symlink(st)) {
      nodes.push_back({rel, model::Kind::symlink});
    } else if (fs::is_directory(st)) {
      nodes.push_back({rel, model::Kind::directory});
    } else if (fs::is_regular_file(st)) {
      nodes.push_back({rel, model::Kind::file});
    }
  }
  if (ec) return make_error("cannot read layer: " + ec.message(), layer.string());
  return nodes;
}

// Builds the merged tree the one overlay rule describes (model::overlay).
Status materialize(const model::Overlay& merged, const std::vector<std::string>& layer_dirs,
                   const fs::path& into) {
  std::error_code ec;
  for (const auto& [rel, placed] : merged.entries) {  // sorted: parents first
    const fs::path from = fs::path(layer_dirs[static_cast<std::size_t>(placed.layer)]) / rel;
    const fs::path to = into / rel;
    if (placed.kind == model::Kind::directory) {
      fs::create_directory(to, ec);
      auto st = fs::symlink_status(from, ec);
      fs::permissions(to, fs::exists(st) ? st.permissions() : fs::perms(0755), ec);
      ec.clear();
    } else if (placed.kind == model::Kind::symlink) {
      fs::copy_symlink(from, to, ec);
    } else {
      LAYERED_TRY(place_file(from, to));
    }
    if (ec) return make_error("cannot merge layer: " + ec.message(), from.string());
  }
  return Ok{};
}

std::string random_suffix() {
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

}  // namespace

// FNV-1a over the ordered directories and their identity (inode, change
// time): a different order, a different layer or a rebuilt one is a new key.
std::string layers_cache_key(const std::vector<std::string>& layer_dirs) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  for (const auto& dir : layer_dirs) {
    mix(fs::absolute(dir).lexically_normal().string());
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      mix(std::to_string(st.st_ino) + ":" + std::to_string(st.st_ctim.tv_sec) + "." +
          std::to_string(st.st_ctim.tv_nsec));
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

Result<std::string> merge_layers(const std::vector<std::string>& layer_dirs, const std::string& cache_dir) {
  if (layer_dirs.empty()) return std::string{};
  for (const auto& dir : layer_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      return make_error("layer content is missing", dir, "redeploy the stack that publishes this layer");
  }
  const fs::path root = fs::path(cache_dir) / "opt";
  const fs::path merged = root / layers_cache_key(layer_dirs);
  std::error_code ec;
  if (fs::is_directory(merged, ec)) return merged.string();
  fs::create_directories(root, ec);
  if (ec) return make_error("cannot create the layer cache: " + ec.message(), root.string());
  const fs::path tmp = root / (".tmp-" + random_suffix());
  fs::create_directory(tmp, ec);
  if (ec) return make_error("cannot create the layer cache: " + ec.message(), tmp.string());
  fs::permissions(tmp, fs::perms(0755), ec);
  std::vector<std::vector<model::Node>> layers;
  for (const auto& dir : layer_dirs) {
    auto nodes = nodes_of(dir);
    if (!nodes) return nodes.error();
    layers.push_back(std::move(*nodes));
  }
  if (auto status = materialize(model::overlay(layers), layer_dirs, tmp); !status) {
    fs::remove_all(tmp, ec);
    return status.error();
  }
  // Another process may have built the same set meanwhile: keep theirs.
  fs::rename(tmp, merged, ec);
  if (ec) fs::remove_all(tmp, ec);
  return merged.string();
}

}  // namespace layered::sandbox
