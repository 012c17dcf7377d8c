// The Lambda Runtime API (2018-06-01) that one environment's bootstrap talks
// to, served on 127.0.0.1 with an ephemeral port. It serves the protocol, not
// a particular client: any Runtime API client works unchanged.
//
// The server has no threads: its work is done in the engine's thread, inside
// `take` and `deliver`. `deliver` hands an event to the runtime's pending (or
// next) GET /next; what the runtime sends comes back from `take` as
// `Message`s. `notify_fd()` is readable when the runtime's sockets have
// something for the server, so the engine polls it beside the process and its
// output, then calls `take`, which may still find no whole message. Between
// the engine's calls the runtime waits, as a frozen one does on Lambda.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/common.hpp"

namespace layered::runtime_api {

// Lambda's synchronous payload limit: 6 MiB + 100 bytes (RIE interop/model.go).
constexpr std::size_t kMaxPayloadBytes = 6291556;

struct Event {
  std::string request_id;
  std::string payload;
  std::int64_t deadline_ms = 0;  // epoch milliseconds
  std::string function_arn;
  std::string trace_id;
  std::string client_context;    // sent only when not empty
  std::string cognito_identity;  // sent only when not empty
};

enum class MessageKind {
  next_requested,      // the runtime called GET /next (the first one ends init)
  response,            // POST /invocation/{id}/response
  error,               // POST /invocation/{id}/error
  init_error,          // POST /init/error
  response_too_large,  // a response over kMaxPayloadBytes (answered 413)
};

struct Message {
  MessageKind kind = MessageKind::next_requested;
  std::string request_id;
  std::string body;
  std::string error_type;  // Lambda-Runtime-Function-Error-Type, when sent
  std::size_t size = 0;    // bytes the runtime sent (response_too_large)
};

class Server {
 public:
  // A server that does not listen yet: call listen_on.
  static Result<std::unique_ptr<Server>> create();
  // Listens on 127.0.0.1 of this machine with a port chosen by the kernel.
  static Result<std::unique_ptr<Server>> start();
  virtual ~Server() = default;

  // Binds `socket` (an unbound TCP socket, possibly of another network
  // namespace: an environment's own) to 127.0.0.1:`port` (0 = any), listens
  // and serves on it. Returns the port. Once only.
  virtual Result<int> listen_on(int socket, int port) = 0;

  virtual int port() const = 0;
  // host:port, the value of AWS_LAMBDA_RUNTIME_API.
  virtual std::string address() const = 0;
  // Answers the runtime's pending GET /next with the event, or queues it for
  // the next one.
  virtual void deliver(Event event) = 0;
  // Readable when the runtime's sockets are ready for the server.
  virtual int notify_fd() const = 0;
  // Serves what the runtime sent, then returns the oldest message, if any.
  virtual std::optional<Message> take() = 0;
};

// A fresh request id (a UUID v4, as Lambda's).
std::string new_request_id();
// An X-Ray trace header: Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0.
std::string new_trace_id();

// Lambda's bodies for the Runtime API's own errors.
std::string invalid_request_id_body();
std::string payload_too_large_body();

}  // namespace layered::runtime_api
