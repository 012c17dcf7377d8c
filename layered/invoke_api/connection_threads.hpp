// The threads of serve's HTTP server (internal to invoke_api): one for each
// connection that finds none free. httplib's ThreadPool has a fixed count,
// and a kept-alive connection holds its thread: one client more than the
// count waited for another to idle out.
#pragma once

#include <httplib.h>

#include <cstddef>

namespace layered::invoke_api {

// Up to `max` threads, past which connections wait in order; threads beyond
// a few end once idle. Owned by httplib (Server::new_task_queue).
httplib::TaskQueue* new_connection_threads(std::size_t max);

}  // namespace layered::invoke_api
