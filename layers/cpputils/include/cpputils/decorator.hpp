// The handler decorator (the seed's `utildecorator`): wrap a handler to get
// one structured JSON log line per invocation.
#pragma once

#include <iosfwd>
#include <string>

#include "cpputils/export.hpp"
#include "cpputils/runtime.hpp"

namespace cpputils {

struct DecoratorOptions {
  std::string name;             // the function's name in log lines
  std::ostream* log = nullptr;  // where log lines go; stdout when null
};

// Wraps `handler`: every invocation writes one JSON line
//   {"level":"INFO"|"ERROR","function":...,"requestId":...,"durationMs":...,
//    "outcome":"success"|"error","errorType":...}
// Exceptions become function errors exactly as serve() reports them without
// the decorator (failure_from_exception in runtime.hpp): the decorator adds
// the log line, never a second mapping.
CPPUTILS_API Handler decorate(Handler handler, DecoratorOptions options);

}  // namespace cpputils
