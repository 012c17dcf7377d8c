// `layered`'s serve: the same command line, run by `layered-serve` from the
// directory `layered` itself is in (see serve.hpp).
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
  return report(make_error("cannot start serve: " + std::string(std::strerror(errno)), sibling.string(),
                           std::string("serve runs in '") + kServeExecutable +
                               "', which must sit beside 'layered' (it is built with it)"));
}

}  // namespace layered::cli
