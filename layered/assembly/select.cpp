// Finding stacks and assets, and ordering stacks by their dependencies.
#include <algorithm>
#include <functional>
#include <set>

#include "assembly/assembly.hpp"
#include "assembly/internal.hpp"

namespace layered::assembly {

namespace {

// `*` matches any run of characters, as in `cdk deploy 'Lambda-*'`.
bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (glob_match(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  return !text.empty() && pattern[0] == text[0] && glob_match(pattern.substr(1), text.substr(1));
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

}  // namespace

std::vector<std::string> Assembly::stack_names() const {
  std::vector<std::string> names;
  for (const Stack& s : stacks_) names.push_back(s.name);
  return names;
}

const Stack* Assembly::find_stack(std::string_view name) const {
  for (const Stack& s : stacks_) {
    if (s.name == name) return &s;
  }
  for (const Stack& s : stacks_) {
    if (s.artifact_id == name || s.display_name == name) return &s;
  }
  return nullptr;
}

std::vector<const Stack*> Assembly::dependents_of(const Stack& stack) const {
  std::vector<const Stack*> out;
  for (const Stack& s : stacks_) {
    if (std::find(s.dependencies.begin(), s.dependencies.end(), stack.name) != s.dependencies.end()) {
      out.push_back(&s);
    }
  }
  return out;
}

Result<std::vector<const Stack*>> Assembly::in_dependency_order() const {
  // Depth-first, to name a cycle: a grey node seen again closes one.
  enum class Mark { white, grey, black };
  std::vector<Mark> marks(stacks_.size(), Mark::white);
  std::vector<std::size_t> path;
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < stacks_.size(); ++i) {
      if (stacks_[i].name == name) return i;
    }
    return stacks_.size();
  };
  std::function<Status(std::size_t)> visit = [&](std::size_t i) -> Status {
    if (marks[i] == Mark::black) return Ok{};
    if (marks[i] == Mark::grey) {
      std::string cycle;
      auto start = std::find(path.begin(), path.end(), i);
      for (auto it = start; it != path.end(); ++it) cycle += "'" + stacks_[*it].name + "' -> ";
      cycle += "'" + stacks_[i].name + "'";
      return make_error("circular dependency between stacks: " + cycle,
                        directory_.string() + "/manifest.json",
                        "remove one of these dependencies (addDependency or a cross-stack reference)");
    }
    marks[i] = Mark::grey;
    path.push_back(i);
    for (const std::string& dep : stacks_[i].dependencies) {
      std::size_t j = index_of(dep);
      if (j < stacks_.size()) LAYERED_TRY(visit(j));
    }
    path.pop_back();
    marks[i] = Mark::black;
    return Ok{};
  };
  for (std::size_t i = 0; i < stacks_.size(); ++i) LAYERED_TRY(visit(i));
  // No cycle. The order itself is the CDK CLI's: in rounds, each round every
  // stack whose dependencies are all placed, in the assembly's order. A
  // depth-first order would also be valid, but a dependency the manifest
  // does not declare (a cross-account Fn::GetStackOutput) would then be
  // deployed after its reader where `cdk deploy --all` deploys it before.
  std::vector<const Stack*> rounds;
  std::vector<bool> placed(stacks_.size(), false);
  while (rounds.size() < stacks_.size()) {
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < stacks_.size(); ++i) {
      if (placed[i]) continue;
      const auto& deps = stacks_[i].dependencies;
      if (std::all_of(deps.begin(), deps.end(), [&](const std::string& dep) {
            const std::size_t j = index_of(dep);
            return j == stacks_.size() || placed[j];
          }))
        ready.push_back(i);
    }
    for (std::size_t i : ready) {
      placed[i] = true;
      rounds.push_back(&stacks_[i]);
    }
  }
  return rounds;
}

Status Assembly::match_names(const std::vector<std::string>& names, std::set<const Stack*>& chosen) const {
  for (const std::string& name : names) {
    bool matched = false;
    if (const Stack* found = find_stack(name)) {
      chosen.insert(found);
      matched = true;
    } else if (name.find('*') != std::string::npos) {
      for (const Stack& s : stacks_) {
        if (glob_match(name, s.name) || glob_match(name, s.display_name)) {
          chosen.insert(&s);
          matched = true;
        }
      }
    }
    if (!matched) {
      std::string hint = did_you_mean(name, stack_names());
      if (hint.empty()) hint = "stacks: " + quoted_list(stack_names());
      return make_error("no stack named '" + name + "'", "", hint);
    }
  }
  return Ok{};
}

Result<std::vector<const Stack*>> Assembly::select(const std::vector<std::string>& names, bool all,
                                                   Expand expand) const {
  auto ordered = in_dependency_order();
  if (!ordered) return std::move(ordered.error());
  std::set<const Stack*> chosen;
  // Every name must match a stack, with --all too (as `cdk deploy --all X`
  // fails on an X that matches nothing).
  LAYERED_TRY(match_names(names, chosen));
  if (all) return ordered;
  if (names.empty()) {
    if (stacks_.size() == 1) return ordered;
    if (stacks_.empty()) return make_error("the cloud assembly has no stacks", directory_.string());
    return make_error("this app has more than one stack: name the stacks to use or pass --all", "",
                      "stacks: " + quoted_list(stack_names()));
  }

  // Widen to a fixed point.
  for (bool grew = expand != Expand::none; grew;) {
    grew = false;
    for (const Stack& s : stacks_) {
      if (chosen.count(&s)) continue;
      bool add = false;
      for (const Stack* c : chosen) {
        const auto& deps = expand == Expand::dependencies ? c->dependencies : s.dependencies;
        const std::string& target = expand == Expand::dependencies ? s.name : c->name;
        add = add || std::find(deps.begin(), deps.end(), target) != deps.end();
      }
      if (add) {
        chosen.insert(&s);
        grew = true;
      }
    }
  }
  std::vector<const Stack*> out;
  for (const Stack* s : *ordered) {
    if (chosen.count(s)) out.push_back(s);
  }
  return out;
}

const Asset* Assembly::find_asset(std::string_view id) const {
  for (const Asset& a : assets_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const Asset* Assembly::find_asset_by_object_key(std::string_view key) const {
  for (const Asset& a : assets_) {
    if (!a.object_key.empty() && a.object_key == key) return &a;
  }
  for (const Asset& a : assets_) {
    if (key == a.id || key == a.id + ".zip") return &a;
  }
  return nullptr;
}

const Asset* Assembly::find_asset_by_metadata(const Stack& stack, std::string_view logical_id) const {
  const auto& tpl = stack.template_json;
  auto resources = tpl.find("Resources");
  if (resources == tpl.end() || !resources->is_object()) return nullptr;
  auto resource = resources->find(std::string(logical_id));
  if (resource == resources->end() || !resource->is_object()) return nullptr;
  auto metadata = resource->find("Metadata");
  if (metadata == resource->end() || !metadata->is_object()) return nullptr;
  auto rel = metadata->find("aws:asset:path");
  if (rel == metadata->end() || !rel->is_string()) return nullptr;
  const auto path = (stack.template_path.parent_path() / rel->get<std::string>()).lexically_normal();
  for (const Asset& a : assets_) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

const Asset* Assembly::nested_template(const Stack& parent, std::string_view logical_id,
                                       std::string_view template_url) const {
  const Asset* asset = find_asset_by_metadata(parent, logical_id);
  const std::string_view key = template_url.substr(template_url.find_last_of('/') + 1);
  if (!asset && !key.empty()) asset = find_asset_by_object_key(key);
  return asset && !asset->is_directory ? asset : nullptr;
}

Result<Stack> Assembly::nested_stack(const Stack& parent, const std::string& logical_id,
                                     const std::string& template_url, const std::string& name) const {
  const Asset* asset = nested_template(parent, logical_id, template_url);
  const std::string where = parent.name + "/" + logical_id + ".Properties.TemplateURL";
  if (parent.nesting_depth >= kMaxNestingDepth) {
    return make_error("nested stacks go deeper than " + std::to_string(kMaxNestingDepth) + " levels", where,
                      "a nested template that includes itself never ends: check what each nested stack's "
                      "TemplateURL names");
  }
  if (!asset) {
    return make_error("the nested stack's template is not in the cloud assembly", where,
                      "run 'npx cdk synth' again, or pass --app with the assembly that has it");
  }
  Stack nested;
  nested.artifact_id = name;
  nested.name = name;
  nested.display_name = parent.display_name + "/" + logical_id;
  nested.template_path = asset->path;
  auto tpl = detail::read_json_file(
      asset->path, asset->path.filename().string(), kMaxTemplateBytes,
      "Template may not exceed " + std::to_string(kMaxTemplateBytes) + " bytes in size.");
  if (!tpl) {
    const Error& e = tpl.error();
    return make_error("the nested stack's template " + asset->path.filename().string() + ": " + e.message,
                      where, e.hint.empty() ? "run 'npx cdk synth' again" : e.hint);
  }
  nested.template_json = std::move(*tpl);
  nested.account = parent.account;
  nested.region = parent.region;
  nested.nesting_depth = parent.nesting_depth + 1;
  return nested;
}

}  // namespace layered::assembly
