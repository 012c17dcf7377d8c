// An execution environment's lifecycle: Init, Invoke, and the resets that a
// crash, timeout or out-of-memory kill cause (lambda-facts.md sections 4-6).
// This file makes an environment and prepares its sandbox; phases.cpp runs
// an invoke through it.
#include <ctime>
#include <filesystem>
#include <random>

#include "doctor/doctor.hpp"
#include "invoke/environment_state.hpp"

namespace layered::invoke {

namespace {

// 2024/12/19/[$LATEST]4dd42d66282145a2964ff13dfcd5dc65
std::string log_stream_name(const std::string& version) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char date[16];
  std::strftime(date, sizeof date, "%Y/%m/%d", &utc);
  std::mt19937_64 rng{std::random_device{}()};
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "0123456789abcdef"[rng() % 16];
  return std::string(date) + "/[" + version + "]" + hex;
}

}  // namespace

Environment::Environment(std::unique_ptr<State> state) : state_(std::move(state)) {}
Environment::~Environment() {
  if (!state_) return;
  state_->discard();
  state_->close_tmp();
}

bool Environment::warm() const { return state_->ready; }

bool Environment::reusable() const { return state_->ready || state_->was_reset; }

bool Environment::prepared() const { return state_->held && state_->box; }

Result<double> Environment::prepare() {
  State& s = *state_;
  // Nothing to lay out when the loader would refuse the bootstrap: the
  // invoke's Init says so.
  if (s.ready || s.held || s.was_reset || !s.loader_refusal().empty()) return 0.0;
  auto started = Clock::now();
  auto failed = s.launch(runtime_api::new_request_id(), true);
  if (!failed) return failed.error();
  if (*failed) s.discard();  // no bootstrap: the invoke's Init says so
  return ms_since(started);
}

namespace {

// What Lambda itself would refuse to run, and what layered cannot run.
Status runnable(const model::Function& f) {
  if (model::deprecated(f.runtime)) return model::unsupported_runtime(f.display_name(), f.runtime, f.arn);
  if (model::emulated(f.runtime)) return Ok{};
  return model::not_emulated_runtime(f.display_name(), f.runtime, f.arn);
}

// Builds a cache entry and locks it for the environment's life. A deploy's
// cache collection may remove it in between: building it once more is enough.
template <class Build>
Status leased(const Build& build, std::string& dir, sandbox::CacheLease& lease) {
  for (int attempt = 0;; ++attempt) {
    auto built = build();
    if (!built) return built.error();
    auto locked = sandbox::lease_cache_entry(*built);
    if (!locked && attempt == 0) continue;
    if (!locked) return locked.error();
    dir = std::move(*built);
    lease = std::move(*locked);
    return Ok{};
  }
}

}  // namespace

Result<std::unique_ptr<Environment>> Environment::create(model::Function spec, Options options) {
  LAYERED_TRY(runnable(spec));
  auto state = std::make_unique<State>();
  auto image = image::load(std::string(model::to_string(spec.runtime)));
  if (!image) return image.error();
  state->image = std::move(*image);
  // The code in the state's store: no deploy removes it while this holds.
  if (std::error_code ec; std::filesystem::is_directory(spec.code_dir, ec)) {
    auto code = sandbox::lease_cache_entry(spec.code_dir);
    if (!code) {
      return make_error("the function's code is gone: a deploy replaced it meanwhile", spec.code_dir,
                        "invoke it again: it runs what is deployed now");
    }
    state->code_lease = std::move(*code);
  }
  std::vector<std::string> dirs;
  for (const auto& layer : spec.layers) dirs.push_back(layer.dir);
  LAYERED_TRY(leased([&] { return sandbox::merge_layers(dirs, options.cache_dir); }, state->opt_dir,
                     state->opt_lease));
  LAYERED_TRY(leased([&] { return sandbox::prepare_host_programs(state->image, options.cache_dir); },
                     state->host_programs_dir, state->host_programs_lease));
  LAYERED_TRY(leased(
      [&] { return sandbox::prepare_image_tree(state->image, state->host_programs_dir, options.cache_dir); },
      state->image_dir, state->image_lease));
  if (!state->image.language.empty()) {
    auto managed = sandbox::prepare_managed_runtime(state->image, options.cache_dir);
    if (!managed) return managed.error();
    state->managed = std::move(*managed);
  }
  if (!state->managed) {
    if (auto bootstrap = sandbox::find_bootstrap(spec.code_dir, state->opt_dir)) {
      state->loader_check = std::async(
          std::launch::async,
          [&image = state->image, start = doctor::Start{std::string(model::to_string(spec.architecture)),
                                                        spec.code_dir, state->opt_dir, *bootstrap}] {
            return doctor::missing_versions(image, start);
          });
    }
  }
  if (options.launcher) {
    state->launcher = options.launcher;
  } else {
    state->own_launcher = sandbox::bwrap_launcher();
    state->launcher = state->own_launcher.get();
  }
  state->log_stream = log_stream_name(spec.version);
  state->spec = std::move(spec);
  state->options = std::move(options);
  return std::unique_ptr<Environment>(new Environment(std::move(state)));
}

}  // namespace layered::invoke
