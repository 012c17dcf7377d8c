// InvocationResponse, Lambda's error JSON and the mapping of exceptions to it.
#include <cxxabi.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <typeinfo>

#include "cpputils/runtime.hpp"
#include "json.hpp"

namespace cpputils {
namespace {

std::string demangle(const std::type_info* type) {
  if (type == nullptr) return "unknown";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type->name(), nullptr, nullptr, &status),
                                              std::free);
  std::string result = (status == 0 && name) ? name.get() : type->name();
  // std::throw_with_nested(E) throws libstdc++'s std::_Nested_exception<E>:
  // the caller threw an E, so report E.
  constexpr std::string_view kWrapper = "std::_Nested_exception<";
  if (result.starts_with(kWrapper) && result.ends_with(">")) {
    result = result.substr(kWrapper.size(), result.size() - kWrapper.size() - 1);
  }
  return result;
}

constexpr const char* kJsonContentType = "application/json";
constexpr const char* kErrorContentType = "application/vnd.aws.lambda.error+json";

struct Described {
  std::string type;
  std::string message;
  std::exception_ptr cause;
};

Described describe(const std::exception_ptr& error) {
  Described described;
  try {
    std::rethrow_exception(error);
  } catch (const InvalidInput& e) {  // the documented caller error keeps its short name
    described.type = "InvalidInput";
    described.message = e.what();
    if (const auto* nested = dynamic_cast<const std::nested_exception*>(&e))
      described.cause = nested->nested_ptr();
  } catch (const std::exception& e) {
    described.type = demangle(abi::__cxa_current_exception_type());
    described.message = e.what();
    if (const auto* nested = dynamic_cast<const std::nested_exception*>(&e))
      described.cause = nested->nested_ptr();
  } catch (const std::nested_exception& nested) {
    described.type = demangle(abi::__cxa_current_exception_type());
    described.message = "unknown exception";
    described.cause = nested.nested_ptr();
  } catch (...) {
    described.type = demangle(abi::__cxa_current_exception_type());
    described.message = "unknown exception";
  }
  return described;
}

// The bytes that stand as they are in a JSON string.
constexpr std::array<bool, 256> kJsonPlain = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0x20; c < table.size(); ++c) table[c] = c != '"' && c != '\\';
  return table;
}();

// The escape sequence of one character that JSON does not allow as it is.
void append_escape(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      auto byte = static_cast<unsigned char>(c);
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
      out.append(escaped, sizeof escaped);
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

}  // namespace

InvocationResponse InvocationResponse::success(std::string payload) {
  InvocationResponse response;
  response.payload_ = std::move(payload);
  response.fixed_content_type_ = kJsonContentType;
  return response;
}

InvocationResponse InvocationResponse::success(std::string payload, std::string content_type) {
  InvocationResponse response;
  response.payload_ = std::move(payload);
  response.content_type_ = std::move(content_type);
  return response;
}

InvocationResponse InvocationResponse::failure(ErrorType type, std::string message,
                                               std::vector<std::string> stack_trace) {
  InvocationResponse response;
  response.success_ = false;
  response.fixed_content_type_ = kErrorContentType;
  response.error_type_ = std::move(type.name);
  response.error_message_ = std::move(message);
  response.stack_trace_ = std::move(stack_trace);
  return response;
}

std::string InvocationResponse::error_json() const {
  std::string json = "{\"errorMessage\":";
  append_json_string(json, error_message_);
  json += ",\"errorType\":";
  append_json_string(json, error_type_);
  json += ",\"stackTrace\":[";
  for (std::size_t i = 0; i < stack_trace_.size(); ++i) {
    if (i > 0) json += ',';
    append_json_string(json, stack_trace_[i]);
  }
  json += "]}";
  return json;
}

InvocationResponse failure_from_exception(const std::exception_ptr& error) {
  if (!error) return InvocationResponse::failure(ErrorType("unknown"), "unknown exception");
  Described outer = describe(error);
  std::vector<std::string> causes;
  std::exception_ptr cause = outer.cause;
  for (int depth = 0; cause && depth < 64; ++depth) {  // bounded: a cycle must not hang the runtime
    Described described = describe(cause);
    causes.push_back(described.type + ": " + described.message);
    cause = described.cause;
  }
  return InvocationResponse::failure(ErrorType(std::move(outer.type)), std::move(outer.message),
                                     std::move(causes));
}

// Eight bytes a step, then byte by byte from the word that holds the first
// byte to escape.
std::size_t json_plain_prefix(std::string_view text) {
  std::size_t run = 0;
  while (run + 8 <= text.size() && json_special_bytes(json_load_word(text.data() + run)) == 0) run += 8;
  while (run < text.size() && kJsonPlain[static_cast<unsigned char>(text[run])]) ++run;
  return run;
}

// Plain runs are appended whole: request ids and most messages are one run.
void append_json_escaped(std::string& out, std::string_view text) {
  for (;;) {
    std::size_t run = json_plain_prefix(text);
    out.append(text.data(), run);
    if (run == text.size()) return;
    append_escape(out, text[run]);
    text.remove_prefix(run + 1);
  }
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_json_escaped(out, text);
  return out;
}

}  // namespace cpputils
