// `layered-serve`'s serve: Lambda's Invoke API for the AWS CLI and SDKs
// (--endpoint-url), until Ctrl-C or SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "invoke_api/invoke_api.hpp"

namespace layered::cli {

namespace {

// Every connection is a descriptor: a soft limit of 1,024 (a common default)
// would refuse clients long before serve is busy. The environments' own
// limit is Lambda's, set in each sandbox (sandbox/walls.hpp).
// Raises the soft limit on open files towards the hard one; returns the
// limit in force.
rlim_t raise_descriptor_limit() {
  constexpr rlim_t kWanted = 65536;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return kWanted;
  if (limit.rlim_cur >= kWanted) return limit.rlim_cur;
  limit.rlim_cur = std::min(limit.rlim_max, kWanted);
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// An environment holds about a dozen descriptors (its sandbox's pipes and
// sockets, the Runtime API's); a quarter of the limit, and at least 256,
// stays for clients' connections and the state. Past it, environments
// would fail to start with errors that blame something else.
int environments_the_limit_allows(rlim_t open_files, int wanted) {
  constexpr rlim_t kPerEnvironment = 16;
  const rlim_t reserve = std::max<rlim_t>(256, open_files / 4);
  if (open_files <= reserve + kPerEnvironment) return 1;
  return static_cast<int>(
      std::min<rlim_t>(static_cast<rlim_t>(wanted), (open_files - reserve) / kPerEnvironment));
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
  const rlim_t open_files = raise_descriptor_limit();
  const int environments = environments_the_limit_allows(open_files, args.max_environments);
  if (environments < args.max_environments) {
    std::cerr << "layered serve: warning: this process may open " << open_files
              << " files (ulimit -n): at most " << environments << " environments at once, not "
              << args.max_environments << " (raise the limit to run more)\n";
  }
  invoke_api::Options options;
  options.state_dir = ctx.global.state_dir();
  options.host = host;
  options.port = args.port;
  options.idle_timeout = std::chrono::milliseconds(static_cast<long long>(args.idle_timeout_s * 1000));
  options.max_environments = environments;
  options.verbose = args.verbose;
  options.prepare_functions = args.prepare_functions;
  options.outbound_network = !args.no_network;
  auto service = invoke_api::Service::start(options);
  if (!service) return report(service.error());
  print_usage(host, (*service)->port());
  if (std::error_code ec; !std::filesystem::exists(options.state_dir + "/state.db", ec)) {
    std::cerr << "  nothing is deployed in '" << options.state_dir
              << "' yet: what 'layered deploy' deploys there is served from its next request\n";
  }
  wait_for_stop_signal();
  std::cerr << "layered serve: stopping\n";
  (*service)->stop();
  return 0;
}

}  // namespace layered::cli
