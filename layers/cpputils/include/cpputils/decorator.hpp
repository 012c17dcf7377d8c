// The handler decorator (the seed's `utildecorator`): wrap a handler to get
// one structured JSON log line per invocation and uniform error mapping.
#pragma once

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "cpputils/export.hpp"
#include "cpputils/runtime.hpp"

namespace cpputils {

// Throw from a handler when the caller sent input the function cannot use;
// the decorator reports it as errorType "InvalidInput" with the message.
class CPPUTILS_API InvalidInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DecoratorOptions {
  std::string name;             // the function's name in log lines
  std::ostream* log = nullptr;  // where log lines go; stdout when null
};

// Wraps `handler`: every invocation writes one JSON line
//   {"level":"INFO"|"ERROR","function":...,"requestId":...,"durationMs":...,
//    "outcome":"success"|"error","errorType":...}
// and exceptions become function errors: InvalidInput -> "InvalidInput",
// std::invalid_argument / std::out_of_range -> "InvalidInput",
// any other std::exception -> "InternalError" with its message, anything
// else -> "InternalError" with "unknown exception".
CPPUTILS_API Handler decorate(Handler handler, DecoratorOptions options);

}  // namespace cpputils
