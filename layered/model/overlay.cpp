// The one merge of layers into /opt (see model.hpp for the rule and
// docs/lambda-facts.md section 1 for why).
#include <algorithm>

#include "model/model.hpp"

namespace layered::model {

namespace {

// The nearest existing parent of `rel` that is not a directory, if any.
std::optional<std::string> blocking_parent(const std::map<std::string, Placed>& entries,
                                           const std::string& rel) {
  for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    const std::string parent = rel.substr(0, slash);
    auto it = entries.find(parent);
    if (it != entries.end() && it->second.kind != Kind::directory) return parent;
  }
  return std::nullopt;
}

// Parents a layer's zip may leave implicit ("lib/x.so" without "lib/").
void add_parents(std::map<std::string, Placed>& entries, const std::string& rel, int layer) {
  for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
    entries.try_emplace(rel.substr(0, slash), Placed{Kind::directory, layer, {}});
}

void place(Overlay& out, const Node& node, int layer) {
  if (auto parent = blocking_parent(out.entries, node.rel)) {
    out.dropped.push_back({node.rel, layer, node.kind, *parent, out.entries.at(*parent).layer});
    return;
  }
  add_parents(out.entries, node.rel, layer);
  auto [it, inserted] = out.entries.try_emplace(node.rel, Placed{node.kind, layer, {}});
  if (inserted) return;
  Placed& existing = it->second;
  const bool was_directory = existing.kind == Kind::directory;
  if (was_directory && node.kind == Kind::directory) return;  // directories merge
  if (was_directory || node.kind == Kind::directory) {
    // unzip cannot unlink a directory to put a file there, nor make a
    // directory where a file is: the path keeps what it had.
    out.dropped.push_back({node.rel, layer, node.kind, node.rel, existing.layer});
    return;
  }
  existing.overwritten.push_back(existing.layer);
  existing.layer = layer;
  existing.kind = node.kind;
}

}  // namespace

Overlay overlay(const std::vector<std::vector<Node>>& layers) {
  Overlay out;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    // A zip lists a directory before what it holds; sorting gives the same.
    std::vector<const Node*> nodes;
    nodes.reserve(layers[i].size());
    for (const auto& n : layers[i]) nodes.push_back(&n);
    std::sort(nodes.begin(), nodes.end(), [](const Node* a, const Node* b) { return a->rel < b->rel; });
    for (const Node* n : nodes) place(out, *n, static_cast<int>(i));
  }
  return out;
}

}  // namespace layered::model
