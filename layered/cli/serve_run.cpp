// `layered-serve`'s serve: Lambda's Invoke API for the AWS CLI and SDKs
// (--endpoint-url), until Ctrl-C or SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "invoke_api/invoke_api.hpp"

namespace layered::cli {

namespace {

// Every connection is a descriptor: a soft limit of 1,024 (a common default)
// would refuse clients long before serve is busy. The environments' own
// limit is Lambda's, set in each sandbox (sandbox/walls.hpp).
void raise_descriptor_limit() {
  constexpr rlim_t kWanted = 65536;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= kWanted) return;
  limit.rlim_cur = std::min(limit.rlim_max, kWanted);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

bool is_loopback(const std::string& host) {
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

void print_usage(const std::string& host, int port) {
  const std::string url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                          std::to_string(port);
  std::cerr << "layered serve: Lambda's Invoke API on " << url << " (Ctrl-C stops)\n"
            << "  try: aws lambda invoke --endpoint-url "
            << url
            // fileb:// reads the event as it is in AWS CLI v1 and v2 alike (v2
            // takes an inline --payload as base64 unless told otherwise).
            << " --function-name FUNCTION --payload fileb://event.json out.json\n"
            << "  (any credentials and region work: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x "
               "AWS_DEFAULT_REGION=us-east-1)\n";
}

}  // namespace

int run_serve(const ServeArgs& args, const Context& ctx) {
  // An IPv6 address as a URL writes it: [::1].
  std::string host = args.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!is_loopback(host)) {
    std::cerr << "layered serve: warning: listening on '" << host
              << "', not loopback: anyone who can reach it can run the deployed functions\n";
  }
  if (auto installed = install_stop_signals(); !installed) return report(installed.error());
  raise_descriptor_limit();
  invoke_api::Options options;
  options.state_dir = ctx.global.state_dir();
  options.host = host;
  options.port = args.port;
  options.idle_timeout = std::chrono::milliseconds(static_cast<long long>(args.idle_timeout_s * 1000));
  options.max_environments = args.max_environments;
  options.verbose = args.verbose;
  options.prepare_functions = args.prepare_functions;
  options.outbound_network = !args.no_network;
  auto service = invoke_api::Service::start(options);
  if (!service) return report(service.error());
  print_usage(host, (*service)->port());
  wait_for_stop_signal();
  std::cerr << "layered serve: stopping\n";
  (*service)->stop();
  return 0;
}

}  // namespace layered::cli
