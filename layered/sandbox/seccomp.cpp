// The system calls an execution environment may not make, as a seccomp
// filter that bubblewrap installs before it executes the bootstrap. The
// namespaces already wall off files, processes and the network; these are
// what they leave shared with the host or with bubblewrap's own init:
//  - keyrings (keyctl, add_key, request_key): not namespaced;
//  - ptrace and its cousins: bubblewrap's init runs as the function's user,
//    and a tracer could clear its die-with-parent signal and outlive the
//    engine (Lambda answers ptrace with EPERM too: lambda-facts.md);
//  - io_uring: a second system call interface that bypasses this filter;
//  - vsock: sockets to the hypervisor, which no network namespace covers.
#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "sandbox/internal.hpp"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

namespace layered::sandbox {

namespace {

struct Denied {
  const char* name;
  int error;
};

constexpr Denied kDenied[] = {
    {"keyctl", EPERM},          {"add_key", EPERM},          {"request_key", EPERM},
    {"ptrace", EPERM},          {"process_vm_readv", EPERM}, {"process_vm_writev", EPERM},
    {"io_uring_setup", ENOSYS}, {"io_uring_enter", ENOSYS},  {"io_uring_register", ENOSYS},
};

// The filter as a BPF program, made once per process.
Result<std::string> compiled_filter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return make_error("cannot build the sandbox's seccomp filter");
  bool ok = true;
  for (const auto& d : kDenied) {
    const int nr = seccomp_syscall_resolve_name(d.name);
    if (nr != __NR_SCMP_ERROR) ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d.error), nr, 0) == 0;
  }
  ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_EQ, AF_VSOCK)) == 0;
  int fd = ok ? ::memfd_create("layered-seccomp", MFD_CLOEXEC) : -1;
  ok = fd >= 0 && seccomp_export_bpf(ctx, fd) == 0;
  seccomp_release(ctx);
  std::string program;
  const off_t size = ok ? ::lseek(fd, 0, SEEK_END) : -1;
  if (size > 0) {
    program.resize(static_cast<std::size_t>(size));
    ok = ::pread(fd, program.data(), program.size(), 0) == size;
  }
  if (fd >= 0) ::close(fd);
  if (!ok || program.empty()) return make_error("cannot build the sandbox's seccomp filter");
  return program;
}

}  // namespace

Result<int> seccomp_filter_fd() {
  static const Result<std::string> program = compiled_filter();
  if (!program) return program.error();
  // bubblewrap reads the program to its end: a fresh descriptor each time.
  int fd = ::memfd_create("layered-seccomp", MFD_CLOEXEC);
  if (fd < 0) return make_error("cannot hand the seccomp filter over: " + std::string(std::strerror(errno)));
  if (::write(fd, program->data(), program->size()) != static_cast<ssize_t>(program->size()) ||
      ::lseek(fd, 0, SEEK_SET) != 0) {
    ::close(fd);
    return make_error("cannot hand the seccomp filter over: " + std::string(std::strerror(errno)));
  }
  return fd;
}

}  // namespace layered::sandbox
