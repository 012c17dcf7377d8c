// GreetingFunction's bootstrap: serve the handler through the cpputils layer.
#include "cpputils/runtime.hpp"
#include "handler.hpp"

int main() {
  return cpputils::serve([] { return greeting::make_handler(); });
}
