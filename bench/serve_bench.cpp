// Warm invocations through `layered serve` beside two baselines on
// loopback, measured with the same client in the same run: p50/p99 latency
// and throughput at 1, 2, 8 and 32 concurrent clients.
//   - echo: a trivial HTTP echo server (no second process);
//   - relay: the echo's body handed to a runtime process through a minimal
//     Runtime API and back (relay.hpp): Lambda's process model, nothing more.
// Usage: serve_bench HOST PORT FUNCTION EVENT_FILE [REQUESTS]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string host;
  int port = 0;
  std::string path;
};

struct Figures {
  double p50_us = 0;
  double p99_us = 0;
  double per_second = 0;
  int failures = 0;
};

// `clients` keep-alive connections, each sending its share of `requests`
// back to back after a short warm-up.
Figures measure(const Target& target, const std::string& body, int clients, int requests) {
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::atomic<int> failures{0};
  const int each = std::max(1, requests / clients);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(clients));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point started;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(target.host, target.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(5, 0);
      for (int i = 0; i < 20; ++i) client.Post(target.path, body, "application/json");
      ++ready;
      while (!go) std::this_thread::yield();
      auto& mine = latencies[static_cast<std::size_t>(c)];
      mine.reserve(static_cast<std::size_t>(each));
      for (int i = 0; i < each; ++i) {
        auto t0 = Clock::now();
        auto res = client.Post(target.path, body, "application/json");
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!res || res->status != 200) ++failures;
      }
    });
  }
  while (ready < clients) std::this_thread::yield();
  started = Clock::now();
  go = true;
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.p50_us = all[all.size() / 2];
  f.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  f.per_second = static_cast<double>(all.size()) / seconds;
  f.failures = failures;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: serve_bench HOST PORT FUNCTION EVENT_FILE [REQUESTS]\n");
    return 2;
  }
  const Target serve{argv[1], std::stoi(argv[2]),
                     std::string("/2015-03-31/functions/") + argv[3] + "/invocations"};
  std::ifstream in(argv[4]);
  std::stringstream event;
  event << in.rdbuf();
  const int requests = argc > 5 ? std::stoi(argv[5]) : 4000;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // The floor: an HTTP server that answers the body it got, with the same
  // library and as many threads as serve's.
  httplib::Server echo;
  echo.new_task_queue = [] { return new httplib::ThreadPool(80); };
  echo.set_keep_alive_max_count(100000);  // as serve does
  echo.set_tcp_nodelay(true);
  echo.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/json");
  });
  const int echo_port = echo.bind_to_any_port("127.0.0.1");
  std::thread echo_thread([&] { echo.listen_after_bind(); });
  const Target floor{"127.0.0.1", echo_port, "/echo"};

  bench::Relay relay(BENCH_RELAY_RUNTIME, 32);  // a runtime for each of up to 32 clients
  if (!relay.ok()) {
    std::fprintf(stderr, "serve_bench: cannot start the relay baseline (%s)\n", BENCH_RELAY_RUNTIME);
    return 2;
  }
  const Target relayed{"127.0.0.1", relay.port(), "/relay"};

  std::printf("warm invocations of '%s', %d requests per level (same client, same run)\n", argv[3], requests);
  std::printf("%8s | %16s %8s | %16s %8s | %16s %8s | %11s | %11s\n", "clients", "echo p50/p99", "req/s",
              "relay p50/p99", "req/s", "serve p50/p99", "req/s", "vs echo", "vs relay");
  int failures = 0;
  for (int clients : {1, 2, 8, 32}) {
    Figures e = measure(floor, event.str(), clients, requests);
    Figures r = measure(relayed, event.str(), clients, requests);
    Figures s = measure(serve, event.str(), clients, requests);
    failures += e.failures + r.failures + s.failures;
    std::printf(
        "%8d | %7.0f %6.0fus %8.0f | %7.0f %6.0fus %8.0f | %7.0f %6.0fus %8.0f | %4.2fx %4.0f%% | %4.2fx "
        "%4.0f%%\n",
        clients, e.p50_us, e.p99_us, e.per_second, r.p50_us, r.p99_us, r.per_second, s.p50_us, s.p99_us,
        s.per_second, s.p50_us / e.p50_us, 100.0 * s.per_second / e.per_second, s.p50_us / r.p50_us,
        100.0 * s.per_second / r.per_second);
  }
  std::printf("(vs echo / vs relay: serve's p50 as a multiple, serve's throughput as a share)\n");
  echo.stop();
  echo_thread.join();
  if (failures > 0) std::printf("failed requests: %d\n", failures);
  return failures > 0 ? 1 : 0;
}
