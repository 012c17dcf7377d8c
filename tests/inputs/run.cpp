#include "run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace inputs {

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void exec_child(const std::vector<std::string>& args, const RunOptions& options,
                             const fs::path& out, const fs::path& err) {
  const int in_fd = ::open(options.stdin_path.c_str(), O_RDONLY);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(127);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
  // LAYERED_TEST_BIN runs the suite against another build (an older one,
  // to see a test fail there).
  const char* bin = std::getenv("LAYERED_TEST_BIN");
  if (!bin || !*bin) bin = LAYERED_BIN;
  std::vector<char*> argv{const_cast<char*>(bin)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(bin, argv.data());
  ::_exit(127);
}

}  // namespace

Ran layered(const std::vector<std::string>& args, const RunOptions& options) {
  Scratch io;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(args, options, io / "out", io / "err");
  Ran ran;
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, WNOHANG, &usage) == 0) {
    if (std::chrono::steady_clock::now() - start > options.limit) {
      ::kill(pid, SIGKILL);
      ran.timed_out = true;
      ::wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ran.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ran.max_rss_kb = usage.ru_maxrss;
  ran.out = slurp(io / "out");
  ran.err = slurp(io / "err");
  return ran;
}

Scratch::Scratch() {
  std::string pattern = (fs::temp_directory_path() / "inputs-e2e-XXXXXX").string();
  if (::mkdtemp(pattern.data())) path_ = pattern;
}

Scratch::~Scratch() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void Scratch::write(const std::string& rel, const std::string& bytes) const {
  fs::create_directories((path_ / rel).parent_path());
  std::ofstream(path_ / rel, std::ios::binary) << bytes;
}

}  // namespace inputs
