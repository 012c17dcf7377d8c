// The function bench/runtime_client.sh measures: an echo handler served by
// the cpputils runtime client, so that what is counted is the client's own
// cost. Named *-decorated (a hard link, see the script), it serves the
// same handler behind cpputils::decorate.
#include <string>
#include <string_view>

#include "cpputils/decorator.hpp"
#include "cpputils/runtime.hpp"

namespace {

cpputils::InvocationResponse echo(const cpputils::InvocationRequest& request) {
  return cpputils::InvocationResponse::success(std::string(request.payload));
}

}  // namespace

int main(int /*argc*/, char** argv) {
  if (std::string_view(argv[0]).ends_with("-decorated")) {
    return cpputils::serve(cpputils::decorate(echo, {.name = "echo"}));
  }
  return cpputils::serve(echo);
}
