// AWS::Lambda::LayerVersion (immutable: a change publishes a new version) and
// AWS::Lambda::Function, validated with Lambda's own limits and wording.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

#include "deploy/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::deploy::detail {

namespace fs = std::filesystem;

namespace {

// A value as a message can show it: control characters escaped, so that a
// newline in a name cannot split the error line.
std::string printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
      continue;
    }
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, c == '\n' ? "\\n" : "\\x%02x", static_cast<unsigned char>(c));
    out += escaped;
  }
  return out;
}

// Bytes of the regular files under `dir`, counted once per deploy per tree.
std::uint64_t tree_size(StackContext& ctx, const std::string& dir) {
  auto [it, inserted] = ctx.tree_sizes.try_emplace(dir, 0);
  if (inserted) it->second = store::unpacked_size(dir);
  return it->second;
}

std::string quoted(const Json& list) {
  std::string out;
  for (const auto& v : list)
    out += (out.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return "[" + out + "]";
}

// Lambda's validation wording: "1 validation error detected: Value '64' at
// 'memorySize' failed to satisfy constraint: Member must have value greater
// than or equal to 128".
Error validation_error(const std::string& value, const std::string& field, const std::string& constraint,
                       const std::string& where, const std::string& hint) {
  return make_error("1 validation error detected: Value '" + value + "' at '" + field +
                        "' failed to satisfy constraint: Member must have " + constraint,
                    where, hint);
}

Result<int> int_property(const StackContext& ctx, const std::string& id, const Json& properties,
                         const std::string& path, int fallback, int min, int max, const std::string& field) {
  const Json* value = &properties;
  std::string rest = path;
  for (auto dot = rest.find('.'); value && dot != std::string::npos; dot = rest.find('.')) {
    value = value->contains(rest.substr(0, dot)) ? &(*value)[rest.substr(0, dot)] : nullptr;
    rest = rest.substr(dot + 1);
  }
  if (!value || !value->is_object() || !value->contains(rest)) return fallback;
  auto text = string_property(*value, rest).value_or("");
  char* end = nullptr;
  long number = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return make_error("'" + text + "' is not an integer", ctx.where(id, path), "use a whole number");
  }
  std::string range = std::to_string(min) + "-" + std::to_string(max);
  if (number < min) {
    return validation_error(text, field, "value greater than or equal to " + std::to_string(min),
                            ctx.where(id, path), "Lambda accepts " + range);
  }
  if (number > max) {
    return validation_error(text, field, "value less than or equal to " + std::to_string(max),
                            ctx.where(id, path), "Lambda accepts " + range);
  }
  return static_cast<int>(number);
}

Result<std::vector<std::string>> string_list(const StackContext& ctx, const std::string& id,
                                             const Json& properties, const std::string& key) {
  std::vector<std::string> out;
  auto it = properties.find(key);
  if (it == properties.end()) return out;
  if (!it->is_array()) return make_error("expected a list", ctx.where(id, key));
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) {
      return make_error("expected a string", ctx.where(id, key + "[" + std::to_string(i) + "]"));
    }
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

Status check_architectures(const StackContext& ctx, const std::string& id,
                           const std::vector<std::string>& archs, const std::string& key, std::size_t max) {
  if (archs.size() > max) {
    return validation_error(quoted(Json(archs)),
                            key == "Architectures" ? "architectures" : "compatibleArchitectures",
                            "length less than or equal to " + std::to_string(max), ctx.where(id, key),
                            "list at most " + std::to_string(max));
  }
  for (std::size_t i = 0; i < archs.size(); ++i) {
    if (!model::parse_architecture(archs[i])) {
      return make_error("unknown architecture '" + archs[i] + "'",
                        ctx.where(id, key + "[" + std::to_string(i) + "]"), "use 'x86_64' or 'arm64'");
    }
  }
  return Ok{};
}

Error missing_layer(const StackContext& ctx, const std::string& id, std::size_t i, const std::string& arn) {
  const std::string account = state::arn_account(arn);
  const std::string hint =
      account != ctx.env.account_id
          ? "it is published by account " + account + ", not this app's " + ctx.env.account_id +
                ", and layered cannot download layers from AWS: pass its content with --layer " + arn +
                "=DIR|ZIP ('aws lambda get-layer-version-by-arn --arn " + arn +
                "' gives a link to its zip as Content.Location)"
          : "deploy the stack that publishes it first, or run 'layered list' to see layer versions; one "
            "published outside this app is given with --layer ARN=DIR|ZIP";
  return make_error("Layer version " + arn + " does not exist.",
                    ctx.where(id, "Layers[" + std::to_string(i) + "]"), hint);
}

Result<std::vector<model::Layer>> resolve_layers(const StackContext& ctx, const std::string& id,
                                                 const Json& properties,
                                                 const state::FunctionRecord* before) {
  auto arns = string_list(ctx, id, properties, "Layers");
  if (!arns.ok()) return arns.error();
  if (arns->size() > 5) {
    return validation_error(quoted(properties["Layers"]), "layers", "length less than or equal to 5",
                            ctx.where(id, "Layers"),
                            "a function can use at most 5 layers: merge some of them");
  }
  std::vector<model::Layer> layers;
  for (std::size_t i = 0; i < arns->size(); ++i) {
    const std::string& arn = (*arns)[i];
    // Lambda's check comes before it looks for the layer (InvalidParameterValueException).
    if (const std::string region = state::arn_region(arn); !region.empty() && region != ctx.env.region) {
      return make_error(
          "Layers are not in the same region as the function. Layers are expected to be in "
          "region " +
              ctx.env.region + ".",
          ctx.where(id, "Layers[" + std::to_string(i) + "]"),
          "'" + arn + "' is a layer of " + region + ": publish the layer in " + ctx.env.region +
              " too and use that version's ARN");
    }
    auto layer = ctx.state.find_layer_version(arn);
    if (!layer.ok()) return layer.error();
    bool kept = false;  // a deleted version serves only functions that already had it
    for (const auto& l : before ? before->layers : std::vector<model::Layer>{}) kept = kept || l.arn == arn;
    if (!layer->has_value() || ((*layer)->deleted && !kept)) return missing_layer(ctx, id, i, arn);
    layers.push_back(model::Layer{arn, (*layer)->content_dir, model::layer_display_name(arn)});
  }
  return layers;
}

// Lambda's key pattern, [a-zA-Z]([a-zA-Z0-9_])+.
bool valid_variable_name(const std::string& name) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return name.size() >= 2 && std::isalpha(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), word);
}

Status check_variable_names(const StackContext& ctx, const std::string& id, const state::Pairs& env) {
  std::string reserved;
  for (const auto& [name, value] : env) {
    if (!valid_variable_name(name)) {
      return make_error(
          "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map "
          "keys must satisfy constraint: [Member must satisfy regular expression pattern: "
          "[a-zA-Z]([a-zA-Z0-9_])+]",
          ctx.where(id, "Environment.Variables." + printable(name)),
          "names start with a letter and have only letters, digits and '_'");
    }
    if (sandbox::is_reserved_variable(name)) reserved += (reserved.empty() ? "" : ", ") + name;
  }
  if (reserved.empty()) return Ok{};
  return make_error(
      "Lambda was unable to configure your environment variables because the environment variables you have "
      "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
      "in this request: " +
          reserved,
      ctx.where(id, "Environment.Variables"), "Lambda sets these itself: rename or remove them");
}

Result<state::Pairs> environment_variables(const StackContext& ctx, const std::string& id,
                                           const Json& properties) {
  state::Pairs env;
  auto it = properties.find("Environment");
  if (it == properties.end() || !it->is_object() || !it->contains("Variables")) return env;
  const Json& vars = (*it)["Variables"];
  if (!vars.is_object()) return make_error("expected an object", ctx.where(id, "Environment.Variables"));
  std::size_t total = 0;
  for (const auto& [k, v] : vars.items()) {
    std::string value = v.is_string() ? v.get<std::string>() : v.dump();
    total += k.size() + value.size();
    env.emplace_back(k, value);
  }
  LAYERED_TRY(check_variable_names(ctx, id, env));
  if (total > 4096) {
    return make_error(
        "Lambda was unable to configure your environment variables because the environment variables "
        "you have provided exceeded the 4KB limit.",
        ctx.where(id, "Environment.Variables"), "move large values to files in a layer or to SSM");
  }
  return env;
}

// Lambda's function name rule (CreateFunction's FunctionName, name form).
Status check_function_name(const StackContext& ctx, const std::string& id, const std::string& name) {
  const std::string where = ctx.where(id, "FunctionName");
  const std::string hint = "a function name has 1 to 64 letters, digits, '-' and '_'";
  if (name.size() > 64) {
    return validation_error(printable(name), "functionName", "length less than or equal to 64", where, hint);
  }
  auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  if (!name.empty() && std::all_of(name.begin(), name.end(), allowed)) return Ok{};
  return make_error(
      "1 validation error detected: Value '" + printable(name) +
          "' at 'functionName' failed to satisfy constraint: Member must satisfy regular "
          "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?("
          "\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
      where, hint);
}

// Lambda's limit on a function and its layers together, a service quota
// that holds whatever the doctor is told.
Status check_unzipped_size(StackContext& ctx, const std::string& id, const state::FunctionRecord& f) {
  constexpr std::uint64_t kLimit = 262144000;
  std::uint64_t total = tree_size(ctx, f.code_dir);
  for (const auto& layer : f.layers) total += tree_size(ctx, layer.dir);
  if (total <= kLimit) return Ok{};
  return make_error("Function code combined with layers exceeds the maximum allowed size of " +
                        std::to_string(kLimit) + " bytes. The actual size is " + std::to_string(total) +
                        " bytes.",
                    ctx.where(id),
                    "Lambda's quota is 250 MB unzipped for a function and all its layers: trim the package "
                    "or a layer ('layered doctor' shows what is large)");
}

// Code.ZipFile: CloudFormation writes the text to index.py or index.js and
// zips it; the package is that one file.
Result<store::StoredAsset> store_inline_code(StackContext& ctx, const std::string& id, model::Runtime runtime,
                                             const Json& code) {
  const std::string where = ctx.where(id, "Code.ZipFile");
  const auto file = model::inline_code_file(runtime);
  if (!file) return model::inline_code_refused(runtime, where);
  const Json& text = code["ZipFile"];
  if (!text.is_string() || text.get_ref<const std::string&>().empty()) {
    return make_error("Code.ZipFile must be the function's source code, a non-empty string", where,
                      "put the code inline (lambda.Code.fromInline) or package it as an asset");
  }
  if (code.contains("S3Bucket") || code.contains("S3Key")) {
    return make_error("Code.ZipFile cannot be given with Code.S3Bucket or Code.S3Key", where,
                      "give either the inline code or the S3 location of a package");
  }
  auto stored = ctx.store.put_files(model::inline_package(runtime, text.get<std::string>()));
  if (!stored.ok()) return Error{stored.error().message, where, stored.error().hint};
  return stored;
}

Result<state::FunctionRecord> function_record(StackContext& ctx, const cfn::Resource& resource,
                                              const Json& properties, const state::FunctionRecord* before) {
  const std::string& id = resource.logical_id;
  state::FunctionRecord f;
  if (!properties.contains("Code")) return required_property(ctx, id, "Code");
  const Json& code = properties["Code"];
  const std::string runtime = string_property(properties, "Runtime").value_or("");
  f.handler = string_property(properties, "Handler").value_or("");
  if (runtime.empty() || f.handler.empty()) {
    return make_error(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
        ctx.where(id), "set both Runtime and Handler");
  }
  auto explicit_name = string_property(properties, "FunctionName");
  if (explicit_name) LAYERED_TRY(check_function_name(ctx, id, *explicit_name));
  f.name = explicit_name.value_or(generated_name(ctx.stack.name, id));
  f.arn = state::function_arn(ctx.env, f.name);
  f.stack = ctx.stack.name;
  f.logical_id = id;
  f.construct_path = assembly::construct_path(ctx.stack.template_json["Resources"][id]);
  auto parsed = model::supported_runtime(f.display_name(), runtime, ctx.where(id, "Runtime"));
  if (!parsed.ok()) return parsed.error();
  f.runtime = *parsed;
  auto mem = int_property(ctx, id, properties, "MemorySize", 128, 128, 10240, "memorySize");
  if (!mem.ok()) return mem.error();
  auto timeout = int_property(ctx, id, properties, "Timeout", 3, 1, 900, "timeout");
  if (!timeout.ok()) return timeout.error();
  auto tmp =
      int_property(ctx, id, properties, "EphemeralStorage.Size", 512, 512, 10240, "ephemeralStorage.size");
  if (!tmp.ok()) return tmp.error();
  f.memory_mb = *mem;
  f.timeout_s = *timeout;
  f.ephemeral_mb = *tmp;
  auto archs = string_list(ctx, id, properties, "Architectures");
  if (!archs.ok()) return archs.error();
  LAYERED_TRY(check_architectures(ctx, id, *archs, "Architectures", 1));
  if (!archs->empty()) f.architecture = *model::parse_architecture(archs->front());
  auto env = environment_variables(ctx, id, properties);
  if (!env.ok()) return env.error();
  f.environment = std::move(*env);
  auto layers = resolve_layers(ctx, id, properties, before);
  if (!layers.ok()) return layers.error();
  f.layers = std::move(*layers);
  auto stored = code.is_object() && code.contains("ZipFile")
                    ? store_inline_code(ctx, id, f.runtime, code)
                    : store_asset(ctx, id, code, ctx.where(id, "Code"));
  if (!stored.ok()) return stored.error();
  f.code_key = stored->key;
  f.code_dir = stored->path.string();
  LAYERED_TRY(check_unzipped_size(ctx, id, f));
  return f;
}

// Fn::GetAtt of AWS::Lambda::Function: Arn and the SnapStart response.
Json function_attributes(const state::FunctionRecord& f, const Json& properties) {
  std::string apply_on = "None";
  if (auto snap = properties.find("SnapStart"); snap != properties.end() && snap->is_object())
    apply_on = string_property(*snap, "ApplyOn").value_or("None");
  return Json{{"Arn", f.arn},
              {"SnapStartResponse.ApplyOn", apply_on},
              // SnapStart applies to published versions only, never to $LATEST.
              {"SnapStartResponse.OptimizationStatus", "Off"}};
}

bool same_function(const state::FunctionRecord& a, const state::FunctionRecord& b) {
  auto arns = [](const state::FunctionRecord& f) {
    std::vector<std::string> out;
    for (const auto& l : f.layers) out.push_back(l.arn);
    return out;
  };
  return a.name == b.name && a.code_key == b.code_key && arns(a) == arns(b) &&
         a.construct_path == b.construct_path;
}

// LoggingConfig's JSON format, log levels and log group reach the runtime as
// AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL (and the log group's name) on
// Lambda; here they are recorded only, said once per deploy. The default
// (Text, no levels, no group) changes nothing.
void note_logging_config(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  auto config = properties.find("LoggingConfig");
  if (config == properties.end() || !config->is_object()) return;
  const bool text = string_property(*config, "LogFormat").value_or("Text") == "Text";
  if (text && !config->contains("ApplicationLogLevel") && !config->contains("SystemLogLevel") &&
      !config->contains("LogGroup"))
    return;
  ctx.result.not_emulated_settings.push_back("LoggingConfig " + resource.logical_id);
}

}  // namespace

// A container image function cannot run here (no Docker), but the stack
// around it can: it is recorded, with Lambda's name and ARN, so that what
// refers to it deploys and the zip functions beside it run.
Status apply_image_function(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  // A zip function that became an image one no longer runs here.
  auto prev = ctx.previous.find(resource.logical_id);
  if (prev != ctx.previous.end() && prev->second.emulated)
    LAYERED_TRY(ctx.state.remove_function(prev->second.physical_id));
  auto record = new_record(ctx, resource, properties);
  record.emulated = false;
  const auto explicit_name = string_property(properties, "FunctionName");
  if (explicit_name) LAYERED_TRY(check_function_name(ctx, resource.logical_id, *explicit_name));
  record.physical_id = explicit_name.value_or(generated_name(ctx.stack.name, resource.logical_id));
  record.attributes_json = Json{{"Arn", state::function_arn(ctx.env, record.physical_id)}}.dump();
  ctx.result.not_emulated.push_back(resource.type + " " + resource.logical_id);
  return record_resource(ctx, resource, std::move(record), "(a container image: recorded only, not run)");
}

Status apply_function(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  if (assembly::is_image_package(properties)) return apply_image_function(ctx, resource, properties);
  auto prev = ctx.previous.find(resource.logical_id);
  std::optional<state::FunctionRecord> before;
  if (prev != ctx.previous.end()) {
    auto found = ctx.state.function(prev->second.physical_id);
    if (!found.ok()) return found.error();
    before = std::move(*found);
  }
  auto f = function_record(ctx, resource, properties, before ? &*before : nullptr);
  if (!f.ok()) return f.error();
  note_logging_config(ctx, resource, properties);
  auto record = new_record(ctx, resource, properties);
  record.physical_id = f->name;
  record.attributes_json = function_attributes(*f, properties).dump();
  const bool same =
      before && prev->second.properties_json == record.properties_json && same_function(*before, *f);
  if (!same) {
    const bool replaced = before && before->name != f->name;
    if (!before || replaced) {
      auto clash = ctx.state.function(f->name);
      if (!clash.ok()) return clash.error();
      // A generated name is unique on AWS (its suffix is random); here it is
      // derived, so a stack deployed again meets the function it retained:
      // it takes that one over. A name given in the template clashes, as on AWS.
      const bool retained_here =
          clash->has_value() && (*clash)->stack.empty() && !string_property(properties, "FunctionName");
      if (clash->has_value() && !retained_here) {
        auto owner = ctx.state.stack_environment((*clash)->stack);
        if (!owner.ok()) return owner.error();
        return make_error(f->name + " already exists in stack " + state::stack_arn(*owner, (*clash)->stack),
                          ctx.where(resource.logical_id, "FunctionName"),
                          "function names are unique: choose another");
      }
    }
    ctx.action(!before ? "creating" : replaced ? "replacing" : "updating", resource);
    if (replaced) ctx.replaced.push_back(prev->second);
    if (ctx.options.check_function) LAYERED_TRY(ctx.options.check_function(*f));
    LAYERED_TRY(ctx.state.put_function(*f));
    LAYERED_TRY(ctx.state.put_resource(record));
    ctx.changed = true;
  } else if (prev->second.deletion_policy != record.deletion_policy ||
             prev->second.update_replace_policy != record.update_replace_policy) {
    LAYERED_TRY(ctx.state.put_resource(record));
    ctx.changed = true;
  }
  ctx.current[resource.logical_id] = std::move(record);
  return Ok{};
}

Status apply_layer_version(StackContext& ctx, const cfn::Resource& resource, const Json& properties) {
  const std::string& id = resource.logical_id;
  if (!properties.contains("Content")) return required_property(ctx, id, "Content");
  auto runtimes = string_list(ctx, id, properties, "CompatibleRuntimes");
  if (!runtimes.ok()) return runtimes.error();
  if (runtimes->size() > 15) {
    return validation_error(quoted(properties["CompatibleRuntimes"]), "compatibleRuntimes",
                            "length less than or equal to 15", ctx.where(id, "CompatibleRuntimes"),
                            "list at most 15");
  }
  auto archs = string_list(ctx, id, properties, "CompatibleArchitectures");
  if (!archs.ok()) return archs.error();
  LAYERED_TRY(check_architectures(ctx, id, *archs, "CompatibleArchitectures", 2));
  auto stored = store_asset(ctx, id, properties["Content"], ctx.where(id, "Content"));
  if (!stored.ok()) return stored.error();

  auto record = new_record(ctx, resource, properties);
  auto prev = ctx.previous.find(id);
  if (prev != ctx.previous.end()) {
    auto old = ctx.state.find_layer_version(prev->second.physical_id);
    if (!old.ok()) return old.error();
    if (old->has_value() && (*old)->content_key == stored->key &&
        prev->second.properties_json == record.properties_json) {
      record.physical_id = prev->second.physical_id;
      record.attributes_json = prev->second.attributes_json;
      if (prev->second.deletion_policy != record.deletion_policy ||
          prev->second.update_replace_policy != record.update_replace_policy) {
        LAYERED_TRY(ctx.state.put_resource(record));
        ctx.changed = true;
      }
      ctx.current[id] = std::move(record);
      return Ok{};
    }
  }
  // Immutable: any change publishes a new version; the old one goes at cleanup.
  state::LayerVersionRecord layer;
  layer.layer_name = string_property(properties, "LayerName").value_or(id);
  auto version = ctx.state.reserve_layer_version(layer.layer_name);
  if (!version.ok()) return version.error();
  layer.version = *version;
  layer.arn = state::layer_version_arn(ctx.env, layer.layer_name, layer.version);
  layer.content_key = stored->key;
  layer.content_dir = stored->path.string();
  layer.compatible_runtimes = std::move(*runtimes);
  layer.compatible_architectures = std::move(*archs);
  layer.description = string_property(properties, "Description").value_or("");
  layer.stack = ctx.stack.name;
  layer.logical_id = id;
  const bool replacing = prev != ctx.previous.end();
  ctx.action(replacing ? "replacing" : "creating", resource,
             "(publishing version " + std::to_string(layer.version) + ")");
  LAYERED_TRY(ctx.state.put_layer_version(layer));
  if (replacing) ctx.replaced.push_back(prev->second);
  record.physical_id = layer.arn;
  record.attributes_json = Json{{"LayerVersionArn", layer.arn}}.dump();
  LAYERED_TRY(ctx.state.put_resource(record));
  ctx.result.published_layer_versions.push_back(layer.arn);
  ctx.changed = true;
  ctx.current[id] = std::move(record);
  return Ok{};
}

}  // namespace layered::deploy::detail
