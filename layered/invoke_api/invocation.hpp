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
  std::string client_context;  // decoded JSON; synchronous invocations only
  std::string invoked_arn;     // as the caller named it: with its alias or version, or none
};

// What Lambda checks before running anything: the function exists (at that
// qualifier), the invocation type, the payload's size and JSON syntax, the
// client context (X-Amz-Client-Context: base64 JSON, or empty).
Api<Request> prepare(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier,
                     const std::string& invocation_type, std::string payload,
                     const std::string& client_context = {});

// Runs one invocation in an environment of the function's pool; the log goes
// to `note`. `client_context` is decoded JSON or empty.
Api<invoke::InvokeResult> run(Pools& pools, const Deployed& function, const std::string& payload,
                              const std::string& client_context, const std::string& invoked_arn,
                              const std::function<void(std::string_view)>& note, bool verbose);

}  // namespace layered::invoke_api
