// One Lambda execution environment on this machine: the function's layers
// merged into /opt, its code at /var/task, a size-limited /tmp, and the rest
// of the root built from the emulated base image (layered/image), never from
// this machine's /usr or environment. bubblewrap does the mounting; a memory
// cgroup of the engine's own (or, where there is none, a resident-set watch)
// enforces and measures the memory size.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/common.hpp"
#include "image/image.hpp"

namespace layered::sandbox {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The layer directories merged in order by model::overlay (a later layer's
// file replaces an earlier one's; directories merge; a path keeps its kind),
// built once per ordered set under
// `cache_dir` (hard links, else copies; atomically). Returns the merged
// directory, or "" when `layer_dirs` is empty.
Result<std::string> merge_layers(const std::vector<std::string>& layer_dirs, const std::string& cache_dir);

// The image's host programs (curl) with their own loader and libraries,
// bundled once under `cache_dir`; "" when none is installed here. The sandbox
// binds the bundle privately, so those libraries never join the image's.
Result<std::string> prepare_host_programs(const image::BaseImage& image, const std::string& cache_dir);

// The emulated image laid out once under `cache_dir` as a directory tree
// (keyed by the image's description and the host files it takes), which a
// sandbox binds read-only as its root: one mount instead of dozens.
Result<std::string> prepare_image_tree(const image::BaseImage& image, const std::string& host_programs_dir,
                                       const std::string& cache_dir);
// Its name under <cache>/image (for the cache's garbage collection).
Result<std::string> image_tree_name(const image::BaseImage& image, const std::string& host_programs_dir);

// Cache garbage collection (cache_gc.cpp). The keys name the entries
// <cache>/opt/<layers_cache_key> and <cache>/host-programs/<host_programs_cache_key>.
std::string layers_cache_key(const std::vector<std::string>& layer_dirs);
std::string host_programs_cache_key(const image::BaseImage& image);
// A shared lock on a cache entry for as long as an environment uses it; the
// collector never deletes a locked entry. Empty (no lock) when moved from.
class CacheLease {
 public:
  CacheLease() = default;
  explicit CacheLease(int fd) : fd_(fd) {}
  CacheLease(CacheLease&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  CacheLease& operator=(CacheLease&& other) noexcept;
  CacheLease(const CacheLease&) = delete;
  CacheLease& operator=(const CacheLease&) = delete;
  ~CacheLease();

 private:
  int fd_ = -1;
};
// Locks `entry` (a directory from merge_layers or prepare_host_programs;
// "" gives an empty lease). Fails if the collector removed it meanwhile:
// build it again and retry.
Result<CacheLease> lease_cache_entry(const std::string& entry);
// Deletes every merged /opt tree under `cache_dir` whose key is not in
// `keep_layer_sets` (each an ordered list of layer directories), every
// host-program bundle but the current one of each known runtime, and
// temporary directories of processes that are gone; skips locked entries.
Status collect_cache_garbage(const std::string& cache_dir,
                             const std::vector<std::vector<std::string>>& keep_layer_sets);

// What Lambda sets in the environment, before the function's own variables.
struct Identity {
  std::string function_name;
  std::string version = "$LATEST";
  std::string handler;
  int memory_mb = 128;
  std::string region = "us-east-1";
  std::string runtime_api;  // host:port, no scheme
  std::string log_stream;   // 2024/12/19/[$LATEST]<32 hex>
};

// Lambda's variables (in the image's PATH / LD_LIBRARY_PATH order), then the
// function's own; reserved names in `function_env` are ignored, as Lambda
// refuses them. Credentials are obviously-local fakes, never this machine's.
Pairs lambda_environment(const image::BaseImage& image, const Identity& id, const Pairs& function_env);

// True for names a function may not set (Lambda's reserved variables).
bool is_reserved_variable(const std::string& name);

// `/var/task/bootstrap`, else `/opt/bootstrap` (the path inside the sandbox),
// judged on the host directories that will be mounted there. A missing or
// non-executable bootstrap is an error whose message is Lambda's
// Runtime.InvalidEntrypoint text.
Result<std::string> find_bootstrap(const std::string& code_dir, const std::string& opt_dir);

enum class MemoryWatch { automatic, resident_set };

// Where an environment's Runtime API listens, inside its own network
// (AWS_LAMBDA_RUNTIME_API is 127.0.0.1:9001 on Lambda).
constexpr int kRuntimeApiPort = 9001;

// Binds an environment's Runtime API: `socket` is an unbound TCP socket of
// the environment's own network namespace; bind it to 127.0.0.1:`port`
// (0 = any free port) and listen. Returns the port. Called once, after the
// network exists and before the bootstrap runs.
using RuntimeApiBinder = std::function<Result<int>(int socket, int port)>;

// A managed runtime (python3.X, nodejsNN.x) on this machine: the interpreter
// of exactly the runtime's version with the libraries it loads, bundled once
// under the cache and bound at /var/lang; its standard library; our runtime
// interface client (layered/runtimes/) at /var/runtime.
struct ManagedRuntime {
  std::string lang_dir;              // host directory bound at /var/lang (bin/, lib/)
  std::string stdlib_dir;            // host standard library ("" for Node.js)
  std::string stdlib_target;         // /var/lang/lib/python3.X
  std::vector<std::string> hidden;   // covered by an empty read-only directory
  std::string client_dir;            // host directory bound at /var/runtime
  std::vector<std::string> command;  // the bootstrap's argv inside the sandbox
};

// For an image with a language: the interpreter named by LAYERED_PYTHON3_13 /
// LAYERED_NODEJS20_X, else the first python3.X / python3 (node / nodejs) on
// PATH that reports exactly the runtime's version. Any other version is
// refused with a message naming the runtime, where it looked and what to do.
Result<ManagedRuntime> prepare_managed_runtime(const image::BaseImage& image, const std::string& cache_dir);

// Everything needed to start one environment.
struct Plan {
  std::string runtime = "provided.al2023";
  std::string architecture = "x86_64";
  std::string code_dir;           // host directory mounted at /var/task
  std::string opt_dir;            // host directory mounted at /opt ("" = empty /opt)
  std::string host_programs_dir;  // from prepare_host_programs ("" = none)
  std::string image_dir;          // from prepare_image_tree
  std::string bootstrap;          // path inside the sandbox
  int ephemeral_mb = 512;
  int memory_mb = 128;
  Pairs environment;  // the complete environment; the launcher sets AWS_LAMBDA_RUNTIME_API
  MemoryWatch memory_watch = MemoryWatch::automatic;
  // A directory on disk for /tmp's backing file; "" keeps /tmp in memory.
  std::string scratch_dir;
  // What an environment keeps across the sandboxes of its runtime resets
  // (a crash, timeout or out-of-memory), as Lambda keeps the execution
  // environment: /tmp's backing file (ephemeral_storage_file; -1: a new
  // one; the caller keeps its descriptor), and the host user its files
  // belong to (new_host_uid; 0: a new one).
  int tmp_backing = -1;
  uid_t host_uid = 0;
  // Outbound network through a user-mode network stack (slirp4netns), when
  // installed; the host's loopback is unreachable either way.
  bool outbound_network = false;
  RuntimeApiBinder bind_runtime_api;      // null: nothing listens
  std::optional<ManagedRuntime> managed;  // set for python3.X / nodejsNN.x
  // Lay everything out (mounts, network, /tmp) but hold the process before it
  // runs the bootstrap until Sandbox::release(): an environment prepared
  // ahead, whose cold start is then the runtime's own start-up alone.
  bool held = false;
  // Asked (when set) before a sandbox that is not held runs its bootstrap:
  // false leaves it held, for the caller to discard.
  std::function<bool()> may_release;
};

// What mounts a managed runtime (nothing without one): host directories
// bound read-only (host, path inside), in order, then paths inside them
// covered by an empty read-only directory. And the command the environment
// runs: the bootstrap, or the interpreter starting our runtime interface client.
Pairs managed_runtime_binds(const Plan& plan);
std::vector<std::string> managed_runtime_hidden(const Plan& plan);
std::vector<std::string> bootstrap_command(const Plan& plan);

// A new backing file for /tmp as `plan` asks (its ephemeral storage, in
// its scratch directory): an unnamed file the caller owns, or -1 when /tmp
// stays in memory (no scratch directory, or loop devices are not ours).
Result<int> ephemeral_storage_file(const Plan& plan);

// An unprivileged host user id for one environment: a fresh one each time
// (from a range no distribution allocates), so that the process limit
// counts one environment's processes only.
uid_t new_host_uid();

// How the environment's process ended.
struct ExitStatus {
  int code = 0;    // valid when signal == 0
  int signal = 0;  // the signal that killed it, or 0
  // Lambda's wording: "exit status 1", "signal: killed".
  std::string describe() const;
};

// A started environment. Destroying it kills whatever is left.
class Sandbox {
 public:
  virtual ~Sandbox() = default;
  virtual int pid() const = 0;
  // The bootstrap may start before the outbound network has said "ready"
  // (see await_outbound_network in walls.hpp); this waits at most
  // `timeout_ms` for it, and is an error when it failed. Ok at once when
  // there is nothing to wait for.
  virtual Status network_ready(int /*timeout_ms*/) { return Ok{}; }
  // Lets a held sandbox (Plan::held) run its bootstrap; nothing otherwise.
  virtual void release() = 0;
  // Readable when the function wrote to stdout/stderr (one pipe for both).
  virtual int output_fd() const = 0;
  // Readable once the process has exited.
  virtual int exit_fd() const = 0;
  // Reaps the process if it has exited.
  virtual std::optional<ExitStatus> poll_exit() = 0;
  virtual void kill() = 0;
  // Kills it and waits (a second at most) until every process of it has
  // ended, and with them its mounts; false when some did not.
  virtual bool shut_down() = 0;
  // Stops every process of the environment (SIGSTOP), as Lambda freezes an
  // environment between invocations, and lets them go on (SIGCONT).
  virtual void freeze() {}
  virtual void thaw() {}
  // Memory: `sample_interval_ms()` > 0 means call `sample_memory()` that
  // often (resident-set watch); a cgroup needs no sampling.
  virtual int sample_interval_ms() const = 0;
  virtual void sample_memory() = 0;
  virtual std::uint64_t peak_memory_bytes() = 0;
  // True if the memory limit killed (or is about to kill) the environment.
  virtual bool out_of_memory() = 0;
  // "cgroup v1", "cgroup v2" or "resident set".
  virtual std::string memory_method() const = 0;
};

// Starts sandboxes. The bubblewrap launcher is what the engine uses; the
// direct launcher runs the bootstrap on this machine with no isolation at all
// (same process handling, memory watch and environment), so lifecycle tests
// of the invoke module stay fast. It maps /var/task and /opt to the host dirs.
class Launcher {
 public:
  virtual ~Launcher() = default;
  virtual Result<std::unique_ptr<Sandbox>> start(const Plan& plan) = 0;
};

std::unique_ptr<Launcher> bwrap_launcher();
std::unique_ptr<Launcher> direct_launcher();

// The bubblewrap command line for `plan` (without the program path), with the
// file descriptors it reads generated files from. Exposed for tests.
struct BwrapCommand {
  std::vector<std::string> args;
  std::vector<int> data_fds;  // owned by the caller, close after spawn
  int tmp_slot = -1;          // the descriptor --bind-fd names for /tmp (-1: tmpfs)
  // Directories the launcher's child binds onto descriptor numbers reserved
  // here (when staging), instead of descriptors opened here.
  std::vector<std::pair<std::string, int>> staged;
};
// `disk_tmp`: /tmp is bound from a descriptor the launcher fills in.
// `stage`: the child stages the directories (the engine runs as root and
// bubblewrap as an unprivileged user, who may not reach them).
Result<BwrapCommand> bwrap_command(const Plan& plan, bool disk_tmp, bool stage = false);

// This machine's bubblewrap, or an error saying how to install it.
Result<std::string> find_bwrap();

}  // namespace layered::sandbox
