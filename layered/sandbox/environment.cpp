// What the function sees of its environment: variables and the bootstrap.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace {

// Lambda's reserved variables (LDG configuration-envvars.md).
constexpr std::array<const char*, 18> kReserved = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

bool is_executable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

bool is_reserved_variable(const std::string& name) {
  return std::any_of(kReserved.begin(), kReserved.end(), [&](const char* r) { return name == r; });
}

Pairs lambda_environment(const image::BaseImage& image, const Identity& id, const Pairs& function_env) {
  Pairs env = {
      {"_HANDLER", id.handler},
      {"LAMBDA_TASK_ROOT", "/var/task"},
      {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
      {"AWS_LAMBDA_RUNTIME_API", id.runtime_api},
      {"AWS_LAMBDA_FUNCTION_NAME", id.function_name},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(id.memory_mb)},
      {"AWS_LAMBDA_FUNCTION_VERSION", id.version},
      {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + id.function_name},
      {"AWS_LAMBDA_LOG_STREAM_NAME", id.log_stream},
      {"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
      {"AWS_REGION", id.region},
      {"AWS_DEFAULT_REGION", id.region},
      // The execution role's credentials on Lambda; here plainly local fakes.
      {"AWS_ACCESS_KEY_ID", "LAYEREDLOCALFAKEKEY"},
      {"AWS_SECRET_ACCESS_KEY", "layered-local-fake-secret-not-a-credential"},
      {"AWS_SESSION_TOKEN", "layered-local-fake-session-token"},
      // X-Ray's, on every function whether or not tracing is active
      // (lambda-facts.md section 3). Unreserved: the function may change
      // them. No daemon listens at that address here.
      {"AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR"},
      {"AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000"},
      {"_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129"},
      {"_AWS_XRAY_DAEMON_PORT", "2000"},
  };
  // The image's own variables (PATH, LD_LIBRARY_PATH, LANG, TZ; a managed
  // runtime's NODE_PATH and AWS_EXECUTION_ENV), in its order.
  for (const auto& variable : image.environment) {
    auto same = [&variable](const auto& p) { return p.first == variable.first; };
    if (std::none_of(env.begin(), env.end(), same)) env.push_back(variable);
  }
  for (const auto& [name, value] : function_env) {
    if (is_reserved_variable(name)) continue;
    auto same = [&](const auto& p) { return p.first == name; };
    if (auto it = std::find_if(env.begin(), env.end(), same); it != env.end()) {
      it->second = value;
    } else {
      env.emplace_back(name, value);
    }
  }
  return env;
}

Result<std::string> find_bootstrap(const std::string& code_dir, const std::string& opt_dir) {
  if (!code_dir.empty() && is_executable_file(code_dir + "/bootstrap"))
    return std::string("/var/task/bootstrap");
  if (!opt_dir.empty() && is_executable_file(opt_dir + "/bootstrap")) return std::string("/opt/bootstrap");
  // RIE's wording for Runtime.InvalidEntrypoint.
  return make_error("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]", code_dir,
                    "ship an executable 'bootstrap' in the function's code or in one of its layers");
}

std::string ExitStatus::describe() const {
  if (signal == 0) return "exit status " + std::to_string(code);
  // Lambda's runtime is written in Go, whose signal names are lower-case.
  std::string name = ::strsignal(signal);
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return "signal: " + name;
}

}  // namespace layered::sandbox
