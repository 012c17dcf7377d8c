// The launcher of the test harness: a function binary as a child process
// with a Lambda-like environment and its output captured in files.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime_api_harness.hpp"

namespace cpputils::testing {
namespace {

std::string temp_file(const char* stem) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/" + stem + "-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0)
    throw std::runtime_error("function process: cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> child_environment(const std::string& runtime_api, const LaunchOptions& options) {
  std::vector<std::string> env{"AWS_LAMBDA_RUNTIME_API=" + runtime_api};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  env.reserve(env.size() + options.env.size());
  for (const Header& h : options.env) env.push_back(h.name + "=" + h.value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

}  // namespace

FunctionProcess::FunctionProcess(const std::string& binary, const std::string& runtime_api,
                                 LaunchOptions options)
    : stdout_path_(temp_file("function-stdout")), stderr_path_(temp_file("function-stderr")) {
  std::vector<std::string> argv;
  if (!options.loader.empty()) {
    argv = {options.loader, "--library-path", options.library_path};
  }
  argv.push_back(binary);
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env = child_environment(runtime_api, options);
  std::vector<char*> argv_ptrs = pointers(argv);
  std::vector<char*> env_ptrs = pointers(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(), O_WRONLY | O_TRUNC, 0);
  int rc = ::posix_spawn(&pid_, argv_ptrs[0], &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("function process: cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

FunctionProcess::~FunctionProcess() {
  kill();
  ::unlink(stdout_path_.c_str());
  ::unlink(stderr_path_.c_str());
}

std::optional<int> FunctionProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_ && pid_ > 0) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    } else if ((done < 0 && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) {
      break;
    } else {
      std::this_thread::sleep_for(2ms);
    }
  }
  return status_;
}

void FunctionProcess::kill() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    wait(60s);
  }
}

std::string FunctionProcess::stdout_text() const { return read_file(stdout_path_); }

std::string FunctionProcess::stderr_text() const { return read_file(stderr_path_); }

}  // namespace cpputils::testing
