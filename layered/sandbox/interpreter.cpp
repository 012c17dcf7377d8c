// Managed runtimes (python3.X, nodejsNN.x): this machine's interpreter of
// exactly the runtime's version, laid out as Lambda's /var/lang, with its
// standard library and our runtime interface client at /var/runtime. Nothing
// else of this machine's Python or Node.js is visible: no site-packages,
// dist-packages or global node_modules.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "sandbox/internal.hpp"
#include "sandbox/sandbox.hpp"

namespace layered::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLangDir = "/var/lang";
constexpr const char* kRuntimeDir = "/var/runtime";
constexpr const char* kNodeClient = "/var/runtime/index.mjs";

struct Interpreter {
  std::string version;     // "3.11", "20"
  std::string executable;  // the real file, links resolved
  std::string stdlib;      // Python's standard library directory
  std::string dynload;     // Python's extension modules (lib-dynload)
  std::string node_flags;  // the flags below that this node knows, space-separated
};

// Experimental features Lambda turns off, by Node.js major version
// (lambda-facts.md section 10); each can be turned back on through
// NODE_OPTIONS, as on Lambda.
std::vector<std::string> disabled_features(const std::string& major) {
  if (major == "20") return {"--experimental-require-module"};
  if (major == "22") return {"--experimental-require-module", "--experimental-detect-module"};
  return {};
}

bool is_python(const image::BaseImage& image) { return image.language == "python"; }

// LAYERED_PYTHON3_13, LAYERED_NODEJS20_X: an interpreter chosen explicitly.
std::string override_variable(const std::string& runtime) {
  std::string name = "LAYERED_";
  for (char c : runtime)
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return name;
}

std::vector<std::string> program_names(const image::BaseImage& image) {
  if (is_python(image)) return {"python" + image.language_version, "python3"};
  return {"node", "nodejs"};
}

// "Python 3.13", "Node.js 20".
std::string language_title(const image::BaseImage& image, const std::string& version) {
  return (is_python(image) ? "Python " : "Node.js ") + version;
}
std::string language_title(const image::BaseImage& image) {
  return language_title(image, image.language_version);
}

std::string hex_hash(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(text));
  return hex;
}

// Changes when the file is replaced.
std::string file_identity(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto time = fs::last_write_time(path, ec).time_since_epoch().count();
  return path + "|" + std::to_string(size) + "|" + std::to_string(time);
}

std::string run_and_read(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  if (::pclose(pipe) != 0) out.clear();
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Asks the candidate itself what it is. Running it costs tens of
// milliseconds (hundreds through pyenv's shims), so the answer is kept in
// the cache, keyed on the candidate file and the variable pyenv reads.
std::optional<Interpreter> probe(const image::BaseImage& image, const std::string& candidate,
                                 const std::string& cache_dir) {
  const char* pyenv = std::getenv("PYENV_VERSION");
  const fs::path cached =
      fs::path(cache_dir) / "interpreters" / "probes" /
      hex_hash(image.language + "|" + file_identity(candidate) + "|" + (pyenv ? pyenv : ""));
  std::string answer;
  if (std::ifstream in(cached); in) answer.assign(std::istreambuf_iterator<char>(in), {});
  if (answer.empty()) {
    const std::string script =
        is_python(image)
            ? "import "
              "os,sys,sysconfig;print('%d.%d'%sys.version_info[:2]);print(os.path.realpath(sys.executable));"
              "print(sysconfig.get_path('stdlib'));print(sysconfig.get_config_var('DESTSHARED') or '')"
            : "console.log(process.versions.node.split('.')[0]);console.log(process.execPath);"
              "console.log(['--experimental-require-module','--experimental-detect-module']"
              ".filter(f=>process.allowedNodeEnvironmentFlags.has(f)).join(' '))";
    answer = run_and_read(shell_quote(candidate) + (is_python(image) ? " -I -S -c " : " -e ") +
                          shell_quote(script) + " 2>/dev/null");
    if (answer.empty()) return std::nullopt;
    std::error_code ec;
    fs::create_directories(cached.parent_path(), ec);
    const fs::path tmp = cached.string() + ".tmp-" + std::to_string(::getpid());
    std::ofstream(tmp) << answer;
    fs::rename(tmp, cached, ec);
  }
  std::istringstream lines(answer);
  Interpreter found;
  std::getline(lines, found.version);
  std::getline(lines, found.executable);
  if (is_python(image)) {
    std::getline(lines, found.stdlib);
    std::getline(lines, found.dynload);
  } else {
    std::getline(lines, found.node_flags);
  }
  std::error_code ec;
  if (found.version.empty() || !fs::exists(found.executable, ec)) return std::nullopt;
  return found;
}

std::vector<std::string> path_candidates(const image::BaseImage& image) {
  std::vector<std::string> found;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    for (const auto& name : program_names(image)) {
      const std::string file = dir + "/" + name;
      if (::access(file.c_str(), X_OK) == 0 && std::find(found.begin(), found.end(), file) == found.end())
        found.push_back(file);
    }
  }
  return found;
}

// The explicit choice, else the first candidate on PATH of exactly the
// runtime's version; never another version.
Result<Interpreter> find_interpreter(const image::BaseImage& image, const std::string& cache_dir) {
  const std::string variable = override_variable(image.runtime);
  const std::string wanted = image.language_version;
  const std::string how = "install " + language_title(image) + " so that '" + program_names(image).front() +
                          "' is on PATH, or set " + variable + "=/path/to/its/" +
                          program_names(image).front() + "; layered never runs a " + image.runtime +
                          " function on another version";
  if (const char* chosen = std::getenv(variable.c_str()); chosen && *chosen) {
    auto found = probe(image, chosen, cache_dir);
    if (found && found->version == wanted) return *found;
    return make_error(
        "runtime '" + image.runtime + "' needs " + language_title(image) + ", but " + variable + "=" +
            chosen + " is " + (found ? language_title(image, found->version) : "not a working interpreter"),
        "", "point " + variable + " at " + language_title(image) + "'s interpreter, or unset it");
  }
  std::string seen;
  for (const auto& candidate : path_candidates(image)) {
    auto found = probe(image, candidate, cache_dir);
    if (found && found->version == wanted) return *found;
    seen += (seen.empty() ? "" : ", ") + candidate + (found ? " is " + found->version : " does not run");
  }
  std::string names;
  for (const auto& n : program_names(image)) names += (names.empty() ? "" : ", ") + n;
  return make_error("runtime '" + image.runtime + "' needs " + language_title(image) +
                        ", which is not installed on this machine",
                    "",
                    "looked at $" + variable + " (unset) and for " + names + " on PATH" +
                        (seen.empty() ? " (none found)" : " (" + seen + ")") + "; " + how);
}

void link_or_copy(const fs::path& from, const fs::path& to, std::error_code& ec) {
  const fs::path real = fs::canonical(from, ec);
  if (ec) return;
  fs::create_hard_link(real, to, ec);
  if (!ec) return;
  ec.clear();
  fs::copy_file(real, to, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(to, fs::perms(0755), ec);
}

// Everything the interpreter and its extension modules load, but glibc,
// which the image provides.
std::vector<std::string> libraries(const image::BaseImage& image, const Interpreter& interpreter) {
  std::vector<std::string> files = {interpreter.executable};
  std::error_code ec;
  if (!interpreter.dynload.empty() && fs::is_directory(interpreter.dynload, ec)) {
    for (const auto& entry : fs::directory_iterator(interpreter.dynload, ec))
      if (entry.path().extension() == ".so") files.push_back(entry.path().string());
  }
  std::vector<std::string> libs;
  for (const auto& file : files) {
    for (const auto& lib : host_closure(file)) {
      const std::string name = fs::path(lib).filename().string();
      bool from_image =
          std::find(image.libraries.begin(), image.libraries.end(), name) != image.libraries.end();
      if (!from_image && std::find(libs.begin(), libs.end(), lib) == libs.end()) libs.push_back(lib);
    }
  }
  return libs;
}

constexpr std::array<const char*, 2> kHostPackageDirs = {"site-packages", "dist-packages"};

// bubblewrap resolves a bind's source path as the environment's unprivileged
// user, so a directory under a private one (pyenv's under /root) cannot be
// bound: it is mirrored into the cache instead.
bool reachable_by_others(const fs::path& dir) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return false;
    if (p == p.root_path()) break;
  }
  return true;
}

// The standard library by hard links (copies across file systems), without
// the packages installed into it: its site-packages stays, empty, as a bound
// standard library's is covered, and as Lambda's exists (sys.path lists it).
void mirror_stdlib(const fs::path& from, const fs::path& to, std::error_code& ec) {
  fs::create_directories(to, ec);
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(from);
    const std::string top = rel.begin()->string();
    if (std::find(kHostPackageDirs.begin(), kHostPackageDirs.end(), top) != kHostPackageDirs.end()) {
      if (rel == top && it->is_directory(ec)) fs::create_directory(to / rel, ec);
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec)) {
      fs::copy_symlink(it->path(), to / rel, ec);
    } else if (it->is_directory(ec)) {
      fs::create_directory(to / rel, ec);
    } else {
      fs::create_hard_link(it->path(), to / rel, ec);
      if (ec) {
        ec.clear();
        fs::copy_file(it->path(), to / rel, ec);
      }
    }
  }
}

// bin/ (the interpreter under Lambda's names) and lib/ (its libraries, and
// the standard library: mirrored, or an empty directory it is bound onto).
Status fill_lang_dir(const image::BaseImage& image, const Interpreter& interpreter, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "bin", ec);
  fs::create_directories(dir / "lib", ec);
  const std::string main_name = is_python(image) ? "python" + image.language_version : "node";
  link_or_copy(interpreter.executable, dir / "bin" / main_name, ec);
  if (is_python(image)) {
    if (reachable_by_others(interpreter.stdlib)) {
      fs::create_directories(dir / "lib" / main_name, ec);
    } else {
      mirror_stdlib(interpreter.stdlib, dir / "lib" / main_name, ec);
    }
    fs::create_symlink(main_name, dir / "bin" / "python3", ec);
    fs::create_symlink(main_name, dir / "bin" / "python", ec);
  }
  for (const auto& lib : libraries(image, interpreter)) {
    if (ec) break;
    link_or_copy(lib, dir / "lib" / fs::path(lib).filename(), ec);
  }
  if (ec) return make_error("cannot bundle the interpreter: " + ec.message(), interpreter.executable);
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec))
    if (entry.is_directory()) fs::permissions(entry.path(), fs::perms(0755), ec);
  fs::permissions(dir, fs::perms(0755), ec);
  return Ok{};
}

// Built once per interpreter file under the cache, atomically.
Result<std::string> lang_dir(const image::BaseImage& image, const Interpreter& interpreter,
                             const std::string& cache_dir) {
  const fs::path root = fs::path(cache_dir) / "interpreters";
  const fs::path dir =
      root /
      (image.runtime + "-" +
       hex_hash(file_identity(interpreter.executable) + "|" + interpreter.stdlib + "|" + interpreter.dynload +
                "|" + (reachable_by_others(interpreter.stdlib) ? "bound" : "mirrored, empty site-packages")));
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir.string();
  const fs::path tmp =
      root / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(tmp, ec);
  if (ec) return make_error("cannot create the interpreter cache: " + ec.message(), tmp.string());
  if (auto status = fill_lang_dir(image, interpreter, tmp); !status) {
    fs::remove_all(tmp, ec);
    return status.error();
  }
  fs::rename(tmp, dir, ec);  // another process may have won the race: keep theirs
  if (ec) fs::remove_all(tmp, ec);
  return dir.string();
}

std::string self_directory() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path().string();
}

// Our runtime interface clients: $LAYERED_RUNTIMES_DIR, else installed
// beside the binary, else the source tree this binary was built from.
Result<std::string> client_dir(const image::BaseImage& image) {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("LAYERED_RUNTIMES_DIR"); dir && *dir) roots.emplace_back(dir);
  const std::string self = self_directory();
  roots.push_back(self + "/runtimes");
  roots.push_back(self + "/../share/layered/runtimes");
  roots.emplace_back(LAYERED_SOURCE_RUNTIMES_DIR);
  const std::string entry = is_python(image) ? "bootstrap.py" : "index.mjs";
  for (const auto& root : roots) {
    const fs::path dir = fs::path(root) / image.language;
    std::error_code ec;
    if (fs::exists(dir / entry, ec)) return fs::canonical(dir, ec).string();
  }
  return make_error("layered's runtime interface client for " + image.language + " is missing", roots.back(),
                    "reinstall layered, or set LAYERED_RUNTIMES_DIR to the directory holding " +
                        image.language + "/" + entry);
}

}  // namespace

Result<ManagedRuntime> prepare_managed_runtime(const image::BaseImage& image, const std::string& cache_dir) {
  auto interpreter = find_interpreter(image, cache_dir);
  if (!interpreter) return interpreter.error();
  auto client = client_dir(image);
  if (!client) return client.error();
  auto lang = lang_dir(image, *interpreter, cache_dir);
  if (!lang) return lang.error();
  ManagedRuntime runtime;
  runtime.lang_dir = *lang;
  runtime.client_dir = *client;
  if (is_python(image) && reachable_by_others(interpreter->stdlib)) {
    runtime.stdlib_dir = interpreter->stdlib;
    runtime.stdlib_target = std::string(kLangDir) + "/lib/python" + image.language_version;
    // pyenv's and python.org's builds keep site-packages inside the standard
    // library; Debian's keeps dist-packages outside (never bound).
    for (const char* name : kHostPackageDirs) {
      std::error_code ec;
      if (fs::is_directory(fs::path(interpreter->stdlib) / name, ec))
        runtime.hidden.push_back(runtime.stdlib_target + "/" + name);
    }
  }
  if (is_python(image)) {
    // -s: no user site-packages either (Lambda's own start line has none to skip).
    runtime.command = {std::string(kLangDir) + "/bin/python" + image.language_version, "-s",
                       std::string(kRuntimeDir) + "/bootstrap.py"};
  } else {
    // Lambda's bootstrap gives every function global.gc and 80 KB of HTTP
    // headers (node's default is 16 KB); the heap limits follow the memory
    // size (bootstrap_command).
    runtime.command = {std::string(kLangDir) + "/bin/node", "--expose-gc", "--max-http-header-size", "81920"};
    for (const auto& feature : disabled_features(image.language_version)) {
      // A node too old to know the flag does not have the feature either.
      if (interpreter->node_flags.find(feature) != std::string::npos)
        runtime.command.push_back("--no-" + feature.substr(2));
    }
    runtime.command.push_back(kNodeClient);
  }
  return runtime;
}

Pairs managed_runtime_binds(const Plan& plan) {
  if (!plan.managed) return {};
  const ManagedRuntime& r = *plan.managed;
  Pairs binds = {{r.lang_dir, kLangDir}};
  if (!r.stdlib_dir.empty()) binds.emplace_back(r.stdlib_dir, r.stdlib_target);
  binds.emplace_back(r.client_dir, kRuntimeDir);
  return binds;
}

std::vector<std::string> managed_runtime_hidden(const Plan& plan) {
  return plan.managed ? plan.managed->hidden : std::vector<std::string>{};
}

namespace {

std::string variable(const Plan& plan, const std::string& name) {
  for (const auto& [key, value] : plan.environment)
    if (key == name) return value;
  return {};
}

// What Lambda's /var/runtime/bootstrap does with AWS_LAMBDA_EXEC_WRAPPER:
// checks the wrapper, with its own words and exit statuses, then runs it
// with the runtime's command line as its arguments (lambda-facts.md
// section 10). Only then is a shell in the start path.
constexpr const char* kWrapperScript =
    R"(w=$1; shift; )"
    R"(if [ ! -f "$w" ]; then echo "$w: does not exist"; exit 127; fi; )"
    R"(if [ ! -x "$w" ]; then echo "$w: is not an executable"; exit 126; fi; )"
    R"(exec "$w" "$@")";

// Lambda's Node.js bootstrap sizes V8's heap from the function's memory, not
// from the machine's: a tenth for the young generation (half of that per
// semi-space), the rest for the old one (lambda-facts.md section 10). Flags
// on the command line win over the same ones in NODE_OPTIONS, there as here.
std::vector<std::string> node_heap_flags(const std::string& memory_mb) {
  int memory = 0;
  const char* end = memory_mb.data() + memory_mb.size();
  auto [ptr, ec] = std::from_chars(memory_mb.data(), end, memory);
  if (ec != std::errc{} || ptr != end || memory <= 0) return {};
  const int new_space = memory / 10;
  return {"--max-semi-space-size=" + std::to_string(new_space / 2),
          "--max-old-space-size=" + std::to_string(memory - new_space)};
}

}  // namespace

std::vector<std::string> bootstrap_command(const Plan& plan) {
  if (!plan.managed) return {plan.bootstrap};
  const std::string node_options = variable(plan, "NODE_OPTIONS");
  const std::string wrapper = variable(plan, "AWS_LAMBDA_EXEC_WRAPPER");
  std::vector<std::string> command;
  if (!wrapper.empty()) command = {"/bin/sh", "-c", kWrapperScript, "sh", wrapper};
  for (const auto& word : plan.managed->command) {
    if (word == kNodeClient) {
      for (auto& flag : node_heap_flags(variable(plan, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")))
        command.push_back(std::move(flag));
    }
    // NODE_OPTIONS=--experimental-require-module drops Lambda's --no-... flag.
    bool reenabled =
        word.rfind("--no-", 0) == 0 && node_options.find("--" + word.substr(5)) != std::string::npos;
    if (!reenabled) command.push_back(word);
  }
  return command;
}

}  // namespace layered::sandbox
