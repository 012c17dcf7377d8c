// The parts of `serve`, private to the invoke_api module.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/common.hpp"
#include "invoke/invoke.hpp"
#include "invoke_api/invoke_api.hpp"
#include "state/state.hpp"

namespace layered::invoke_api {

// Lambda's request limits for Invoke (docs/lambda-facts.md section 1).
constexpr std::size_t kMaxSyncPayload = 6291456;
constexpr std::size_t kMaxAsyncPayload = 1048576;
// X-Amz-Log-Result carries the last 4 KB of the log.
constexpr std::size_t kLogTailBytes = 4096;

// An error as Lambda answers it: the HTTP status, the x-amzn-ErrorType code
// and the JSON body's message (and Reason for throttles).
struct ApiError {
  int status = 500;
  std::string type;
  std::string message;
  std::string reason;
  // No environment ran anything: the request may be tried again.
  bool before_start = false;
};

template <class T>
using Api = std::variant<T, ApiError>;

ApiError function_not_found(const std::string& arn);
ApiError request_too_large(std::size_t limit, const std::string& operation);
// An Invoke body over Lambda's limit: an Event's (InvokeAsync's 1 MB)
// whatever its size, else the synchronous 6 MB.
ApiError payload_too_large(bool event);
ApiError invalid_request_content(const std::string& detail);
ApiError invalid_parameter(const std::string& message);
// A request outside the API model's constraints (a pattern, an enum).
ApiError validation_error(const std::string& message);
// The ValidationException for a `member` whose `value` is longer than
// `max_length`, or else does not match `pattern` (the API model's wording).
ApiError constraint_error(const std::string& value, const std::string& member, std::size_t max_length,
                          const std::string& pattern);
// A value outside one of the model's enums, as Lambda's front end words it.
ApiError not_in_enum(const std::string& value, const std::string& member,
                     const std::vector<std::string>& values);
ApiError throttled(const std::string& reason);
// 429 for an Event beyond what serve's queue holds (the SDKs retry it).
ApiError event_queue_full();
ApiError service_error(const std::string& message);
// {"Type":"User"|"Service","message":...[,"Reason":...]}, with "Message"
// for the exceptions whose model member is spelled so.
std::string error_body(const ApiError& error);

// base64 of the log's last kLogTailBytes.
std::string log_tail(const std::string& logs);

// A FunctionName as the Invoke API takes it, split into its parts.
struct FunctionRef {
  std::string name;
  std::string qualifier;  // "" when none
  std::string region;     // "" unless an ARN gave one
  std::string account;    // "" unless an (partial) ARN gave one
  std::string partition;  // "" unless an ARN gave one ("aws" when it left it out)
};

// name | name:qualifier | account:function:name[:qualifier] |
// [region:]account:function:name[:qualifier] |
// arn:aws:lambda:region:account:function:name[:qualifier]; `query_qualifier`
// is ?Qualifier=. A name outside Lambda's pattern is a ValidationException.
Api<FunctionRef> parse_function_name(const std::string& function_name, const std::string& query_qualifier);

// One deployed function as serve sees it at a point in time.
struct Deployed {
  state::FunctionRecord record;
  std::optional<int> reserved_concurrency;  // ReservedConcurrentExecutions
  std::string role;                         // the Role property, as deployed
  std::string description;
  std::map<std::string, std::string> tags;  // the function's, as GetFunction lists them
  // Changes whenever a redeploy changes what an environment would run.
  std::string identity;
  std::string last_modified;  // Lambda's format: 2024-01-01T00:00:00.000+0000
  std::int64_t code_size = 0;
  // What else an update changes that `identity` leaves out (Role,
  // Description, what serve does not run): the template's properties for
  // $LATEST, the publication for a version. RevisionId is derived from both.
  std::string revision_seed;
  // The template's TracingConfig.Mode ("" when none: PassThrough) and
  // LoggingConfig (null when none); a version has its function's.
  std::string tracing_mode;
  nlohmann::json logging;
  // The template's SnapStart.ApplyOn ("" when none: None); a version has
  // its function's.
  std::string snap_start;
};

// What serve knows of a layer version beyond its record.
struct LayerVersionFacts {
  // Lambda's format; when its stack last changed, as no creation time is
  // recorded; "" for a layer version of no stack (`deploy --layer`).
  std::string created_date;
  std::string license_info;  // the template's LicenseInfo; "" when none
};

// What a template defined around a function that layered records without
// emulating it: a permission, a function URL, an event invoke
// configuration, a version's or alias's provisioned concurrency, an event
// source mapping. The read APIs about them say so rather than answer as if
// nothing were configured.
struct RecordedSetting {
  std::string type;    // the resource type: AWS::Lambda::Permission, ...
  std::string where;   // stack/logical id
  std::string target;  // the ARN it applies to: a function's (qualified unless $LATEST), a mapping's
};

struct Snapshot {
  state::Settings settings;
  std::vector<Deployed> functions;  // by name
  // Published versions (record.version "N", record.arn qualified), by name
  // then number; and aliases.
  std::vector<Deployed> versions;
  std::vector<state::AliasRecord> aliases;
  std::vector<state::LayerVersionRecord> layers;
  std::map<std::string, LayerVersionFacts> layer_facts;  // by layer version ARN
  // Names of container image functions: recorded by deploy, never run.
  std::set<std::string> image_functions;
  std::vector<RecordedSetting> recorded;
  const Deployed* find(const std::string& name) const;
  // `qualifier`: "" or $LATEST, a version number, or an alias (`draw` in
  // [0, 1) picks between an alias's weighted versions); nullptr when none.
  const Deployed* find(const std::string& name, const std::string& qualifier, double draw) const;
};

// What is deployed, re-read only when the state changed since the last look.
// Before a first deploy has made the state, nothing is: the state is
// looked for again at each look.
class Catalog {
 public:
  static Result<std::unique_ptr<Catalog>> open(const std::string& state_dir);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;
  Result<std::shared_ptr<const Snapshot>> current();
  std::string cache_dir() const;

 private:
  Catalog(std::string dir, std::optional<state::State> state, int watch)
      : dir_(std::move(dir)), state_(std::move(state)), watch_(watch) {}
  bool nothing_written_since_last_look();
  Result<std::shared_ptr<const Snapshot>> before_first_deploy();
  // How long after a write SQLite is still asked (Catalog::current).
  static constexpr auto kSettle = std::chrono::seconds(1);
  std::mutex mutex_;
  std::string dir_;
  std::optional<state::State> state_;  // none until a first deploy has made it
  int watch_ = -1;                     // inotify on the state directory; -1: ask SQLite every time
  // Until then every look asks SQLite (always, without a watch).
  std::chrono::steady_clock::time_point unsettled_until_{};
  std::int64_t seen_ = -1;
  std::shared_ptr<const Snapshot> snapshot_;
};

// Marker: the index to start at, as Lambda's opaque token; MaxItems 1..10000.
struct Page {
  std::size_t start = 0;
  std::size_t size = 50;
};
Api<Page> page_of(const std::string& marker, const std::string& max_items);

// One page of `items` under `key`, at most `most` whatever MaxItems asks,
// with NextMarker when more follow.
template <class Item, class ToJson>
Api<std::string> paged(const std::vector<Item>& items, const char* key, const std::string& marker,
                       const std::string& max_items, ToJson to_json, std::size_t most = 10000) {
  auto page = page_of(marker, max_items);
  if (auto* error = std::get_if<ApiError>(&page)) return *error;
  const std::size_t start = std::get<Page>(page).start;
  const std::size_t size = std::min(std::get<Page>(page).size, most);
  nlohmann::json listed = nlohmann::json::array();
  for (std::size_t i = start; i < items.size() && i < start + size; ++i) listed.push_back(to_json(items[i]));
  nlohmann::json body{{key, listed}};
  if (start + size < items.size()) body["NextMarker"] = std::to_string(start + size);
  return body.dump();
}

// The read APIs' response bodies (Lambda API reference shapes).
nlohmann::json configuration(const Deployed& function);
// Each item once per function, or with FunctionVersion=ALL each published
// version after its $LATEST.
Api<std::string> list_functions(const Snapshot& snapshot, const std::string& function_version,
                                const std::string& marker, const std::string& max_items);
// `function_arn`: as the caller named it (an alias's or $LATEST's qualified).
std::string get_function(const Deployed& function, const std::string& function_arn);
// CompatibleRuntime and CompatibleArchitecture of ListLayers and
// ListLayerVersions; "" matches every layer version.
struct LayerFilter {
  std::string runtime;
  std::string architecture;
};
Api<std::string> list_layers(const Snapshot& snapshot, const LayerFilter& filter, const std::string& marker,
                             const std::string& max_items);
Api<std::string> list_layer_versions(const Snapshot& snapshot, const std::string& layer,
                                     const LayerFilter& filter, const std::string& marker,
                                     const std::string& max_items);
Api<std::string> get_layer_version(const Snapshot& snapshot, const std::string& layer,
                                   const std::string& version);
Api<std::string> get_layer_version_by_arn(const Snapshot& snapshot, const std::string& arn);
// Versions, aliases and concurrency (invoke_api/versions.cpp).
Api<std::string> list_versions(const Snapshot& snapshot, const std::string& function_name,
                               const std::string& marker, const std::string& max_items);
Api<std::string> get_function_concurrency(const Snapshot& snapshot, const std::string& function_name);
// `function_version`: "" for all, else only the aliases pointing at it.
Api<std::string> list_aliases(const Snapshot& snapshot, const std::string& function_name,
                              const std::string& function_version, const std::string& marker,
                              const std::string& max_items);
Api<std::string> get_alias(const Snapshot& snapshot, const std::string& function_name,
                           const std::string& alias);

// Read APIs about what layered never configures, or records without
// emulating (invoke_api/configs.cpp). `function_name` and `qualifier` as in
// the request's path and ?Qualifier=.
Api<std::string> list_tags(const Snapshot& snapshot, const std::string& resource);
std::string get_account_settings(const Snapshot& snapshot);
Api<std::string> get_policy(const Snapshot& snapshot, const std::string& function_name,
                            const std::string& qualifier);
Api<std::string> get_function_url_config(const Snapshot& snapshot, const std::string& function_name,
                                         const std::string& qualifier);
Api<std::string> list_function_url_configs(const Snapshot& snapshot, const std::string& function_name,
                                           const std::string& marker, const std::string& max_items);
Api<std::string> get_event_invoke_config(const Snapshot& snapshot, const std::string& function_name,
                                         const std::string& qualifier);
Api<std::string> get_provisioned_concurrency(const Snapshot& snapshot, const std::string& function_name,
                                             const std::string& qualifier);

// An environment handed to one invocation.
struct Lease {
  std::unique_ptr<invoke::Environment> env;
  std::string name;
  std::string identity;
  // How long laying out its sandbox took, when this lease is its first use:
  // ahead of the request (a prepared environment) or for it (on demand).
  std::optional<double> prepared_ms;
  bool prepared_ahead = false;
};

// Execution environments per function: one per concurrent invocation, the
// finished ones kept warm for the same deployed identity.
class Pools {
 public:
  Pools(int max_environments, std::chrono::milliseconds idle_timeout, invoke::Options options);
  ~Pools();
  Pools(const Pools&) = delete;
  Pools& operator=(const Pools&) = delete;

  // While every environment is busy, a request waits this long for one.
  static constexpr auto kCapWait = std::chrono::seconds(30);
  // At the cap, an environment idle this long is taken for another function.
  static constexpr auto kEvictAfter = std::chrono::milliseconds(20);
  // How long an environment stays idle before reap_idle freezes it.
  static constexpr auto kFreezeAfter = std::chrono::milliseconds(50);

  // A warm environment of the function's deployed identity, else one
  // prepared ahead, else a new one prepared now; at the cap with none idle,
  // waits (up to kCapWait) for one to finish.
  Api<Lease> acquire(const Deployed& function);
  // serve is stopping: ends every wait of acquire (500, as the invocations
  // under way end), refuses new ones,
  // and ends the invocations under way (their environments shut down).
  void close();
  // Prepares one environment ahead (sandbox laid out, runtime held) for each
  // of the first `functions` functions of `snapshot` that has no idle one of
  // its deployed identity, while the cap leaves room; one at a time, outside
  // the lock. Returns what to tell the user (failures, and times when
  // `verbose`). `stop` is checked between environments.
  std::string prepare_ahead(const Snapshot& snapshot, std::size_t functions, bool verbose,
                            const std::function<bool()>& stop);
  // `reusable`: the environment is healthy and may serve the next request.
  void release(Lease lease, bool reusable);
  // Shuts down environments idle longer than the idle timeout.
  void reap_idle();
  // Shuts down idle environments (prepared ahead or warm) of what is no
  // longer deployed: a redeployed identity, a destroyed function.
  void retire_undeployed(const Snapshot& snapshot);
  void clear();
  int live() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Idle {
    std::unique_ptr<invoke::Environment> env;
    std::string identity;
    Clock::time_point since;
    std::optional<double> prepared_ms;  // prepared ahead, not yet used
  };
  // One per function version: $LATEST and version N never share
  // environments (AWS_LAMBDA_FUNCTION_VERSION differs, and so may the code).
  struct Function {
    std::string name;        // the function's, for its reserved concurrency
    std::vector<Idle> idle;  // most recently used last
    int busy = 0;
  };
  int busy_locked(const std::string& function_name) const;
  void retire_stale_locked(Function& f, const std::string& identity,
                           std::vector<std::unique_ptr<invoke::Environment>>& retired);
  // `environments` fewer are alive: wakes the requests waiting at the cap.
  void forget_locked(int environments);
  void release_slot(const std::string& name);
  static std::string pool_key(const Deployed& function);
  // The function whose idle environment has waited longest; nullptr when
  // none is idle. With mutex_ held.
  Function* oldest_idle_locked();
  // Takes `from`'s least recently used idle environment out, to make room
  // under the cap. With mutex_ held.
  std::unique_ptr<invoke::Environment> evict_locked(Function& from);
  // Makes an environment and lays its sandbox out; the time it took.
  Result<std::pair<std::unique_ptr<invoke::Environment>, double>> prepared(const Deployed& function);
  // Takes the function's best idle environment (warm first). With mutex_ held.
  std::optional<Lease> take_idle_locked(Function& f, const Deployed& function);

  const int max_environments_;
  const std::chrono::milliseconds idle_timeout_;
  const int abort_fd_;  // an eventfd every environment's waits watch (close())
  const invoke::Options options_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;  // live_ fell, or an environment went idle
  bool closing_ = false;
  std::map<std::string, Function> functions_;  // by "name:version"
  int live_ = 0;
  // Identities whose preparation failed: not tried ahead again (a request
  // still tries, and says why it fails).
  std::set<std::string> unpreparable_;
};

}  // namespace layered::invoke_api
