#include "handler.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "common/json_event.hpp"
#include "cpputils/decorator.hpp"

namespace greeting {

namespace {

constexpr std::size_t kMaxNameLength = 64;

struct Template {
  std::string_view language;
  std::string_view text;  // fmt format string; {name} is the caller's name
};

constexpr std::array kTemplates{
    Template{"de", "Hallo, {name}!"},    Template{"en", "Hello, {name}!"}, Template{"es", "¡Hola, {name}!"},
    Template{"fr", "Bonjour, {name} !"}, Template{"it", "Ciao, {name}!"},
};

const Template& template_for(std::string_view language) {
  for (const auto& candidate : kTemplates) {
    if (candidate.language == language) return candidate;
  }
  std::string known;
  for (const auto& candidate : kTemplates)
    known += fmt::format("{}'{}'", known.empty() ? "" : ", ", candidate.language);
  throw cpputils::InvalidInput(fmt::format("'language' must be one of {} (got '{}')", known, language));
}

// Counts code points, not bytes: "Zoë" is three characters.
std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

}  // namespace

std::string greet(std::string_view event) {
  const Json::Value input =
      lambda_json::parse_object(event, {"name", "language"}, R"({"name": "Ada", "language": "en"})");
  const Json::Value& name = input["name"];
  if (name.isNull()) throw cpputils::InvalidInput(R"('name' is required, for example {"name": "Ada"})");
  if (!name.isString()) throw cpputils::InvalidInput("'name' must be a string");
  const std::string who = name.asString();
  if (who.empty() || utf8_length(who) > kMaxNameLength) {
    throw cpputils::InvalidInput(fmt::format("'name' must be 1 to {} characters long", kMaxNameLength));
  }
  const Json::Value& language = input.get("language", "en");
  if (!language.isString()) throw cpputils::InvalidInput("'language' must be a string such as \"en\"");
  const Template& chosen = template_for(language.asString());

  Json::Value output(Json::objectValue);
  output["greeting"] = fmt::format(fmt::runtime(chosen.text), fmt::arg("name", who));
  output["language"] = std::string(chosen.language);
  return lambda_json::to_string(output);
}

cpputils::Handler make_handler(std::ostream* log) {
  return cpputils::decorate(
      [](const cpputils::InvocationRequest& request) {
        return cpputils::InvocationResponse::success(greet(request.payload));
      },
      {.name = "greeting", .log = log});
}

}  // namespace greeting
