// What a Lambda function is, once: its configuration (runtime and
// architecture as enums), its ordered layers, and how those layers merge into
// /opt. `state` stores a Function, `deploy` builds it, `invoke` runs it and
// `doctor` checks it, so none of them can disagree about a function.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/common.hpp"

namespace layered::model {

// Every runtime identifier Lambda names: the ones layered emulates (one entry
// each in layered/data/base-images.json), valid ones it does not emulate, and
// the deprecated ones Lambda no longer accepts for creating or updating.
enum class Runtime {
  provided_al2023,
  provided_al2,
  python3_9,
  python3_10,
  python3_11,
  python3_12,
  python3_13,
  python3_14,
  nodejs18_x,
  nodejs20_x,
  nodejs22_x,
  nodejs24_x,
  // Valid on Lambda, not emulated here.
  java8_al2,
  java11,
  java17,
  java21,
  java25,
  ruby3_2,
  ruby3_3,
  ruby3_4,
  ruby4_0,
  dotnet8,
  dotnet10,
  // Deprecated: Lambda refuses to create or update a function with these.
  provided,
  go1_x,
  python2_7,
  python3_6,
  python3_7,
  python3_8,
  nodejs,
  nodejs4_3,
  nodejs4_3_edge,
  nodejs6_10,
  nodejs8_10,
  nodejs10_x,
  nodejs12_x,
  nodejs14_x,
  nodejs16_x,
  java8,
  dotnetcore1_0,
  dotnetcore2_0,
  dotnetcore2_1,
  dotnetcore3_1,
  dotnet6,
  ruby2_5,
  ruby2_7,
};

enum class Family { custom, python, nodejs, other };

// Lambda's identifier ("provided.al2023", "nodejs20.x"), or nullopt.
std::optional<Runtime> parse_runtime(std::string_view text);
std::string_view to_string(Runtime runtime);
Family family(Runtime runtime);
// Lambda blocks creating and updating functions with this runtime.
bool deprecated(Runtime runtime);
// The file CloudFormation writes inline code (Code.ZipFile) to: index.py for
// Python, index.js (CommonJS) for Node.js; nullopt where it takes none.
std::optional<std::string> inline_code_file(Runtime runtime);
// The one message for inline code where the runtime takes none (deploy and doctor).
Error inline_code_refused(Runtime runtime, std::string where = {});
// The package CloudFormation makes of inline code (inline_code.cpp): the
// code as inline_code_file(runtime), and its cfn-response module when the
// code loads it the one way CloudFormation looks for (`import cfnresponse`,
// `require('cfn-response')`). Empty where the runtime takes no inline code.
std::vector<std::pair<std::string, std::string>> inline_package(Runtime runtime, const std::string& code);
// layered runs it (custom, Python and Node.js runtimes that are not deprecated).
bool emulated(Runtime runtime);
// What to move a deprecated runtime to; the runtime itself when it is supported.
Runtime replacement(Runtime runtime);
// Every identifier Lambda names, for "did you mean".
std::vector<std::string> runtime_names();

// The one message for a function whose runtime Lambda no longer supports:
// names the function and the supported replacement. Deploy, invoke and
// doctor all say this.
Error unsupported_runtime(const std::string& function, Runtime runtime, std::string where = {});
// The one message for a valid runtime that layered does not run (java21).
Error not_emulated_runtime(const std::string& function, Runtime runtime, std::string where = {});
// The one message for a runtime identifier Lambda does not know.
Error unknown_runtime(const std::string& function, const std::string& text, std::string where = {});
// A function's runtime as deploy and doctor read it from a template: unknown
// and deprecated runtimes are errors with the messages above.
Result<Runtime> supported_runtime(const std::string& function, const std::string& text,
                                  std::string where = {});

enum class Architecture { x86_64, arm64 };

std::optional<Architecture> parse_architecture(std::string_view text);
std::string_view to_string(Architecture architecture);

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Layer {
  std::string arn;   // empty for a layer given by path (doctor --layer)
  std::string dir;   // its extracted content (a directory), or a .zip for doctor
  std::string name;  // shown to people: "external:3", or a directory's name
};

// A function's configuration as Lambda knows it. A plain value: a version is
// a copy of it.
struct Function {
  std::string name;  // physical name
  std::string arn;
  std::string version = "$LATEST";
  std::string stack;
  std::string logical_id;
  std::string construct_path;  // aws:cdk:path without the trailing /Resource
  Runtime runtime = Runtime::provided_al2023;
  Architecture architecture = Architecture::x86_64;
  std::string handler;  // "" when unknown (doctor of a bare package)
  int memory_mb = 128;
  int timeout_s = 3;
  int ephemeral_mb = 512;
  Pairs environment;  // in template order
  std::string code_key;
  std::string code_dir;       // the function's code (a directory, or a .zip for doctor); "" for none
  std::string inline_code;    // doctor, before deploy: Code.ZipFile's text when code_dir is ""
  std::vector<Layer> layers;  // merge order: first = lowest, a later one wins

  // The construct path when there is one, else the name.
  std::string display_name() const;
};

// "arn:aws:lambda:...:layer:external:3" -> "external:3"; anything else as is.
std::string layer_display_name(const std::string& arn);

// A layer version ARN's name and number, by Lambda's pattern
// (arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION: a 12-digit
// account, a name of letters, digits, '-' and '_'); nullopt for anything else.
struct LayerVersionId {
  std::string name;
  int version = 0;
};
std::optional<LayerVersionId> parse_layer_version_arn(const std::string& arn);

// ---- /opt: layers merged in order ----------------------------------------
//
// Lambda extracts each layer's zip into /opt in the function's order, like
// `unzip -o` over what the earlier ones left (docs/lambda-facts.md section 1):
// a later layer's file replaces an earlier one's file or symlink; a path keeps
// the kind it was first given, so a later file where an earlier layer has a
// directory, and anything a later layer has under an earlier file or symlink,
// is not extracted (dropped).

enum class Kind { directory, file, symlink };

struct Node {
  std::string rel;  // relative to the layer's root, '/'-separated, no trailing '/'
  Kind kind = Kind::file;
};

struct Placed {
  Kind kind = Kind::file;
  int layer = 0;                 // the layer whose node is visible
  std::vector<int> overwritten;  // earlier layers whose file or symlink it replaced
};

struct Dropped {
  std::string rel;
  int layer = 0;  // the layer whose node is not extracted
  Kind kind = Kind::file;
  std::string blocker;  // the path that blocks it: rel itself or one of its parents
  int blocker_layer = 0;
};

struct Overlay {
  std::map<std::string, Placed> entries;  // rel -> what /opt/<rel> is
  std::vector<Dropped> dropped;           // in layer order
};

// `layers[i]` lists layer i's nodes in any order.
Overlay overlay(const std::vector<std::vector<Node>>& layers);

}  // namespace layered::model
