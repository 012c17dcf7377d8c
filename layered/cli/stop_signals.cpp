// SIGINT, SIGTERM, SIGQUIT and SIGHUP as a descriptor. The handler only writes a byte; the
// command waits on the pipe, or hands it to the engine as the abort signal
// of its waits, and ends outside signal context. Handlers (unlike a blocked
// signal mask) do not pass to the sandboxes' processes across exec. A second
// signal finds the default action back (SA_RESETHAND): a stuck stop can
// still be forced.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "cli/commands.hpp"

namespace layered::cli {

namespace {

int g_stop_pipe[2] = {-1, -1};
volatile std::sig_atomic_t g_signal = 0;

void on_stop_signal(int signal) {
  g_signal = signal;
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(g_stop_pipe[1], &byte, 1);
}

}  // namespace

Status install_stop_signals() {
  if (g_stop_pipe[0] >= 0) return Ok{};
  if (::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return make_error("cannot create a pipe for signals");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  // Even where inherited as ignored (a script's background job ignores
  // SIGINT): `kill -INT` is how a script stops what it started.
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // Ctrl-\ too: its default core dump would leave the sandboxes to the next
  // start's clean-up.
  ::sigaction(SIGQUIT, &action, nullptr);
  // A closed terminal stops it as cleanly, unless started to outlive one
  // (nohup ignores SIGHUP: that choice is kept).
  struct sigaction hangup {};
  if (::sigaction(SIGHUP, nullptr, &hangup) == 0 && hangup.sa_handler != SIG_IGN)
    ::sigaction(SIGHUP, &action, nullptr);
  // A pipe whose reader is gone (a sandbox that died before its start byte,
  // a client that hung up) must cost that write an EPIPE, not the engine its
  // life. A handler rather than SIG_IGN, which would pass to the functions.
  struct sigaction broken_pipe {};
  broken_pipe.sa_handler = [](int) {};
  sigemptyset(&broken_pipe.sa_mask);
  ::sigaction(SIGPIPE, &broken_pipe, nullptr);
  return Ok{};
}

int stop_signal_fd() { return g_stop_pipe[0]; }

int stop_signal() { return g_signal; }

void wait_for_stop_signal() {
  while (g_signal == 0) {
    pollfd p{g_stop_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
  }
}

}  // namespace layered::cli
