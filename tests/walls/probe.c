/* A hostile function's system calls that busybox cannot make: keyrings,
 * ptrace, vsock and io_uring. Static, so that it runs in any sandbox.
 * Prints one line per attempt: what it reached, or the errno it got. */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void keys(void) {
  long ids[64];
  long n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, ids, sizeof ids);
  if (n < 0) printf("keys: read: %s\n", strerror(errno));
  for (long i = 0; i < n / (long)sizeof(long) && i < 64; ++i) {
    char text[256] = {0};
    if (syscall(SYS_keyctl, KEYCTL_READ, ids[i], text, sizeof text - 1) >= 0) printf("KEY %s\n", text);
  }
  long added = syscall(SYS_add_key, "user", "left-by-function", "FUNCTION-WAS-HERE", 17,
                       KEY_SPEC_SESSION_KEYRING);
  printf(added >= 0 ? "keys: added\n" : "keys: add: %s\n", strerror(errno));
}

static void trace(void) {
  if (ptrace(PTRACE_ATTACH, 1, 0, 0) == 0) printf("ATTACHED to pid 1\n");
  else printf("ptrace: %s\n", strerror(errno));
}

static void vsock(void) {
  int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (fd >= 0) printf("VSOCK socket\n");
  else printf("vsock: %s\n", strerror(errno));
}

static void uring(void) {
  char params[120] = {0};
  long fd = syscall(425 /* io_uring_setup */, 1, params);
  if (fd >= 0) printf("IO_URING ring\n");
  else printf("io_uring: %s\n", strerror(errno));
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "keys")) keys();
    if (!strcmp(argv[i], "ptrace")) trace();
    if (!strcmp(argv[i], "vsock")) vsock();
    if (!strcmp(argv[i], "io_uring")) uring();
  }
  fflush(stdout);
  return 0;
}
