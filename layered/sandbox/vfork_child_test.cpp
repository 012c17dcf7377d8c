// vfork_child: a child sharing the engine's memory must not run the engine's
// signal handlers, and must start with the caller's signal mask.
#include "sandbox/vfork_child.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace {

volatile std::sig_atomic_t g_handled = 0;

void on_usr1(int) { g_handled = 1; }

int wait_status(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

TEST(VforkChild, ReturnsOnceTheChildExecsAndReportsItsExit) {
  char* const argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>("exit 7"),
                        nullptr};
  auto body = [&] { ::execv(argv[0], argv); };
  pid_t pid = layered::sandbox::vfork_child(body);
  ASSERT_GT(pid, 0);
  int status = wait_status(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

// With the engine's handler still in place, the signal would run it in the
// child, on the engine's memory, and the child would go on to exit 0.
TEST(VforkChild, TheChildHasDefaultHandlers) {
  struct sigaction action {
  }, old{};
  action.sa_handler = on_usr1;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  g_handled = 0;
  auto body = [] {
    ::raise(SIGUSR1);
    ::_exit(0);
  };
  pid_t pid = layered::sandbox::vfork_child(body);
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_GT(pid, 0);
  int status = wait_status(pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
  EXPECT_EQ(g_handled, 0);
}

TEST(VforkChild, TheChildStartsWithTheCallersSignalMask) {
  // Children start from a lasting thread, made by whichever caller came
  // first and with its mask: start one before changing this caller's mask.
  auto first = [] { ::_exit(0); };
  ASSERT_GT(wait_status(layered::sandbox::vfork_child(first)), -1);
  sigset_t usr2, old;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr2, &old), 0);
  auto body = [] {
    sigset_t now;
    ::sigprocmask(SIG_SETMASK, nullptr, &now);
    // SIGUSR2 blocked as the caller has it, SIGTERM open as the caller has it.
    ::_exit(sigismember(&now, SIGUSR2) == 1 && sigismember(&now, SIGTERM) == 0 ? 0 : 1);
  };
  pid_t pid = layered::sandbox::vfork_child(body);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_GT(pid, 0);
  int status = wait_status(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
