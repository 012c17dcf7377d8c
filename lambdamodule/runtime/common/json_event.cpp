#include "common/json_event.hpp"

#include <json/reader.h>
#include <json/writer.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "cpputils/decorator.hpp"

namespace lambda_json {

namespace {

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::string list;
  for (auto name : names) {
    list += list.empty() ? "" : ", ";
    list += "'" + std::string(name) + "'";
  }
  return list;
}

// jsoncpp reports "* Line 1, Column 15\n  Missing ',' or '}' in object
// declaration\n" (then more errors): keep the first, on one line, lower-case.
std::string first_parse_error(const std::string& errors) {
  const std::size_t first_end = errors.find('\n');
  std::string where = errors.substr(0, first_end);
  std::string what = first_end == std::string::npos ? "" : errors.substr(first_end + 1);
  what = what.substr(0, what.find('\n'));
  auto tidy = [](std::string text) {
    text.erase(0, text.find_first_not_of("* "));
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
  };
  where = tidy(where);  // "Line 1, Column 15"
  std::transform(where.begin(), where.end(), where.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "at " + where + ": " + tidy(what);
}

}  // namespace

Json::Value parse_object(std::string_view payload, std::initializer_list<std::string_view> fields,
                         std::string_view example) {
  Json::CharReaderBuilder builder;
  builder["collectComments"] = false;
  builder["rejectDupKeys"] = true;
  builder["failIfExtra"] = true;
  const std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value event;
  std::string errors;
  if (!reader->parse(payload.data(), payload.data() + payload.size(), &event, &errors)) {
    throw cpputils::InvalidInput("event is not valid JSON " + first_parse_error(errors));
  }
  if (!event.isObject()) {
    throw cpputils::InvalidInput("event must be a JSON object, for example " + std::string(example));
  }
  for (const auto& key : event.getMemberNames()) {
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      throw cpputils::InvalidInput("unknown field '" + key + "' in event; expected " + quoted_list(fields));
    }
  }
  return event;
}

std::string to_string(const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  builder["emitUTF8"] = true;
  return Json::writeString(builder, value);
}

}  // namespace lambda_json
