// JSON in and out of a handler, with jsoncpp (shipped in the external layer,
// so a function binary stays a few kilobytes).
#pragma once

#include <json/value.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace lambda_json {

// Parses an event that must be a JSON object whose keys are all in `fields`.
// Throws cpputils::InvalidInput naming what is wrong; `example` is a valid
// event quoted in the message for a payload that is not an object at all.
Json::Value parse_object(std::string_view payload, std::initializer_list<std::string_view> fields,
                         std::string_view example);

// Compact JSON, UTF-8 kept as is.
std::string to_string(const Json::Value& value);

}  // namespace lambda_json
