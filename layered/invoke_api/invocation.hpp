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
  std::string request_id;      // given to the caller ahead (an Event's 202); "" = a new one
};

// What Lambda checks before running anything: the function exists (at that
// qualifier), the invocation type, the payload's size and JSON syntax, the
// client context (X-Amz-Client-Context: base64 JSON, or empty).
Api<Request> prepare(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier,
                     const std::string& invocation_type, std::string payload,
                     const std::string& client_context = {});

// The function a read API (GetFunction, GetFunctionConfiguration) names:
// for an alias, the alias's own version (never a weighted draw); with its
// ARN as named ($LATEST and aliases qualified, as Lambda answers).
struct Named {
  const Deployed* function = nullptr;
  std::string arn;
};
Api<Named> look_up(const Snapshot& snapshot, const std::string& function_name, const std::string& qualifier);

// Runs one invocation in an environment of the function's pool; the log goes
// to `note`.
Api<invoke::InvokeResult> run(Pools& pools, const Request& request,
                              const std::function<void(std::string_view)>& note, bool verbose);

}  // namespace layered::invoke_api
