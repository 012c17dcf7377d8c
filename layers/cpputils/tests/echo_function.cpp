// The smallest function on libcpputils: it answers each event with its
// payload, behind cpputils::decorate unless CPPUTILS_TEST_UNDECORATED=1.
// Never sanitized: runtime_client_test measures its resident memory, which
// must be that of a function as it ships.
#include <cstdlib>
#include <string>

#include "cpputils/decorator.hpp"
#include "cpputils/runtime.hpp"

namespace {

cpputils::InvocationResponse echo(const cpputils::InvocationRequest& request) {
  return cpputils::InvocationResponse::success(std::string(request.payload));
}

}  // namespace

int main() {
  if (std::getenv("CPPUTILS_TEST_UNDECORATED") != nullptr) return cpputils::serve(echo);
  return cpputils::serve(cpputils::decorate(echo, {.name = "echo"}));
}
