// One Invoke request (internal to invoke_api).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "invoke_api/internal.hpp"

namespace layered::invoke_api {

enum class InvocationType { request_response, event, dry_run };

struct Request {
  const Deployed* function = nullptr;  // lives as long as its snapshot
  InvocationType type = InvocationType::request_response;
  std::string payload;
};

// What Lambda checks before running anything: the function exists (at that
// qualifier), the invocation type, the payload's size and JSON syntax.
Api<Request> prepare(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier,
                     const std::string& invocation_type, std::string payload);

// Runs one invocation in an environment of the function's pool; the log goes
// to `note`.
Api<invoke::InvokeResult> run(Pools& pools, const Deployed& function, const std::string& payload,
                              const std::function<void(std::string_view)>& note, bool verbose);

}  // namespace layered::invoke_api
