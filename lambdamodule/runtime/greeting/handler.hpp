// GreetingFunction: renders a greeting for {"name": "Ada", "language": "fr"}
// with fmt, answering {"greeting": "Bonjour, Ada !", "language": "fr"}.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "cpputils/runtime.hpp"

namespace greeting {

// The response payload for one event. Throws cpputils::InvalidInput when the
// event is not {"name": <1-64 characters>, "language": <supported, optional>}.
std::string greet(std::string_view event);

// The function's handler: greet() behind the cpputils decorator, which logs
// one JSON line per invocation to `log` (stdout when null).
cpputils::Handler make_handler(std::ostream* log = nullptr);

}  // namespace greeting
