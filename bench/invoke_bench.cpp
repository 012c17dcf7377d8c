// invoke_bench: cold start and warm round trip of a function in the layered
// sandbox, each beside its floor measured in the same run:
//   - a bare `bwrap --ro-bind / / true` spawn (what any bubblewrap sandbox costs),
//   - a loopback HTTP round trip with the same HTTP library (cpp-httplib).
// The function is a hand-written Runtime API client (tests/invoke fixture),
// statically linked, as its own bootstrap. Usage: invoke_bench [cold-runs] [warm-invokes]
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "invoke/invoke.hpp"
#include "sandbox/sandbox.hpp"
#include "stats.hpp"

namespace fs = std::filesystem;
using namespace layered;
using bench::Clock;
using bench::ms_since;
using bench::percentile;

namespace {

double bare_bwrap_ms() {
  auto bwrap = sandbox::find_bwrap();
  if (!bwrap) return -1;
  auto t = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(bwrap->c_str(), "bwrap", "--ro-bind", "/", "/", "true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::waitpid(pid, nullptr, 0);
  return ms_since(t);
}

struct Fixture {
  fs::path root;
  model::Function spec;
  invoke::Options options;
};

Fixture make_fixture() {
  Fixture f;
  f.root = fs::temp_directory_path() / ("invoke-bench-" + std::to_string(::getpid()));
  fs::create_directories(f.root / "code");
  fs::copy_file(BENCH_CLIENT, f.root / "code/bootstrap", fs::copy_options::overwrite_existing);
  f.spec.name = "bench";
  f.spec.arn = "arn:aws:lambda:us-east-1:123456789012:function:bench";
  f.spec.handler = "echo";
  f.spec.code_dir = (f.root / "code").string();
  f.options.cache_dir = (f.root / "cache").string();
  return f;
}

struct Cold {
  std::vector<double> total_ms, init_ms;
};

Cold cold_starts(const Fixture& f, int runs, sandbox::Launcher* launcher, bool outbound = false,
                 bool tmp_on_disk = true) {
  Cold c;
  auto options = f.options;
  options.launcher = launcher;
  options.outbound_network = outbound;
  options.tmp_on_disk = tmp_on_disk;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    auto env = invoke::Environment::create(f.spec, options);
    if (!env) break;
    auto r = (*env)->invoke("{}");
    if (!r || !r->function_error.empty()) {
      std::fprintf(stderr, "invoke failed: %s\n", r ? r->payload.c_str() : format_error(r.error()).c_str());
      break;
    }
    c.total_ms.push_back(ms_since(t));
    c.init_ms.push_back(r->report.init_duration_ms.value_or(0));
  }
  return c;
}

std::vector<double> warm_round_trips(const Fixture& f, int invokes) {
  std::vector<double> us;
  auto options = f.options;
  options.outbound_network = false;
  auto env = invoke::Environment::create(f.spec, options);
  if (!env || !(*env)->invoke("{}")) return us;
  for (int i = 0; i < invokes; ++i) {
    auto t = Clock::now();
    auto r = (*env)->invoke(R"({"n":1})");
    if (!r || !r->function_error.empty()) break;
    us.push_back(ms_since(t) * 1000);
  }
  return us;
}

std::vector<double> loopback_round_trips(int requests) {
  httplib::Server server;
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/json");
  });
  server.set_tcp_nodelay(true);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  std::vector<double> us;
  for (int i = 0; i < requests; ++i) {
    auto start = Clock::now();
    auto res = client.Post("/echo", R"({"n":1})", "application/json");
    if (!res) break;
    us.push_back(ms_since(start) * 1000);
  }
  server.stop();
  t.join();
  return us;
}

void row(const char* what, const std::vector<double>& v, const char* unit) {
  std::printf("  %-58s %9.2f %9.2f %9.2f  %s  (n=%zu)\n", what, percentile(v, 0.5), percentile(v, 0.99),
              v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()), unit, v.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int cold_runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int warm_invokes = argc > 2 ? std::atoi(argv[2]) : 2000;
  Fixture f = make_fixture();

  std::vector<double> bare;
  for (int i = 0; i < cold_runs; ++i) bare.push_back(bare_bwrap_ms());
  auto direct = sandbox::direct_launcher();
  Cold unsandboxed = cold_starts(f, cold_runs, direct.get());
  Cold sandboxed = cold_starts(f, cold_runs, nullptr);
  Cold networked = cold_starts(f, cold_runs, nullptr, true);
  Cold in_memory = cold_starts(f, cold_runs, nullptr, false, false);
  auto loopback = loopback_round_trips(warm_invokes);
  auto warm = warm_round_trips(f, warm_invokes);

  std::printf("layered invoke benchmark (build: %s; %d cold runs, %d warm invokes)\n", BENCH_BUILD_TYPE,
              cold_runs, warm_invokes);
  std::printf("  %-58s %9s %9s %9s\n", "", "p50", "p99", "min");
  std::printf("cold start\n");
  row("baseline: bare `bwrap --ro-bind / / true`", bare, "ms");
  row("no sandbox (direct launcher): create -> first response", unsandboxed.total_ms, "ms");
  row("layered sandbox: create -> first response", sandboxed.total_ms, "ms");
  row("layered sandbox: Init Duration (spawn -> first /next)", sandboxed.init_ms, "ms");
  row("layered sandbox, /tmp in memory: create -> first response", in_memory.total_ms, "ms");
  row("layered sandbox + outbound network: create -> first response", networked.total_ms, "ms");
  row("layered sandbox + outbound network: Init Duration", networked.init_ms, "ms");
  std::printf("warm invoke round trip\n");
  row("baseline: loopback HTTP POST round trip (cpp-httplib)", loopback, "us");
  row("layered: Environment::invoke, warm (event -> response)", warm, "us");
  fs::remove_all(f.root);
  return 0;
}
