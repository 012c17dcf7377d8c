// What is deployed, as serve reads it from the state: re-read only when
// another process (a `layered deploy`) has committed since the last look, so
// every request sees what is deployed at that moment. Whether anything was
// written at all is asked of inotify first: one read that fails, where the
// PRAGMA takes SQLite's file locks under a lock every request shares.
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "invoke_api/internal.hpp"
#include "store/store.hpp"

namespace layered::invoke_api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::optional<int> reserved_concurrency(const state::ResourceRecord& resource) {
  json props = json::parse(resource.properties_json, nullptr, false);
  if (!props.is_object() || !props.contains("ReservedConcurrentExecutions")) return std::nullopt;
  const json& value = props["ReservedConcurrentExecutions"];
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_string()) {
    try {
      return std::stoi(value.get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string string_property(const state::ResourceRecord& resource, const char* name) {
  json props = json::parse(resource.properties_json, nullptr, false);
  if (props.is_object() && props.contains(name) && props[name].is_string())
    return props[name].get<std::string>();
  return "";
}

// The function's tags as GetFunction lists them: its template's Tags, and
// the three that CloudFormation adds to whatever a stack creates.
std::map<std::string, std::string> tags_of(const state::ResourceRecord& resource,
                                           const std::string& stack_arn) {
  std::map<std::string, std::string> tags;
  json props = json::parse(resource.properties_json, nullptr, false);
  if (props.is_object() && props.contains("Tags") && props["Tags"].is_array()) {
    for (const auto& tag : props["Tags"]) {
      if (tag.is_object() && tag.contains("Key") && tag["Key"].is_string() && tag.contains("Value") &&
          tag["Value"].is_string())
        tags[tag["Key"].get<std::string>()] = tag["Value"].get<std::string>();
    }
  }
  tags["aws:cloudformation:stack-name"] = resource.stack;
  tags["aws:cloudformation:stack-id"] = stack_arn;
  tags["aws:cloudformation:logical-id"] = resource.logical_id;
  return tags;
}

std::string identity_of(const state::FunctionRecord& f) {
  json id{f.name,        f.code_key,
          f.code_dir,    model::to_string(f.runtime),
          f.handler,     model::to_string(f.architecture),
          f.memory_mb,   f.timeout_s,
          f.ephemeral_mb};
  for (const auto& layer : f.layers) id.push_back(layer.arn);
  for (const auto& [key, value] : f.environment) id.push_back(key + "=" + value);
  return id.dump();
}

std::int64_t tree_size(const std::string& dir) {
  return static_cast<std::int64_t>(store::unpacked_size(dir));
}

// 2024-01-01T00:00:00Z -> 2024-01-01T00:00:00.000+0000 (Lambda's LastModified).
std::string lambda_time(const std::string& iso) {
  if (iso.size() < 19) return iso;
  return iso.substr(0, 19) + ".000+0000";
}

// What serve reads of a stack: its resources, when it last changed, its id.
struct StackFacts {
  std::vector<state::ResourceRecord> resources;
  std::string deployed_at;
  std::string arn;
};

// Each stack's facts, read once per snapshot; a stack that is not recorded
// (a retained function's, a provided layer's) has none.
class Stacks {
 public:
  Stacks(const state::State& state, const state::Settings& settings) : state_(state), settings_(settings) {}

  Result<const StackFacts*> of(const std::string& name) {
    if (auto it = read_.find(name); it != read_.end()) return &it->second;
    StackFacts facts;
    auto stack = state_.stack(name);
    if (!stack) return stack.error();
    if (*stack) {
      auto resources = state_.resources(name);
      if (!resources) return resources.error();
      facts.resources = std::move(*resources);
      facts.deployed_at = (*stack)->deployed_at;
      facts.arn = state::stack_arn(
          state::resolve_environment(settings_, (*stack)->account_id, (*stack)->region), name);
    }
    return &read_.emplace(name, std::move(facts)).first->second;
  }

 private:
  const state::State& state_;
  const state::Settings& settings_;
  std::map<std::string, StackFacts> read_;
};

const state::ResourceRecord* resource_of(const StackFacts& stack, const std::string& logical_id) {
  for (const auto& r : stack.resources)
    if (r.logical_id == logical_id) return &r;
  return nullptr;
}

// What the function's template says beyond its record.
void read_properties(const state::ResourceRecord& resource, const std::string& stack_arn, Deployed& d) {
  d.reserved_concurrency = reserved_concurrency(resource);
  d.role = string_property(resource, "Role");
  d.description = string_property(resource, "Description");
  d.tags = tags_of(resource, stack_arn);
  json props = json::parse(resource.properties_json, nullptr, false);
  if (!props.is_object()) return;
  if (auto tracing = props.find("TracingConfig"); tracing != props.end() && tracing->is_object()) {
    if (auto mode = tracing->find("Mode"); mode != tracing->end() && mode->is_string())
      d.tracing_mode = *mode;
  }
  if (auto logging = props.find("LoggingConfig"); logging != props.end() && logging->is_object())
    d.logging = *logging;
  if (auto snap = props.find("SnapStart"); snap != props.end() && snap->is_object()) {
    if (auto apply_on = snap->find("ApplyOn"); apply_on != snap->end() && apply_on->is_string())
      d.snap_start = *apply_on;
  }
  // Tags are not the function's configuration: tagging keeps its RevisionId.
  props.erase("Tags");
  d.revision_seed = props.dump();
}

// Published versions: the function's settings that are not in its copy
// (role, reserved concurrency, tracing and logging) come from the function
// as deployed now.
Status read_versions(const state::State& state, Snapshot& snapshot) {
  auto versions = state.function_versions();
  if (!versions) return versions.error();
  auto aliases = state.aliases();
  if (!aliases) return aliases.error();
  snapshot.aliases = std::move(*aliases);
  for (auto& v : *versions) {
    const Deployed* latest = snapshot.find(v.function.name);
    if (!latest) continue;  // a version outlives its function only in a broken state
    Deployed d;
    d.reserved_concurrency = latest->reserved_concurrency;
    d.role = latest->role;
    d.tags = latest->tags;
    d.tracing_mode = latest->tracing_mode;
    d.logging = latest->logging;
    d.snap_start = latest->snap_start;
    d.description = v.description.empty() ? latest->description : v.description;
    d.record = std::move(v.function);
    d.record.arn = v.arn;
    d.identity = identity_of(d.record) + d.record.version;
    d.revision_seed = v.published_at + "\n" + v.description;  // a version never changes
    d.last_modified = lambda_time(v.published_at);
    d.code_size = tree_size(d.record.code_dir);
    snapshot.versions.push_back(std::move(d));
  }
  return Ok{};
}

Status read_functions(const state::State& state, Stacks& stacks, Snapshot& snapshot) {
  auto functions = state.functions();
  if (!functions) return functions.error();
  for (auto& f : *functions) {
    auto stack = stacks.of(f.stack);
    if (!stack) return stack.error();
    Deployed d;
    if (const auto* resource = resource_of(**stack, f.logical_id))
      read_properties(*resource, (*stack)->arn, d);
    d.identity = identity_of(f);
    d.last_modified = lambda_time((*stack)->deployed_at);
    d.code_size = tree_size(f.code_dir);
    d.record = std::move(f);
    snapshot.functions.push_back(std::move(d));
  }
  std::sort(snapshot.functions.begin(), snapshot.functions.end(),
            [](const Deployed& a, const Deployed& b) { return a.record.name < b.record.name; });
  return Ok{};
}

// A layer version's CreatedDate and LicenseInfo. No creation time is
// recorded: its stack's last change stands for it (the same, unless the
// stack changed since without publishing it again).
Status read_layers(const state::State& state, Stacks& stacks, Snapshot& snapshot) {
  auto layers = state.layer_versions();
  if (!layers) return layers.error();
  snapshot.layers = std::move(*layers);
  for (const auto& l : snapshot.layers) {
    if (l.stack.empty()) continue;
    auto stack = stacks.of(l.stack);
    if (!stack) return stack.error();
    LayerVersionFacts facts;
    if (!(*stack)->deployed_at.empty()) facts.created_date = lambda_time((*stack)->deployed_at);
    const auto* resource = resource_of(**stack, l.logical_id);
    if (resource && resource->physical_id == l.arn)
      facts.license_info = string_property(*resource, "LicenseInfo");
    snapshot.layer_facts[l.arn] = std::move(facts);
  }
  return Ok{};
}

// The ARN a not-emulated resource applies to (deploy/recorded.cpp's
// physical ids), "$LATEST" left out as an unqualified ARN means it.
std::string recorded_target(const state::ResourceRecord& r) {
  json props = json::parse(r.properties_json, nullptr, false);
  std::string target = r.physical_id;
  if (r.type == "AWS::Lambda::Permission") target = target.substr(0, target.find('|'));
  if (r.type == "AWS::Lambda::EventSourceMapping") {
    json attributes = json::parse(r.attributes_json, nullptr, false);
    if (attributes.is_object() && attributes.contains("EventSourceMappingArn"))
      target = attributes["EventSourceMappingArn"].get<std::string>();
  }
  if (r.type == "AWS::Lambda::Url" && props.is_object() && props.contains("Qualifier") &&
      props["Qualifier"].is_string() && !target.ends_with(":" + props["Qualifier"].get<std::string>()))
    target += ":" + props["Qualifier"].get<std::string>();
  if (target.ends_with(":$LATEST")) target.resize(target.size() - 8);
  return target;
}

// What the read APIs must not answer as unconfigured: the resources deploy
// records around functions, and the provisioned concurrency of versions
// and aliases in the functions' stacks; and the container image functions
// it records without running them.
void read_recorded(const std::vector<state::ResourceRecord>& not_emulated, Stacks& stacks,
                   Snapshot& snapshot) {
  static const std::set<std::string> around = {"AWS::Lambda::Permission", "AWS::Lambda::Url",
                                               "AWS::Lambda::EventInvokeConfig",
                                               "AWS::Lambda::EventSourceMapping"};
  for (const auto& r : not_emulated) {
    if (r.type == "AWS::Lambda::Function") snapshot.image_functions.insert(r.physical_id);
    if (around.contains(r.type))
      snapshot.recorded.push_back({r.type, r.stack + "/" + r.logical_id, recorded_target(r)});
  }
  std::set<std::string> seen;
  for (const auto& f : snapshot.functions) {
    if (!seen.insert(f.record.stack).second) continue;
    auto stack = stacks.of(f.record.stack);
    if (!stack) continue;
    for (const auto& r : (*stack)->resources) {
      if (r.type != "AWS::Lambda::Version" && r.type != "AWS::Lambda::Alias") continue;
      json props = json::parse(r.properties_json, nullptr, false);
      if (props.is_object() && props.contains("ProvisionedConcurrencyConfig"))
        snapshot.recorded.push_back(
            {"ProvisionedConcurrencyConfig", r.stack + "/" + r.logical_id, r.physical_id});
    }
  }
}

Result<std::shared_ptr<const Snapshot>> read_snapshot(const state::State& state) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->settings = state.settings();
  Stacks stacks(state, snapshot->settings);
  LAYERED_TRY(read_layers(state, stacks, *snapshot));
  LAYERED_TRY(read_functions(state, stacks, *snapshot));
  LAYERED_TRY(read_versions(state, *snapshot));
  auto recorded = state.not_emulated_resources();
  if (!recorded) return recorded.error();
  read_recorded(*recorded, stacks, *snapshot);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

}  // namespace

const Deployed* Snapshot::find(const std::string& name) const {
  auto it = std::lower_bound(functions.begin(), functions.end(), name,
                             [](const Deployed& d, const std::string& n) { return d.record.name < n; });
  return it != functions.end() && it->record.name == name ? &*it : nullptr;
}

const Deployed* Snapshot::find(const std::string& name, const std::string& qualifier, double draw) const {
  const Deployed* latest = find(name);
  if (!latest || qualifier.empty() || qualifier == "$LATEST") return latest;
  std::string version = qualifier;
  if (qualifier.find_first_not_of("0123456789") != std::string::npos) {
    auto alias = std::find_if(aliases.begin(), aliases.end(), [&](const state::AliasRecord& a) {
      return a.function == name && a.name == qualifier;
    });
    if (alias == aliases.end()) return nullptr;
    version = alias->function_version;
    double at = 0;
    for (const auto& [extra, weight] : alias->routing) {
      if (draw >= at && draw < at + weight) version = extra;
      at += weight;
    }
    if (version == "$LATEST") return latest;
  }
  auto it = std::find_if(versions.begin(), versions.end(), [&](const Deployed& d) {
    return d.record.name == name && d.record.version == version;
  });
  return it == versions.end() ? nullptr : &*it;
}

namespace {

struct OpenedState {
  std::optional<state::State> state;  // none until a first deploy has made it
  int watch = -1;                     // inotify on the state directory; -1: none
};

Result<OpenedState> open_state(const std::string& state_dir) {
  std::error_code ec;
  if (!fs::exists(fs::path(state_dir) / "state.db", ec)) return OpenedState{};
  auto state = state::State::open_read_only(state_dir);  // never waits for a deploy
  if (!state) return state.error();
  // A commit writes state.db-wal (or state.db) with write(2), which inotify
  // reports before the writer's commit returns. Without a watch (limits
  // reached), every look asks SQLite.
  int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  constexpr std::uint32_t kWrites = IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM;
  if (watch >= 0 && ::inotify_add_watch(watch, state_dir.c_str(), kWrites) < 0) {
    ::close(watch);
    watch = -1;
  }
  return OpenedState{std::move(*state), watch};
}

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::open(const std::string& state_dir) {
  auto opened = open_state(state_dir);
  if (!opened) return opened.error();
  return std::unique_ptr<Catalog>(new Catalog(state_dir, std::move(opened->state), opened->watch));
}

Catalog::~Catalog() {
  if (watch_ >= 0) ::close(watch_);
}

// Drains what inotify queued; true when there was nothing.
bool Catalog::nothing_written_since_last_look() {
  if (watch_ < 0) return false;
  alignas(inotify_event) char buf[4096];
  bool quiet = true;
  while (::read(watch_, buf, sizeof buf) > 0) quiet = false;
  return quiet;
}

// With mutex_ held: an empty snapshot until the state exists and a first
// deploy has finished making it; then the catalog reads it from now on.
Result<std::shared_ptr<const Snapshot>> Catalog::before_first_deploy() {
  auto opened = open_state(dir_);
  if (opened.ok() && opened->state) {
    state_ = std::move(opened->state);
    watch_ = opened->watch;
    return std::shared_ptr<const Snapshot>();
  }
  if (!snapshot_) {
    auto empty = std::make_shared<Snapshot>();
    empty->settings = state::State::settings_from_environment();
    snapshot_ = std::move(empty);
  }
  return snapshot_;
}

Result<std::shared_ptr<const Snapshot>> Catalog::current() {
  std::lock_guard lock(mutex_);
  if (!state_) {
    auto waiting = before_first_deploy();
    if (!waiting || *waiting) return waiting;
    snapshot_.reset();
  }
  // inotify reports the write of a commit's last frame, and SQLite makes the
  // commit visible just after, through the mapped -shm that inotify never
  // reports: a look in between sees nothing new. So SQLite is asked on every
  // look until kSettle after the last write, not only on the first.
  const auto now = std::chrono::steady_clock::now();
  if (!nothing_written_since_last_look()) unsettled_until_ = now + kSettle;
  if (snapshot_ && now >= unsettled_until_) return snapshot_;
  auto counter = state_->change_counter();
  if (!counter) return counter.error();
  if (!snapshot_ || *counter != seen_) {
    if (state_->schema_migrated_since_open()) {  // a deploy migrated it: see its new tables
      auto reopened = state::State::open_read_only(dir_);
      if (!reopened) return reopened.error();
      state_ = std::move(*reopened);
      counter = state_->change_counter();
      if (!counter) return counter.error();
    }
    auto fresh = read_snapshot(*state_);
    if (!fresh) return fresh.error();
    snapshot_ = std::move(*fresh);
    seen_ = *counter;
  }
  return snapshot_;
}

std::string Catalog::cache_dir() const { return dir_ + "/cache"; }

}  // namespace layered::invoke_api
