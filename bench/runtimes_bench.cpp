// runtimes_bench: Init Duration of a Python and a Node.js hello function in
// the layered sandbox (this machine's interpreter, our runtime interface
// client), beside the same interpreter started bare in the same run
// (`python3.11 -c pass`, `node -e 0`). Usage: runtimes_bench [cold-runs]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "invoke/invoke.hpp"

namespace fs = std::filesystem;
using namespace layered;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

// Wall time of one bare run of `argv` (fork, exec, exit).
double bare_ms(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto t = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The interpreter's real file (a version manager's shim on PATH would time
// the shim, not the interpreter).
std::string real_executable(const std::string& command) {
  std::string path;
  if (FILE* out = ::popen(command.c_str(), "r")) {
    char buf[4096] = {};
    if (std::fgets(buf, sizeof buf, out)) path = buf;
    ::pclose(out);
  }
  path.erase(path.find_last_not_of("\n ") + 1);
  return path;
}

struct Case {
  std::string runtime, handler, file, source;
  std::vector<std::string> bare;
};

void run_case(const Case& c, int runs, const fs::path& root) {
  const fs::path code = root / c.runtime;
  fs::create_directories(code);
  std::ofstream(code / c.file) << c.source;
  model::Function spec;
  spec.name = "hello";
  spec.arn = "arn:aws:lambda:us-east-1:123456789012:function:hello";
  spec.runtime = *model::parse_runtime(c.runtime);
  spec.handler = c.handler;
  spec.code_dir = code.string();
  spec.timeout_s = 30;
  invoke::Options options;
  options.cache_dir = (root / "cache").string();
  std::vector<double> init, bare;
  for (int i = 0; i <= runs; ++i) {
    auto r = invoke::invoke_once(spec, "{}", options);
    if (!r || !r->function_error.empty() || !r->report.init_duration_ms) {
      std::printf("%-12s failed: %s\n%s\n", c.runtime.c_str(),
                  r ? r->payload.c_str() : format_error(r.error()).c_str(), r ? r->logs.c_str() : "");
      return;
    }
    double b = bare_ms(c.bare);
    if (i == 0) continue;  // the first run builds the interpreter bundle
    init.push_back(*r->report.init_duration_ms);
    bare.push_back(b);
  }
  std::string bare_text;
  for (const auto& w : c.bare) bare_text += (bare_text.empty() ? "" : " ") + w;
  std::printf(
      "%-12s Init Duration p50 %6.1f ms  min %6.1f  p90 %6.1f   | bare `%s` p50 %5.1f ms  min %5.1f\n",
      c.runtime.c_str(), percentile(init, 0.5), percentile(init, 0), percentile(init, 0.9), bare_text.c_str(),
      percentile(bare, 0.5), percentile(bare, 0));
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  const fs::path root = fs::temp_directory_path() / ("runtimes-bench-" + std::to_string(::getpid()));
  fs::create_directories(root);
  std::printf("%d cold starts each (%s build)\n", runs, BENCH_BUILD_TYPE);
  run_case({"python3.11",
            "app.handler",
            "app.py",
            "def handler(event, context):\n    return {'hello': 'world'}\n",
            {real_executable("python3.11 -c 'import os, sys; print(os.path.realpath(sys.executable))'"), "-c",
             "pass"}},
           runs, root);
  FILE* out = ::popen("node -p 'process.versions.node.split(\".\")[0]' 2>/dev/null", "r");
  char major[16] = {};
  if (out && std::fgets(major, sizeof major, out)) {
    std::string m = major;
    m.erase(m.find_last_not_of("\n ") + 1);
    run_case({"nodejs" + m + ".x",
              "index.handler",
              "index.mjs",
              "export const handler = async () => ({ hello: 'world' });\n",
              {real_executable("node -p process.execPath"), "-e", "0"}},
             runs, root);
  }
  if (out) ::pclose(out);
  fs::remove_all(root);
  return 0;
}
