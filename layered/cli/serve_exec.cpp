// `layered`'s serve: the same command line, run by `layered-serve` from the
// directory `layered` itself is in, else from PATH (see serve.hpp).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/serve.hpp"

namespace layered::cli {

int run_serve(const ServeArgs& /*args*/, const Context& ctx) {
  std::error_code ec;
  // The executable itself, whatever the command line or a symlink called it.
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return report(make_error("cannot find where layered is installed: " + ec.message(), "/proc/self/exe"));
  const auto sibling = self.parent_path() / kServeExecutable;
  ::execv(sibling.c_str(), ctx.argv);
  const int error = errno;
  if (error == ENOENT) ::execvp(kServeExecutable, ctx.argv);  // both installed on PATH
  return report(make_error("cannot start serve: " + std::string(std::strerror(error)), sibling.string(),
                           std::string("serve runs in '") + kServeExecutable +
                               "', which is built with 'layered' and must sit beside it or on PATH"));
}

}  // namespace layered::cli
