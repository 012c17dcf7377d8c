// Layer versions published outside this app (`layered deploy --layer
// ARN=DIR|ZIP`): a public layer or another account's, which layered cannot
// download, recorded with content the user has so that functions naming the
// ARN deploy and run. They belong to no stack: destroy leaves them, and a
// later --layer with the same ARN gives them new content.
#include "deploy/internal.hpp"

namespace layered::deploy::detail {

namespace {

// A layer version ARN by Lambda's pattern; version 0 is never published.
Result<state::LayerVersionRecord> parse_layer_version_arn(const std::string& arn) {
  const auto id = model::parse_layer_version_arn(arn);
  if (!id || id->version == 0) {
    return make_error("'" + arn + "' is not a layer version ARN", "--layer",
                      "give it as arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION=DIR|ZIP");
  }
  state::LayerVersionRecord r;
  r.arn = arn;
  r.layer_name = id->name;
  r.version = id->version;
  return r;
}

// The state numbers layer versions by name alone, whatever the account: a
// layer of another account with a local layer's name and number cannot be
// told apart from it by version number.
Status name_and_number_free(const state::State& state, const state::LayerVersionRecord& wanted) {
  auto all = state.layer_versions();
  if (!all.ok()) return all.error();
  for (const auto& l : *all) {
    if (l.layer_name != wanted.layer_name || l.version != wanted.version || l.arn == wanted.arn) continue;
    return make_error("layer version " + wanted.arn + " has the name and number of " + l.arn +
                          ", which this state already has",
                      "--layer",
                      "layered keeps one layer version per name and number: use another state (--state)");
  }
  return Ok{};
}

Status provide(state::State& state, const store::Store& store, const ProvidedLayer& given,
               const Progress& progress) {
  auto record = parse_layer_version_arn(given.arn);
  if (!record.ok()) return record.error();
  auto existing = state.find_layer_version(given.arn);
  if (!existing.ok()) return existing.error();
  if (existing->has_value() && !(*existing)->stack.empty()) {
    return make_error(
        "layer version " + given.arn + " is published by stack " + (*existing)->stack + " of this state",
        "--layer", "--layer stands in for layer versions published elsewhere: drop it");
  }
  LAYERED_TRY(name_and_number_free(state, *record));
  auto stored = store.put(given.path);
  if (!stored.ok()) return Error{stored.error().message, "--layer " + given.path, stored.error().hint};
  if (existing->has_value() && (*existing)->content_key == stored->key) return Ok{};
  record->content_key = stored->key;
  record->content_dir = stored->path.string();
  record->description = "provided with --layer";
  LAYERED_TRY(state.put_provided_layer_version(*record));
  if (progress) {
    progress("layer version " + given.arn + ": " + (existing->has_value() ? "new content" : "provided") +
             " from " + given.path);
  }
  return Ok{};
}

}  // namespace

Status provide_layers(state::State& state, const store::Store& store, const DeployOptions& options) {
  if (options.provided_layers.empty()) return Ok{};
  auto tx = state.begin();
  if (!tx.ok()) return tx.error();
  for (const auto& layer : options.provided_layers) {
    if (Status s = provide(state, store, layer, options.progress); !s.ok()) {
      tx->rollback();
      collect_garbage(state, store);
      return s;
    }
  }
  LAYERED_TRY(tx->commit());
  collect_garbage(state, store);
  return Ok{};
}

}  // namespace layered::deploy::detail
