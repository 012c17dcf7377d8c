// The HTTP side of `serve`: routes of Lambda's REST API on cpp-httplib, and
// the reaper of idle environments.
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "invoke_api/events.hpp"
#include "invoke_api/http_server.hpp"
#include "invoke_api/internal.hpp"
#include "invoke_api/invocation.hpp"
#include "invoke_api/invoke_api.hpp"
#include "runtime_api/runtime_api.hpp"

namespace layered::invoke_api {

namespace {

// Bodies beyond Lambda's limit are still read so the answer is Lambda's 413.
constexpr std::size_t kMaxBodyRead = 16U << 20U;

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  res.set_header("x-amzn-ErrorType", error.type);
  if (error.status == 429) res.set_header("Retry-After", "1");
  res.set_content(error_body(error), "application/json");
}

// A body's length given once: two Content-Length values that differ, or
// one beside chunked transfer coding, let a request smuggle another in.
bool one_body_length(const httplib::Request& req) {
  const std::size_t lengths = req.get_header_value_count("Content-Length");
  for (std::size_t i = 1; i < lengths; ++i)
    if (req.get_header_value("Content-Length", i) != req.get_header_value("Content-Length", 0)) return false;
  return lengths == 0 || !req.has_header("Transfer-Encoding");
}

// httplib says only that it could not listen: binding a socket of our own
// the same way tells which of the user's mistakes it was.
Error why_not_listening(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return make_error("cannot listen on " + where + ": '" + host + "' is not an address or a known host name",
                      "", "pass --host with an address of this machine (127.0.0.1, ::1)");
  int error = 0;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0 || ::bind(fd, found->ai_addr, found->ai_addrlen) != 0) error = errno;
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(found);
  if (error == EADDRNOTAVAIL)
    return make_error("cannot listen on " + where + ": '" + host + "' is not an address of this machine", "",
                      "pass --host with one of its addresses (127.0.0.1 by default)");
  if (error == EACCES)
    return make_error("cannot listen on " + where + ": ports below 1024 need root", "",
                      "pass a --port above 1023");
  return make_error(
      "cannot listen on " + where + ": " + (error ? std::strerror(error) : "the port is in use"), "",
      "pass another --port, or stop what listens there");
}

template <class T>
bool failed(httplib::Response& res, const Api<T>& answer) {
  if (const auto* error = std::get_if<ApiError>(&answer)) {
    send_error(res, *error);
    return true;
  }
  return false;
}

class HttpService final : public Service {
 public:
  explicit HttpService(Options options)
      : options_(std::move(options)),
        events_(
            static_cast<std::size_t>(options_.max_environments),
            [this](const EventJob& job) { return run_event(job); },
            [this](std::string_view text) { options_.log(text); }) {
    if (!options_.log) {
      options_.log = [this](std::string_view text) {
        std::lock_guard lock(log_mutex_);
        std::cerr << text << std::flush;
      };
    }
  }
  ~HttpService() override { stop(); }
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  Status start() {
    auto catalog = Catalog::open(options_.state_dir);
    if (!catalog) return catalog.error();
    catalog_ = std::move(*catalog);
    auto first = catalog_->current();
    if (!first) return first.error();
    invoke::Options env_options;
    env_options.cache_dir = catalog_->cache_dir();
    env_options.region = (*first)->settings.region;
    env_options.outbound_network = options_.outbound_network;
    pools_ = std::make_unique<Pools>(options_.max_environments, options_.idle_timeout, env_options);
    routes();
    http_.set_payload_max_length(kMaxBodyRead);
    // SDK clients keep their connections; httplib's default closes one every
    // 5 requests.
    http_.set_keep_alive_max_count(100000);
    // Headers and body leave in two writes: without this, Nagle's algorithm
    // and the client's delayed ACK add ~40 ms to each answer.
    http_.set_tcp_nodelay(true);
    // Not httplib's default SO_REUSEPORT: a second serve on the same port
    // must fail, not share the traffic.
    http_.set_socket_options([this](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd_ = sock;
    });
    port_ = options_.port == 0 ? http_.bind_to_any_port(options_.host) : options_.port;
    if (port_ < 0 || (options_.port != 0 && !http_.bind_to_port(options_.host, options_.port)))
      return why_not_listening(options_.host, options_.port);
    // httplib listens with a backlog of 5: a burst of clients connecting at
    // once would be reset. Listening again raises the backlog.
    ::listen(listen_fd_, SOMAXCONN);
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    reaper_ = std::thread([this] { reap(); });
    if (options_.prepare_functions > 0) preparer_ = std::thread([this] { prepare_ahead(); });
    return Ok{};
  }

  int port() const override { return port_; }

  void stop() override {
    std::call_once(stopped_, [this] {
      if (pools_) pools_->close();  // requests waiting for an environment give up
      http_.stop();
      if (listener_.joinable()) listener_.join();
      {
        std::lock_guard lock(mutex_);
        stopping_ = true;
      }
      wake_.notify_all();
      events_.stop();
      if (reaper_.joinable()) reaper_.join();
      if (preparer_.joinable()) preparer_.join();
      if (pools_) pools_->clear();
    });
  }

 private:
  void routes() {
    // The body is the event whatever its Content-Type, as on Lambda: read
    // raw, never parsed as a form (httplib caps those at 8 KB: curl -d).
    http_.Post(
        R"(/2015-03-31/functions/([^/]+)/invocations/?)",
        [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
          std::string body;
          if (req.is_multipart_form_data()) {
            return send_error(res, invalid_request_content("a multipart body is not a JSON event"));
          }
          // Past the read limit httplib has set 413 (the error handler words it).
          if (!read([&body](const char* data, std::size_t n) {
                body.append(data, n);
                return true;
              }))
            return;
          invoke(req, std::move(body), res);
        });
    http_.Get(R"(/2015-03-31/functions/?)",
              [this](const httplib::Request& req, httplib::Response& res) { list_functions(req, res); });
    http_.Get(R"(/2015-03-31/functions/([^/]+)/?)",
              [this](const httplib::Request& req, httplib::Response& res) { get_function(req, res, false); });
    http_.Get(R"(/2015-03-31/functions/([^/]+)/configuration/?)",
              [this](const httplib::Request& req, httplib::Response& res) { get_function(req, res, true); });
    http_.Get(R"(/2015-03-31/functions/([^/]+)/versions/?)",
              [this](const httplib::Request& req, httplib::Response& res) {
                answer(res, [&](const Snapshot& s) {
                  return invoke_api::list_versions(s, req.matches[1], req.get_param_value("Marker"),
                                                   req.get_param_value("MaxItems"));
                });
              });
    http_.Get(R"(/2015-03-31/functions/([^/]+)/aliases/?)", [this](const httplib::Request& req,
                                                                   httplib::Response& res) {
      answer(res, [&](const Snapshot& s) {
        return invoke_api::list_aliases(s, req.matches[1], req.get_param_value("FunctionVersion"),
                                        req.get_param_value("Marker"), req.get_param_value("MaxItems"));
      });
    });
    http_.Get(R"(/2015-03-31/functions/([^/]+)/aliases/([^/]+))",
              [this](const httplib::Request& req, httplib::Response& res) {
                answer(res, [&](const Snapshot& s) {
                  return invoke_api::get_alias(s, req.matches[1], req.matches[2]);
                });
              });
    http_.Get(R"(/2019-09-30/functions/([^/]+)/concurrency/?)", [this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      answer(res, [&](const Snapshot& s) { return invoke_api::get_function_concurrency(s, req.matches[1]); });
    });
    // ListLayers, or GetLayerVersionByArn (?find=LayerVersion&Arn=...).
    http_.Get(R"(/2018-10-31/layers/?)", [this](const httplib::Request& req, httplib::Response& res) {
      answer(res, [&](const Snapshot& s) {
        if (req.get_param_value("find") == "LayerVersion")
          return invoke_api::get_layer_version_by_arn(s, req.get_param_value("Arn"));
        return invoke_api::list_layers(s, layer_filter(req), req.get_param_value("Marker"),
                                       req.get_param_value("MaxItems"));
      });
    });
    http_.Get(R"(/2018-10-31/layers/([^/]+)/versions/?)",
              [this](const httplib::Request& req, httplib::Response& res) { list_layer_versions(req, res); });
    http_.Get(R"(/2018-10-31/layers/([^/]+)/versions/([0-9]+))",
              [this](const httplib::Request& req, httplib::Response& res) { get_layer_version(req, res); });
    config_routes();
    http_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      res.set_header("x-amzn-RequestId", runtime_api::new_request_id());
      if (!one_body_length(req)) {
        HttpServer::close_after_answer(res);
        send_error(res, invalid_request_content("the request gives its body's length more than once"));
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Answers httplib made itself (no route, a body too large or unreadable)
    // get a body the SDKs can parse too.
    http_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      // A head or body httplib could not read, or left unread: what follows
      // on the connection is not a request.
      if (res.status != 404 && res.status != 405) HttpServer::close_after_answer(res);
      if (res.status == 413)
        return send_error(res, payload_too_large(req.get_header_value("X-Amz-Invocation-Type") == "Event"));
      if (res.status == 404 || res.status == 405) return send_error(res, unroutable(req));
      send_error(res, {res.status, "InvalidRequestContentException",
                       "the request could not be read (HTTP " + std::to_string(res.status) + ")", ""});
    });
  }

  // The read APIs about tags, the account and what layered never
  // configures (invoke_api/configs.cpp).
  void config_routes() {
    http_.Get(R"(/2017-03-31/tags/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      answer(res, [&](const Snapshot& s) { return invoke_api::list_tags(s, req.matches[1]); });
    });
    http_.Get(R"(/2016-08-19/account-settings/?)", [this](const httplib::Request&, httplib::Response& res) {
      answer(res, [&](const Snapshot& s) -> Api<std::string> { return invoke_api::get_account_settings(s); });
    });
    // GetPolicy, GetFunctionUrlConfig, GetFunctionEventInvokeConfig and
    // GetProvisionedConcurrencyConfig: a function and ?Qualifier=.
    using Qualified = Api<std::string> (*)(const Snapshot&, const std::string&, const std::string&);
    for (const auto& [path, read] : std::initializer_list<std::pair<const char*, Qualified>>{
             {R"(/2015-03-31/functions/([^/]+)/policy/?)", invoke_api::get_policy},
             {R"(/2021-10-31/functions/([^/]+)/url/?)", invoke_api::get_function_url_config},
             {R"(/2019-09-25/functions/([^/]+)/event-invoke-config/?)", invoke_api::get_event_invoke_config},
             {R"(/2019-09-30/functions/([^/]+)/provisioned-concurrency/?)",
              invoke_api::get_provisioned_concurrency}}) {
      http_.Get(path, [this, read](const httplib::Request& req, httplib::Response& res) {
        answer(res,
               [&](const Snapshot& s) { return read(s, req.matches[1], req.get_param_value("Qualifier")); });
      });
    }
    http_.Get(R"(/2021-10-31/functions/([^/]+)/urls/?)",
              [this](const httplib::Request& req, httplib::Response& res) {
                answer(res, [&](const Snapshot& s) {
                  return invoke_api::list_function_url_configs(
                      s, req.matches[1], req.get_param_value("Marker"), req.get_param_value("MaxItems"));
                });
              });
  }

  // A request no route took. A FunctionName with a '/' (httplib decodes
  // %2F before routing) is outside Lambda's pattern: its 400, naming the
  // function when it is a construct path `layered list` shows.
  ApiError unroutable(const httplib::Request& req) {
    constexpr std::string_view kPrefix = "/2015-03-31/functions/";
    constexpr std::string_view kSuffix = "/invocations";
    std::string_view path = req.path;
    if (path.ends_with('/')) path.remove_suffix(1);
    if (req.method != "POST" || !path.starts_with(kPrefix) || !path.ends_with(kSuffix))
      return {404, "UnknownOperationException",
              "no operation of the Lambda API at " + req.method + " " + req.path, ""};
    const std::string name(path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
    auto refused = parse_function_name(name, "");
    ApiError error = std::holds_alternative<ApiError>(refused) ? std::get<ApiError>(refused)
                                                               : validation_error("invalid FunctionName");
    auto snap = catalog_->current();
    if (!snap) return error;
    for (const auto& f : (*snap)->functions) {
      if (f.record.construct_path == name)
        error.message += " (layered: '" + name + "' is the construct path of the function named '" +
                         f.record.name + "': invoke it by that name)";
    }
    return error;
  }

  Api<std::shared_ptr<const Snapshot>> snapshot() {
    auto current = catalog_->current();
    if (!current) return service_error(format_error(current.error()));
    return std::move(*current);
  }

  void invoke(const httplib::Request& req, std::string body, httplib::Response& res) {
    auto snap = snapshot();
    if (failed(res, snap)) return;
    const auto& current = std::get<std::shared_ptr<const Snapshot>>(snap);
    auto prepared = prepare(*current, req.matches[1], req.get_param_value("Qualifier"),
                            req.get_header_value("X-Amz-Invocation-Type"), std::move(body),
                            req.get_header_value("X-Amz-Client-Context"));
    if (failed(res, prepared)) return;
    auto& request = std::get<Request>(prepared);
    const std::string log_type = req.get_header_value("X-Amz-Log-Type");
    if (!log_type.empty() && log_type != "None" && log_type != "Tail") {
      return send_error(res,
                        validation_error("1 validation error detected: Value '" + log_type +
                                         "' at 'logType' failed to satisfy constraint: Member must satisfy "
                                         "enum value set: [Tail, None]"));
    }
    if (request.type == InvocationType::dry_run) {
      res.status = 204;
      return;
    }
    if (request.type == InvocationType::event) {
      request.request_id = res.get_header_value("x-amzn-RequestId");  // the 202's, as Lambda's logs show it
      switch (events_.enqueue({req.matches[1], req.get_param_value("Qualifier"), std::move(request)})) {
        case EventQueue::Enqueued::yes:
          break;
        case EventQueue::Enqueued::full:
          return send_error(res, event_queue_full());
        case EventQueue::Enqueued::stopping:
          return send_error(res, service_error("the engine is stopping"));
      }
      res.status = 202;
      return;
    }
    // The caller's answer does not wait for the log to be written.
    auto log_later = [this](std::string_view text) {
      HttpServer::after_answer([this, text = std::string(text)] { options_.log(text); });
    };
    auto result = run(*pools_, request, log_later, options_.verbose);
    if (const auto* error = std::get_if<ApiError>(&result); error && error->before_start) {
      // A deploy that committed after this request's lookup may have
      // removed the code it found: the request runs what is deployed now.
      auto now = snapshot();
      if (auto* fresh = std::get_if<std::shared_ptr<const Snapshot>>(&now); fresh && *fresh != current) {
        auto again = prepare(**fresh, req.matches[1], req.get_param_value("Qualifier"),
                             req.get_header_value("X-Amz-Invocation-Type"), std::move(request.payload),
                             req.get_header_value("X-Amz-Client-Context"));
        if (failed(res, again)) return;
        request = std::move(std::get<Request>(again));
        result = run(*pools_, request, log_later, options_.verbose);
      }
    }
    if (failed(res, result)) return;
    const auto& done = std::get<invoke::InvokeResult>(result);
    res.set_header("X-Amz-Executed-Version", request.function->record.version);
    res.headers.erase("x-amzn-RequestId");  // the invocation's own id, as Lambda answers
    res.set_header("x-amzn-RequestId", done.report.request_id);
    if (!done.function_error.empty()) res.set_header("X-Amz-Function-Error", done.function_error);
    if (log_type == "Tail") res.set_header("X-Amz-Log-Result", log_tail(done.logs));
    res.status = 200;
    res.set_content(done.payload, "application/json");
  }

  // A read API whose body `read` builds from the current snapshot.
  template <class Read>
  void answer(httplib::Response& res, Read read) {
    auto snap = snapshot();
    if (failed(res, snap)) return;
    Api<std::string> body = read(*std::get<std::shared_ptr<const Snapshot>>(snap));
    if (failed(res, body)) return;
    res.set_content(std::get<std::string>(body), "application/json");
  }

  void list_functions(const httplib::Request& req, httplib::Response& res) {
    answer(res, [&](const Snapshot& s) {
      return invoke_api::list_functions(s, req.get_param_value("FunctionVersion"),
                                        req.get_param_value("Marker"), req.get_param_value("MaxItems"));
    });
  }

  static LayerFilter layer_filter(const httplib::Request& req) {
    return {req.get_param_value("CompatibleRuntime"), req.get_param_value("CompatibleArchitecture")};
  }

  void get_function(const httplib::Request& req, httplib::Response& res, bool configuration_only) {
    answer(res, [&](const Snapshot& s) -> Api<std::string> {
      auto named = look_up(s, req.matches[1], req.get_param_value("Qualifier"));
      if (auto* error = std::get_if<ApiError>(&named)) return *error;
      const auto& [function, arn] = std::get<Named>(named);
      if (!configuration_only) return invoke_api::get_function(*function, arn);
      nlohmann::json configured = configuration(*function);
      configured["FunctionArn"] = arn;
      return configured.dump();
    });
  }

  void list_layer_versions(const httplib::Request& req, httplib::Response& res) {
    answer(res, [&](const Snapshot& s) {
      return invoke_api::list_layer_versions(s, req.matches[1], layer_filter(req),
                                             req.get_param_value("Marker"), req.get_param_value("MaxItems"));
    });
  }

  void get_layer_version(const httplib::Request& req, httplib::Response& res) {
    answer(res, [&](const Snapshot& s) {
      return invoke_api::get_layer_version(s, req.matches[1], req.matches[2]);
    });
  }

  Api<invoke::InvokeResult> run_event(const EventJob& job) {
    auto snap = snapshot();
    if (auto* error = std::get_if<ApiError>(&snap)) return *error;
    const auto& current = std::get<std::shared_ptr<const Snapshot>>(snap);
    auto prepared = prepare(*current, job.function_name, job.qualifier, "Event", job.request.payload);
    if (auto* error = std::get_if<ApiError>(&prepared)) return *error;
    Request& request = std::get<Request>(prepared);
    request.request_id = job.request.request_id;
    return run(*pools_, request, options_.log, options_.verbose);
  }

  void reap() {
    // Often enough to freeze an idle environment soon after kFreezeAfter.
    const auto period = std::clamp(options_.idle_timeout / 4, std::chrono::milliseconds(10),
                                   std::chrono::milliseconds(Pools::kFreezeAfter));
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      pools_->reap_idle();
      if (auto current = catalog_->current()) pools_->retire_undeployed(**current);
      lock.lock();
    }
  }

  // Keeps environments ready for what is deployed now (a redeploy's new
  // identity gets a new one); checks a few times a second, which costs one
  // PRAGMA and a look under the pools' lock when nothing changed.
  void prepare_ahead() {
    constexpr auto kPeriod = std::chrono::milliseconds(100);
    auto stop = [this] {
      std::lock_guard lock(mutex_);
      return stopping_;
    };
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      if (auto current = catalog_->current()) {
        auto notes = pools_->prepare_ahead(**current, static_cast<std::size_t>(options_.prepare_functions),
                                           options_.verbose, stop);
        if (!notes.empty()) options_.log(notes);
      }
      lock.lock();
    } while (!wake_.wait_for(lock, kPeriod, [this] { return stopping_; }));
  }

  Options options_;
  EventQueue events_;  // after options_, which it reads
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Pools> pools_;
  HttpServer http_;
  int port_ = -1;
  int listen_fd_ = -1;
  std::thread listener_;
  std::thread reaper_;
  std::thread preparer_;
  std::mutex mutex_;              // stopping_
  std::condition_variable wake_;  // stopping_ (the reaper, the preparer)
  bool stopping_ = false;
  std::once_flag stopped_;
  std::mutex log_mutex_;
};

}  // namespace

Result<std::unique_ptr<Service>> Service::start(Options options) {
  auto service = std::make_unique<HttpService>(std::move(options));
  auto started = service->start();
  if (!started) return started.error();
  return std::unique_ptr<Service>(std::move(service));
}

}  // namespace layered::invoke_api
