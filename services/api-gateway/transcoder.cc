#include "services/api-gateway/transcoder.h"

#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/status.h"
#include "simdjson.h"

namespace chainsync::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const FieldDescriptor* FindField(const Descriptor& type,
                                 absl::string_view name) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->name() == name || field->json_name() == name) return field;
  }
  return nullptr;
}

// CheckJsonFields refuses JSON object keys the message type does not have,
// naming them with their path, before the JSON parser (whose own message
// does not say which field) sees them.
absl::Status CheckJsonFields(simdjson::dom::element value,
                             const Descriptor& type, const std::string& path) {
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) return absl::OkStatus();
  // Well-known types (Struct, Timestamp, ...) have a JSON form of their own.
  if (type.file()->package() == "google.protobuf") return absl::OkStatus();
  for (auto [key, member] : object) {
    const std::string name(key);
    const FieldDescriptor* field = FindField(type, name);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field ", QuoteValue(absl::StrCat(path, name)),
                       " in the body (", type.full_name(), ")"));
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_map())
      continue;
    const std::string inner = absl::StrCat(path, name, ".");
    simdjson::dom::array items;
    if (field->is_repeated() && member.get(items) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : items) {
        if (absl::Status status =
                CheckJsonFields(item, *field->message_type(), inner);
            !status.ok()) {
          return status;
        }
      }
    } else if (absl::Status status =
                   CheckJsonFields(member, *field->message_type(), inner);
               !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

// Parse reads a number or a bool from text.
template <typename T>
bool Parse(absl::string_view text, T* value) {
  if constexpr (std::is_same_v<T, bool>) {
    return absl::SimpleAtob(text, value);
  } else if constexpr (std::is_same_v<T, float>) {
    return absl::SimpleAtof(text, value);
  } else if constexpr (std::is_same_v<T, double>) {
    return absl::SimpleAtod(text, value);
  } else {
    return absl::SimpleAtoi(text, value);
  }
}

// Store sets, or for a repeated field appends, a value.
template <typename T>
void Store(Message& message, const FieldDescriptor& field, T value,
           void (Reflection::*set)(Message*, const FieldDescriptor*, T) const,
           void (Reflection::*add)(Message*, const FieldDescriptor*, T) const) {
  const Reflection& reflection = *message.GetReflection();
  (reflection.*(field.is_repeated() ? add : set))(&message, &field, value);
}

// SetNumber parses text as T and stores it.
template <typename T>
absl::Status SetNumber(
    Message& message, const FieldDescriptor& field, absl::string_view name,
    absl::string_view text, absl::string_view expected,
    void (Reflection::*set)(Message*, const FieldDescriptor*, T) const,
    void (Reflection::*add)(Message*, const FieldDescriptor*, T) const) {
  T value;
  if (!Parse(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parameter ", name, ": ", QuoteValue(text), " is not ", expected));
  }
  Store(message, field, value, set, add);
  return absl::OkStatus();
}

// SetField sets (or, when repeated, appends) one scalar field from text.
absl::Status SetField(Message& message, const FieldDescriptor& field,
                      absl::string_view name, absl::string_view text) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (field.type() == FieldDescriptor::TYPE_STRING &&
          !simdjson::validate_utf8(text.data(), text.size())) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter ", name, " is not valid UTF-8"));
      }
      std::string value(text);
      if (field.type() == FieldDescriptor::TYPE_BYTES &&
          !absl::Base64Unescape(text, &value) &&
          !absl::WebSafeBase64Unescape(text, &value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter ", name, ": ", QuoteValue(text), " is not base64"));
      }
      const Reflection& reflection = *message.GetReflection();
      field.is_repeated() ? reflection.AddString(&message, &field, value)
                          : reflection.SetString(&message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return SetNumber<int32_t>(message, field, name, text, "a 32-bit integer",
                                &Reflection::SetInt32, &Reflection::AddInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return SetNumber<int64_t>(message, field, name, text, "a 64-bit integer",
                                &Reflection::SetInt64, &Reflection::AddInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return SetNumber<uint32_t>(
          message, field, name, text, "an unsigned 32-bit integer",
          &Reflection::SetUInt32, &Reflection::AddUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return SetNumber<uint64_t>(
          message, field, name, text, "an unsigned 64-bit integer",
          &Reflection::SetUInt64, &Reflection::AddUInt64);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return SetNumber<float>(message, field, name, text, "a number",
                              &Reflection::SetFloat, &Reflection::AddFloat);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return SetNumber<double>(message, field, name, text, "a number",
                               &Reflection::SetDouble, &Reflection::AddDouble);
    case FieldDescriptor::CPPTYPE_BOOL:
      return SetNumber<bool>(message, field, name, text, "true or false",
                             &Reflection::SetBool, &Reflection::AddBool);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* value =
          field.enum_type()->FindValueByName(std::string(text));
      int number;
      if (value == nullptr && absl::SimpleAtoi(text, &number))
        value = field.enum_type()->FindValueByNumber(number);
      if (value == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter ", name, ": ", QuoteValue(text),
                         " is not a value of ", field.enum_type()->name()));
      }
      Store(message, field, value, &Reflection::SetEnum, &Reflection::AddEnum);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "parameter ", name, " names a message; name one of its fields"));
}

// SetPath sets the field at a dotted path ("filter.event_names").
absl::Status SetPath(Message& message, absl::string_view path,
                     absl::string_view text) {
  Message* target = &message;
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        FindField(*target->GetDescriptor(), parts[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown parameter ", QuoteValue(path), " (",
                       message.GetDescriptor()->full_name(), ")"));
    }
    if (i + 1 == parts.size()) return SetField(*target, *field, path, text);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter ", QuoteValue(path), ": ", parts[i], " has no fields"));
    }
    target = target->GetReflection()->MutableMessage(target, field);
  }
  return absl::OkStatus();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// PercentDecode decodes %XX escapes, and '+' as a space when `plus_is_space`
// (query strings); INVALID_ARGUMENT on a malformed escape.
absl::StatusOr<std::string> PercentDecode(absl::string_view text,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else {
      const int high = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int low = high >= 0 ? HexDigit(text[i + 2]) : -1;
      if (low < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed percent escape in \"", text, "\""));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Message>> BuildRequest(const RouteMatch& match,
                                                      absl::string_view query,
                                                      absl::string_view body) {
  const Descriptor& type = *match.route->method->input_type();
  std::unique_ptr<Message> message(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(&type)
          ->New());
  if (match.route->body == "*" && !absl::StripAsciiWhitespace(body).empty()) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        std::string(body), message.get(), options);
    if (!parsed.ok()) {
      // The JSON parser's own message does not say which field or where:
      // look again for a refusal that does.
      simdjson::dom::parser parser;
      simdjson::dom::element json;
      if (parser.parse(body.data(), body.size()).get(json) !=
          simdjson::SUCCESS) {
        return absl::InvalidArgumentError("the body is not valid JSON");
      }
      if (!json.is_object()) {
        return absl::InvalidArgumentError("the body must be a JSON object");
      }
      if (absl::Status status = CheckJsonFields(json, type, ""); !status.ok())
        return status;
      return absl::InvalidArgumentError(
          absl::StrCat("the body does not fit ", type.full_name(), ": ",
                       std::string(parsed.message())));
    }
  } else if (!absl::StripAsciiWhitespace(body).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        match.route->http_method, " ", match.route->path, " takes no body"));
  }
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = PercentDecode(parts.first, true);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value = PercentDecode(parts.second, true);
    if (!value.ok()) return value.status();
    if (value->size() > kMaxParameterBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter ", QuoteValue(*name), " is ", value->size(),
          " bytes; a parameter may have at most ", kMaxParameterBytes));
    }
    if (match.path_fields.count(*name) > 0) continue;
    if (absl::Status status = SetPath(*message, *name, *value); !status.ok())
      return status;
  }
  for (const auto& [name, encoded] : match.path_fields) {
    absl::StatusOr<std::string> value = PercentDecode(encoded, false);
    if (!value.ok()) return value.status();
    const FieldDescriptor* field = type.FindFieldByName(name);
    message->GetReflection()->ClearField(message.get(), field);
    if (absl::Status status = SetField(*message, *field, name, *value);
        !status.ok()) {
      return status;
    }
  }
  return message;
}

std::string RenderResponse(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a valid message does not fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace chainsync::gateway
