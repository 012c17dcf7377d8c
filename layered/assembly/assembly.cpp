// Loading a cloud assembly: manifest.json, stack templates, asset manifests,
// nested assemblies (CDK Stages) and metadata-only assets.
#include "assembly/assembly.hpp"

#include <regex>

#include "assembly/internal.hpp"

namespace layered::assembly {

namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

Result<json> read_json_file(const fs::path& path, const std::string& shown, std::size_t max_bytes,
                            const std::string& too_large) {
  auto read = read_bounded(path, max_bytes, shown);
  if (!read) return make_error("cannot read file", shown);
  if (read->over_limit) {
    return make_error(
        too_large.empty() ? "the file is larger than " + std::to_string(max_bytes) + " bytes" : too_large,
        shown);
  }
  // Refused before parsing: nlohmann parses any depth, but copies and
  // dumps recurse, one stack frame per level.
  if (json_nesting_depth(read->bytes) > kMaxJsonDepth) {
    return make_error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", shown,
                      "CloudFormation templates and CDK manifests nest a few levels deep; fix what "
                      "generated this file");
  }
  try {
    return json::parse(read->bytes);
  } catch (const json::parse_error& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: <what>".
    std::string what = e.what();
    std::smatch m;
    static const std::regex position(R"(at line (\d+), column (\d+): (.*))");
    if (std::regex_search(what, m, position)) {
      return make_error("invalid JSON: " + m[3].str(), shown + ":" + m[1].str() + ":" + m[2].str());
    }
    return make_error("invalid JSON: " + what, shown);
  } catch (const json::exception& e) {
    // Valid JSON nlohmann cannot hold, as a number beyond a double (1e400).
    return make_error("JSON that layered cannot read: " + json_exception_text(e), shown);
  }
}

}  // namespace detail

namespace {

struct Loader {
  fs::path root;      // the top assembly directory, absolute
  std::string shown;  // how the user named it
  Assembly* out;
  std::vector<Stack>* stacks;
  std::vector<Asset>* assets;
  std::vector<Error>* warnings;

  std::string show(const fs::path& p) const {
    return (fs::path(shown) / p.lexically_relative(root)).lexically_normal().string();
  }

  static std::string string_at(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
  }

  void add_asset(Asset asset) {
    for (const Asset& a : *assets) {
      if (a.id == asset.id) return;
    }
    assets->push_back(std::move(asset));
  }

  Status load_asset_manifest(const fs::path& file, Stack& stack) {
    auto manifest = detail::read_json_file(file, show(file));
    if (!manifest) return std::move(manifest.error());
    auto files = manifest->find("files");
    if (files == manifest->end() || !files->is_object()) return Ok{};
    for (const auto& [id, entry] : files->items()) {
      const json source = entry.value("source", json::object());
      Asset asset;
      asset.id = id;
      asset.packaging = string_at(source, "packaging");
      std::string rel = string_at(source, "path");
      if (!rel.empty()) asset.path = (file.parent_path() / rel).lexically_normal();
      const json destinations = entry.value("destinations", json::object());
      for (const auto& [dest_id, dest] : destinations.items()) {
        if (asset.object_key.empty()) asset.object_key = string_at(dest, "objectKey");
      }
      std::error_code ec;
      asset.is_directory = !asset.path.empty() && fs::is_directory(asset.path, ec);
      asset.is_zip_file = asset.packaging == "file" && asset.path.extension() == ".zip";
      stack.asset_ids.push_back(id);
      add_asset(std::move(asset));
    }
    return Ok{};
  }

  // Older assemblies (and `--no-asset-metadata` off) describe assets only in
  // resource metadata: "aws:asset:path": "asset.<hash>[.zip]".
  void collect_metadata_assets(const fs::path& dir, Stack& stack) {
    auto resources = stack.template_json.find("Resources");
    if (resources == stack.template_json.end() || !resources->is_object()) return;
    for (const auto& [logical_id, resource] : resources->items()) {
      if (!resource.is_object() || !resource.contains("Metadata")) continue;
      const json& metadata = resource["Metadata"];
      if (!metadata.is_object()) continue;
      std::string rel = string_at(metadata, "aws:asset:path");
      if (rel.empty()) continue;
      Asset asset;
      asset.path = (dir / rel).lexically_normal();
      std::error_code ec;
      asset.is_directory = fs::is_directory(asset.path, ec);
      asset.packaging = asset.is_directory ? "zip" : "file";
      asset.is_zip_file = !asset.is_directory && asset.path.extension() == ".zip";
      std::string name = asset.path.filename().string();
      if (name.rfind("asset.", 0) == 0) name = name.substr(6);
      if (asset.is_zip_file) name = name.substr(0, name.size() - 4);
      asset.id = name;
      asset.object_key = name + (asset.is_directory || asset.is_zip_file ? ".zip" : "");
      bool known = false;
      for (const Asset& a : *assets) known = known || a.path == asset.path;
      if (!known) {
        stack.asset_ids.push_back(asset.id);
        add_asset(std::move(asset));
      }
    }
  }

  // The CDK CLI refuses a manifest newer than it knows; layered reads it
  // (what it reads has not changed in years) and says so once.
  void check_version(const json& manifest, const fs::path& manifest_path) {
    const std::string version = string_at(manifest, "version");
    const auto digits = version.find_first_not_of("0123456789");
    if (digits == 0 || version.empty() || !warnings->empty()) return;
    const std::string major = version.substr(0, digits);
    if (major.size() <= 3 && std::stoi(major) <= kNewestSchemaVersion) return;
    warnings->push_back(make_error(
        "the cloud assembly's schema version " + version + " is newer than the newest layered knows (" +
            std::to_string(kNewestSchemaVersion) + ".0.0): fields it does not know are ignored",
        show(manifest_path),
        "if a stack deploys other than 'cdk deploy' would deploy it, synthesize with the aws-cdk-lib "
        "this project pins (package.json) or update layered"));
  }

  Status load_manifest(const fs::path& dir) {
    const fs::path manifest_path = dir / "manifest.json";
    auto manifest = detail::read_json_file(manifest_path, show(manifest_path));
    if (!manifest) return std::move(manifest.error());
    check_version(*manifest, manifest_path);
    auto artifacts = manifest->find("artifacts");
    if (artifacts == manifest->end()) return Ok{};
    if (!artifacts->is_object()) return make_error("'artifacts' must be an object", show(manifest_path));

    // Pass 1: stacks and nested assemblies.
    std::map<std::string, std::string> asset_manifest_files;  // artifact id -> file
    std::map<std::string, std::size_t> stack_index;           // artifact id -> index in *stacks
    std::map<std::string, std::vector<std::string>> raw_dependencies;
    for (const auto& [id, artifact] : artifacts->items()) {
      const std::string type = string_at(artifact, "type");
      const json properties = artifact.value("properties", json::object());
      if (type == "cdk:asset-manifest") {
        asset_manifest_files[id] = string_at(properties, "file");
      } else if (type == "cdk:cloud-assembly") {
        std::string sub = string_at(properties, "directoryName");
        if (!sub.empty()) LAYERED_TRY(load_manifest(dir / sub));
      } else if (type == "aws:cloudformation:stack") {
        Stack stack;
        stack.artifact_id = id;
        stack.name = string_at(properties, "stackName");
        if (stack.name.empty()) stack.name = id;
        stack.display_name = string_at(artifact, "displayName");
        if (stack.display_name.empty()) stack.display_name = id;
        const std::string template_file = string_at(properties, "templateFile");
        if (template_file.empty()) {
          return make_error("stack '" + id + "' has no 'properties.templateFile'", show(manifest_path));
        }
        stack.template_path = (dir / template_file).lexically_normal();
        auto tpl = detail::read_json_file(
            stack.template_path, show(stack.template_path), kMaxTemplateBytes,
            "Template may not exceed " + std::to_string(kMaxTemplateBytes) + " bytes in size.");
        if (!tpl) return std::move(tpl.error());
        stack.template_json = std::move(*tpl);
        LAYERED_TRY(detail::read_environment(artifact, stack, show(manifest_path)));
        auto metadata = detail::read_stack_metadata(artifact, dir, show(manifest_path),
                                                    [this](const fs::path& p) { return show(p); });
        if (!metadata) return std::move(metadata.error());
        for (Asset& asset : detail::read_legacy_assets(*metadata, dir, stack)) add_asset(std::move(asset));
        raw_dependencies[id] = artifact.value("dependencies", std::vector<std::string>{});
        stack_index[id] = stacks->size();
        stacks->push_back(std::move(stack));
      }
    }

    // Pass 2: dependencies (stack-to-stack for ordering; asset manifests read).
    for (const auto& [id, deps] : raw_dependencies) {
      Stack& stack = (*stacks)[stack_index[id]];
      for (const std::string& dep : deps) {
        if (auto s = stack_index.find(dep); s != stack_index.end()) {
          stack.dependencies.push_back((*stacks)[s->second].name);
        } else if (auto a = asset_manifest_files.find(dep); a != asset_manifest_files.end()) {
          LAYERED_TRY(load_asset_manifest(dir / a->second, stack));
        } else if (!artifacts->contains(dep)) {
          return make_error("stack '" + id + "' depends on '" + dep + "', which is not an artifact",
                            show(manifest_path));
        }
      }
      collect_metadata_assets(dir, stack);
    }
    return Ok{};
  }
};

}  // namespace

Result<Assembly> load(const fs::path& dir) {
  std::error_code ec;
  const std::string shown = dir.string();
  if (!fs::is_directory(dir, ec) || !fs::is_regular_file(dir / "manifest.json", ec)) {
    return make_error("no cloud assembly at '" + shown + "'", "",
                      "run 'npx cdk synth' first (or pass --app DIR)");
  }
  Assembly assembly;
  assembly.directory_ = fs::absolute(dir, ec).lexically_normal();
  if (!assembly.directory_.empty() && !assembly.directory_.has_filename()) {
    assembly.directory_ = assembly.directory_.parent_path();
  }
  Loader loader{assembly.directory_, shown, &assembly, &assembly.stacks_, &assembly.assets_,
                &assembly.warnings_};
  try {
    LAYERED_TRY(loader.load_manifest(assembly.directory_));
  } catch (const json::exception& e) {
    // A value of another type than the cloud assembly schema says.
    return make_error(
        "the cloud assembly (its manifest.json or an asset manifest) does not follow its "
        "schema: " +
            json_exception_text(e),
        shown, "synthesize it again ('npx cdk synth'); a hand-made one must follow the schema");
  }
  std::vector<std::string> names;
  for (const Stack& s : assembly.stacks_) {
    for (const std::string& other : names) {
      if (other == s.name) {
        return make_error("two stacks are named '" + s.name + "'", shown + "/manifest.json");
      }
    }
    names.push_back(s.name);
  }
  return assembly;
}

std::string trim_cdk_path(std::string_view cdk_path) {
  std::string path(cdk_path);
  for (const char* suffix : {"/Resource", "/Default"}) {
    const std::string s = suffix;
    if (path.size() > s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0) {
      return path.substr(0, path.size() - s.size());
    }
  }
  return path;
}

bool is_image_package(const json& properties) {
  if (!properties.is_object()) return false;
  const auto type = properties.find("PackageType");
  const auto code = properties.find("Code");
  return (type != properties.end() && type->is_string() && *type == "Image") ||
         (code != properties.end() && code->is_object() && code->contains("ImageUri"));
}

std::string construct_path(const json& resource) {
  if (!resource.is_object()) return {};
  auto metadata = resource.find("Metadata");
  if (metadata == resource.end() || !metadata->is_object()) return {};
  auto path = metadata->find("aws:cdk:path");
  if (path == metadata->end() || !path->is_string()) return {};
  return trim_cdk_path(path->get<std::string>());
}

}  // namespace layered::assembly
