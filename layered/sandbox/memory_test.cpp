// The memory cgroups of environments: one whose engine died (SIGKILL, or a
// crash) is found at the next start, and what still runs in it is killed.
#include "sandbox/memory.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

using namespace layered;

namespace {

// This process's memory cgroup directory (v1 or v2), or "".
std::string own_memory_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::string v2;
  while (std::getline(in, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    const std::string names = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (("," + names + ",").find(",memory,") != std::string::npos)
      return "/sys/fs/cgroup/memory" + (path == "/" ? "" : path);
    if (line.rfind("0::", 0) == 0) v2 = "/sys/fs/cgroup" + (path == "/" ? "" : path);
  }
  return v2;
}

TEST(MemoryCgroup, WhatADeadEngineLeftRunningIsKilledAtTheNextStart) {
  const std::string parent = own_memory_cgroup();
  if (::geteuid() != 0 || parent.empty() || ::access(parent.c_str(), W_OK) != 0)
    GTEST_SKIP() << "needs root and a memory cgroup of its own";
  // An engine that is gone: a child reaped at once.
  const pid_t engine = ::fork();
  if (engine == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(engine, nullptr, 0), engine);
  const std::string stale = parent + "/layered-" + std::to_string(engine) + "-0";
  ASSERT_EQ(::mkdir(stale.c_str(), 0755), 0) << stale;
  // What it left: a process still running in that environment's cgroup.
  const pid_t left = ::fork();
  if (left == 0) {
    std::ofstream(stale + "/cgroup.procs") << "0";
    ::execl("/bin/sleep", "sleep", "60", nullptr);
    ::_exit(127);
  }
  ASSERT_GT(left, 0);
  for (int i = 0; i < 200; ++i) {  // until it has joined
    std::ifstream procs(stale + "/cgroup.procs");
    std::stringstream text;
    text << procs.rdbuf();
    if (text.str().find(std::to_string(left)) != std::string::npos) break;
    ::usleep(5000);
  }
  auto monitor = sandbox::make_memory_monitor(128u << 20, sandbox::MemoryWatch::automatic);
  ASSERT_NE(monitor, nullptr);
  int status = 0;
  ASSERT_EQ(::waitpid(left, &status, 0), left);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_NE(::access(stale.c_str(), F_OK), 0) << stale << " is still there";
  if (::access(stale.c_str(), F_OK) == 0) ::rmdir(stale.c_str());
}

}  // namespace
