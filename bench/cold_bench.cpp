// cold_bench: cold start, request to first response, of the C++ example
// functions (built by scripts/build.sh) with their two layers, three ways in
// the same run:
//   - the floor: a minimal bubblewrap sandbox that binds only /opt, /var/task,
//     /proc, /dev, /tmp, the loader and libc, with the Runtime API on the
//     host's loopback (no walls, no image, no network of its own);
//   - `layered invoke`: Environment::create -> first response, with the
//     emulated image, the walls, /tmp on disk and outbound network; then the
//     same with outbound network, the disk-backed /tmp or both off, to show
//     what each of those two walls costs;
//   - `layered serve` with a prepared environment: the sandbox laid out
//     ahead (Environment::prepare, timed apart), then request -> response.
// Usage: cold_bench EXAMPLE_BUILD_DIR EVENTS_DIR [runs]
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "invoke/invoke.hpp"
#include "runtime_api/runtime_api.hpp"
#include "sandbox/sandbox.hpp"
#include "stats.hpp"

namespace fs = std::filesystem;
using namespace layered;
using bench::Clock;
using bench::ms_since;
using bench::percentile;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Function {
  std::string name;
  model::Function spec;
  std::string event;
  std::string opt_dir;  // the layers merged, for the minimal sandbox
};

Function example(const fs::path& build, const fs::path& events, const std::string& name,
                 const std::string& dir, const fs::path& cache) {
  Function f;
  f.name = name;
  f.spec.name = name;
  f.spec.arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
  f.spec.handler = "bootstrap";
  f.spec.code_dir = (build / "functions" / dir).string();
  f.spec.memory_mb = 512;
  f.spec.timeout_s = 10;
  for (const char* layer : {"external", "cpputils"}) {
    f.spec.layers.push_back({"arn:aws:lambda:us-east-1:123456789012:layer:" + std::string(layer) + ":1",
                             (build / "layers" / layer).string(), layer});
  }
  f.event = read_file(events / (name + ".json"));
  std::vector<std::string> dirs;
  for (const auto& l : f.spec.layers) dirs.push_back(l.dir);
  auto merged = sandbox::merge_layers(dirs, cache.string());
  if (merged) f.opt_dir = *merged;
  return f;
}

// Waits for the runtime's answer to `request_id`; false on a timeout.
bool await_response(runtime_api::Server& api, const std::string& request_id) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    while (auto m = api.take()) {
      if (m->request_id == request_id && m->kind == runtime_api::MessageKind::response) return true;
    }
    pollfd p{api.notify_fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
  }
  return false;
}

// One cold start in the minimal sandbox; -1 on failure.
double minimal_cold_start(const std::string& bwrap, const Function& f) {
  auto api = runtime_api::Server::create();
  if (!api) return -1;
  int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto port = (*api)->listen_on(socket, 0);
  ::close(socket);
  if (!port) return -1;
  const std::string endpoint = "127.0.0.1:" + std::to_string(*port);
  auto t = Clock::now();
  const auto deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch() + std::chrono::seconds(10))
                            .count();
  (*api)->deliver({"minimal-1", f.event, deadline, f.spec.arn, "", "", ""});
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execl(bwrap.c_str(), "bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
            "--ro-bind", f.opt_dir.c_str(), "/opt", "--ro-bind", f.spec.code_dir.c_str(), "/var/task",
            "--ro-bind", "/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2", "--ro-bind",
            "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--clearenv", "--setenv", "AWS_LAMBDA_RUNTIME_API", endpoint.c_str(),
            "--setenv", "_HANDLER", "bootstrap", "--setenv", "LAMBDA_TASK_ROOT", "/var/task", "--chdir",
            "/var/task", "--", "/var/task/bootstrap", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const bool answered = await_response(**api, "minimal-1");
  const double took = ms_since(t);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return answered ? took : -1;
}

invoke::Options layered_options(const fs::path& cache) {
  invoke::Options o;
  o.cache_dir = cache.string();
  return o;
}

// `layered invoke`'s cold start (create -> first response) and its Init Duration.
bool layered_cold_start(const Function& f, const invoke::Options& options, std::vector<double>& total,
                        std::vector<double>& init) {
  auto t = Clock::now();
  auto env = invoke::Environment::create(f.spec, options);
  if (!env) return false;
  auto r = (*env)->invoke(f.event);
  if (!r || !r->function_error.empty()) return false;
  total.push_back(ms_since(t));
  init.push_back(r->report.init_duration_ms.value_or(0));
  return true;
}

// serve's: the environment prepared ahead (timed apart), then request -> response.
bool prepared_cold_start(const Function& f, const invoke::Options& options, std::vector<double>& prepare,
                         std::vector<double>& total, std::vector<double>& init) {
  auto t = Clock::now();
  auto env = invoke::Environment::create(f.spec, options);
  if (!env || !(*env)->prepare()) return false;
  prepare.push_back(ms_since(t));
  t = Clock::now();
  auto r = (*env)->invoke(f.event);
  if (!r || !r->function_error.empty()) return false;
  total.push_back(ms_since(t));
  init.push_back(r->report.init_duration_ms.value_or(0));
  return true;
}

// What one CPUID instruction costs here. Every program start runs dozens in
// glibc (CPU features, cache sizes); under a hypervisor that traps each one,
// that is most of an exec (bubblewrap's, the bootstrap's, slirp4netns's).
double cpuid_cost_us() {
#if defined(__x86_64__)
  constexpr int kCalls = 500;
  unsigned a = 0, b = 0, c = 0, d = 0;
  auto t = Clock::now();
  for (int i = 0; i < kCalls; ++i) __cpuid_count(4, i & 3, a, b, c, d);
  return ms_since(t) * 1000 / kCalls;
#else
  return 0;
#endif
}

void row(const char* what, const std::vector<double>& v) {
  std::printf("  %-62s %8.2f %8.2f %8.2f ms  (n=%zu)\n", what, percentile(v, 0.5), percentile(v, 0.99),
              v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()), v.size());
}

void run_bench(const std::string& bwrap, const Function& f, const invoke::Options& options, int runs) {
  std::vector<double> minimal, invoke_total, invoke_init, prep, serve_total, serve_init;
  // Where layered invoke's extra time goes: the same start with one wall off.
  invoke::Options no_network = options, tmp_in_memory = options, neither = options;
  no_network.outbound_network = false;
  tmp_in_memory.tmp_on_disk = false;
  neither.outbound_network = neither.tmp_on_disk = false;
  std::vector<double> unused, no_network_total, tmp_in_memory_total, neither_total;
  for (int i = 0; i < runs; ++i) {
    if (double m = minimal_cold_start(bwrap, f); m >= 0) minimal.push_back(m);
    layered_cold_start(f, options, invoke_total, invoke_init);
    prepared_cold_start(f, options, prep, serve_total, serve_init);
    layered_cold_start(f, no_network, no_network_total, unused);
    layered_cold_start(f, tmp_in_memory, tmp_in_memory_total, unused);
    layered_cold_start(f, neither, neither_total, unused);
  }
  std::printf("%s: cold start, request -> first response\n", f.name.c_str());
  row("floor: minimal bwrap sandbox (/opt /var/task /proc /dev /tmp)", minimal);
  row("layered invoke: create -> first response", invoke_total);
  row("layered invoke: Init Duration", invoke_init);
  row("  the same without outbound network (slirp4netns)", no_network_total);
  row("  the same with /tmp in memory (no ext4 image)", tmp_in_memory_total);
  row("  the same with neither", neither_total);
  row("serve, prepared environment: request -> first response", serve_total);
  row("serve, prepared environment: Init Duration", serve_init);
  row("serve: preparing the environment ahead (not in the request)", prep);
  const double floor = percentile(minimal, 0.5);
  if (floor > 0) {
    std::printf("  layered invoke / floor = %.2fx; serve (prepared) / floor = %.2fx\n",
                percentile(invoke_total, 0.5) / floor, percentile(serve_total, 0.5) / floor);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cold_bench EXAMPLE_BUILD_DIR EVENTS_DIR [runs]\n");
    return 2;
  }
  const fs::path build = argv[1];
  const fs::path events = argv[2];
  const int runs = argc > 3 ? std::atoi(argv[3]) : 20;
  auto bwrap = sandbox::find_bwrap();
  if (!bwrap) {
    std::fprintf(stderr, "%s\n", format_error(bwrap.error()).c_str());
    return 2;
  }
  const fs::path cache = fs::temp_directory_path() / ("cold-bench-" + std::to_string(::getpid()));
  fs::create_directories(cache);
  fs::permissions(cache, fs::perms(0755));
  std::printf("cold start benchmark (build: %s; %d runs each, interleaved)\n", BENCH_BUILD_TYPE, runs);
  std::printf("one CPUID instruction on this machine: %.2f us\n", cpuid_cost_us());
  std::printf("  %-62s %8s %8s %8s\n", "", "p50", "p99", "min");
  for (const auto& [name, dir] :
       {std::pair{"GreetingFunction", "greeting"}, {"CatalogFunction", "catalog"}}) {
    auto f = example(build, events, name, dir, cache);
    if (f.opt_dir.empty() || !fs::exists(f.spec.code_dir)) {
      std::fprintf(stderr, "cold_bench: %s is not built in %s: run scripts/build.sh\n", name,
                   build.string().c_str());
      return 2;
    }
    run_bench(*bwrap, f, layered_options(cache), runs);
  }
  fs::remove_all(cache);
  return 0;
}
