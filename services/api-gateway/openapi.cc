#include "services/api-gateway/openapi.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging/log.h"

namespace chainsync::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Quoted(absl::string_view text) {
  std::string out;
  log::AppendJsonString(&out, text);
  return out;
}

std::string Ref(const Descriptor& type) {
  return absl::StrCat(R"({"$ref":"#/components/schemas/)", type.full_name(),
                      R"("})");
}

// Schemas collects the schema of each message a route uses.
class Schemas {
 public:
  Schemas() {
    schemas_["Error"] =
        R"({"type":"object","properties":{"code":{"type":"integer"},)"
        R"("status":{"type":"string"},)"
        R"("message":{"type":"string"},"details":{"type":"array","items":{}}}})";
  }

  // Use returns a reference to `type`'s schema, adding it (and the messages
  // it holds) when new.
  std::string Use(const Descriptor& type) {
    if (const std::string known = WellKnown(type); !known.empty()) return known;
    if (schemas_.count(type.full_name()) == 0) {
      schemas_[type.full_name()] = "";  // claimed first: types may recurse
      std::vector<std::string> properties;
      for (int i = 0; i < type.field_count(); ++i) {
        const FieldDescriptor& field = *type.field(i);
        properties.push_back(
            absl::StrCat(Quoted(field.json_name()), ":", Field(field)));
      }
      schemas_[type.full_name()] =
          absl::StrCat(R"({"type":"object","properties":{)",
                       absl::StrJoin(properties, ","), "}}");
    }
    return Ref(type);
  }

  // Scalar is the schema of one value of a field's type.
  std::string Scalar(const FieldDescriptor& field) {
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_UINT32:
        return R"({"type":"integer"})";
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        // proto3 JSON writes 64-bit integers as strings.
        return R"({"type":"string","format":"int64"})";
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return R"({"type":"number"})";
      case FieldDescriptor::CPPTYPE_BOOL:
        return R"({"type":"boolean"})";
      case FieldDescriptor::CPPTYPE_STRING:
        return field.type() == FieldDescriptor::TYPE_BYTES
                   ? R"({"type":"string","format":"byte"})"
                   : R"({"type":"string"})";
      case FieldDescriptor::CPPTYPE_ENUM: {
        std::vector<std::string> names;
        for (int i = 0; i < field.enum_type()->value_count(); ++i)
          names.push_back(Quoted(field.enum_type()->value(i)->name()));
        return absl::StrCat(R"({"type":"string","enum":[)",
                            absl::StrJoin(names, ","), "]}");
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Use(*field.message_type());
    }
    return "{}";
  }

  std::string Field(const FieldDescriptor& field) {
    if (field.is_map()) {
      return absl::StrCat(R"({"type":"object","additionalProperties":)",
                          Scalar(*field.message_type()->map_value()), "}");
    }
    if (field.is_repeated()) {
      return absl::StrCat(R"({"type":"array","items":)", Scalar(field), "}");
    }
    return Scalar(field);
  }

  std::string Render() const {
    std::vector<std::string> entries;
    for (const auto& [name, schema] : schemas_)
      entries.push_back(absl::StrCat(Quoted(name), ":", schema));
    return absl::StrJoin(entries, ",");
  }

 private:
  // The JSON forms the proto3 mapping gives well-known types.
  static std::string WellKnown(const Descriptor& type) {
    const std::string& name = type.full_name();
    if (name == "google.protobuf.Timestamp")
      return R"({"type":"string","format":"date-time"})";
    if (name == "google.protobuf.Duration")
      return R"({"type":"string","example":"1.5s"})";
    if (name == "google.protobuf.Struct") return R"({"type":"object"})";
    if (name == "google.protobuf.Value") return "{}";
    if (name == "google.protobuf.Empty") return R"({"type":"object"})";
    // proto3 JSON writes a FieldMask as its paths, comma-separated.
    if (name == "google.protobuf.FieldMask")
      return R"({"type":"string","example":"interval,users_per_batch"})";
    return "";
  }

  std::map<std::string, std::string> schemas_;
};

// Summary is a method's name in words: GetUserSyncStatus is "Get user
// sync status".
std::string Summary(absl::string_view method) {
  std::string words;
  for (const char c : method) {
    if (absl::ascii_isupper(c) && !words.empty()) {
      words.push_back(' ');
      words.push_back(absl::ascii_tolower(c));
    } else {
      words.push_back(c);
    }
  }
  return words;
}

// The errors every operation may answer, in components.responses: the
// rate limit covers every route, and a bearer token that comes must be
// valid even where none is needed.
constexpr char kErrorResponses[] =
    R"("responses":{)"
    R"("BadRequest":{"description":"Bad Request: a parameter or the body is invalid; the message names it",)"
    R"("content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},)"
    R"("Unauthenticated":{"description":"Unauthorized: the bearer token is missing where required, or invalid",)"
    R"("content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},)"
    R"("Forbidden":{"description":"Forbidden: the token's account or role may not do this",)"
    R"("content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},)"
    R"("TooManyRequests":{"description":"Too Many Requests: over the caller's rate; Retry-After says when to come back",)"
    R"("content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}})";

std::string ErrorResponse(absl::string_view code, absl::string_view name) {
  return absl::StrCat(R"(,")", code, R"(":{"$ref":"#/components/responses/)",
                      name, R"("})");
}

// Operation renders one route; `operation_id` is unique in the document.
std::string Operation(const Route& route, const std::string& operation_id,
                      Schemas& schemas) {
  const Descriptor& input = *route.method->input_type();
  std::vector<std::string> parameters;
  std::set<std::string> in_path;
  for (absl::string_view segment : route.segments) {
    if (!absl::StartsWith(segment, "{")) continue;
    const std::string name(segment.substr(1, segment.size() - 2));
    in_path.insert(name);
    parameters.push_back(absl::StrCat(
        R"({"name":)", Quoted(name), R"(,"in":"path","required":true,)",
        R"("schema":)", schemas.Field(*input.FindFieldByName(name)), "}"));
  }
  if (route.body.empty()) {
    // Without a body, every other top-level scalar is a query parameter.
    for (int i = 0; i < input.field_count(); ++i) {
      const FieldDescriptor& field = *input.field(i);
      if (in_path.count(field.name()) > 0) continue;
      if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        parameters.push_back(absl::StrCat(
            R"({"name":)", Quoted(field.json_name()), R"(,"in":"query",)",
            R"("schema":)", schemas.Field(field), "}"));
        continue;
      }
      // A message's own fields are parameters with a dotted name
      // (filter.accountAddresses), as the gateway reads them.
      const Descriptor& inner = *field.message_type();
      if (field.is_repeated() || inner.file()->package() == "google.protobuf")
        continue;
      for (int j = 0; j < inner.field_count(); ++j) {
        const FieldDescriptor& member = *inner.field(j);
        if (member.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
        parameters.push_back(absl::StrCat(
            R"({"name":)",
            Quoted(absl::StrCat(field.json_name(), ".", member.json_name())),
            R"(,"in":"query","schema":)", schemas.Field(member), "}"));
      }
    }
  }
  std::string operation =
      absl::StrCat(R"({"operationId":)", Quoted(operation_id), R"(,"summary":)",
                   Quoted(Summary(route.method->name())), R"(,"tags":[)",
                   Quoted(route.method->service()->name()), "]",
                   R"(,"parameters":[)", absl::StrJoin(parameters, ","), "]");
  if (!route.body.empty()) {
    absl::StrAppend(
        &operation,
        R"(,"requestBody":{"required":true,"content":{"application/json":{"schema":)",
        schemas.Use(input), "}}}");
  }
  std::string answer;
  if (route.streaming) {
    // The gateway sends the `event` of each stream message (docs/realtime.md).
    const google::protobuf::FieldDescriptor* event =
        route.method->output_type()->FindFieldByName("event");
    const google::protobuf::Descriptor& data =
        event != nullptr && event->message_type() != nullptr
            ? *event->message_type()
            : *route.method->output_type();
    schemas.Use(data);
    answer =
        route.path == kWebSocketPath
            ? std::string(
                  R"json("101":{"description":"Switching Protocols: a WebSocket taking chainsync.gateway.v1.ClientMessage JSON messages and sending the events, see docs/realtime.md"},"426":{"description":"Upgrade Required: the request did not ask for a WebSocket"})json")
            : absl::StrCat(
                  R"("200":{"description":"Server-Sent Events: the id of each is its sequence, the data one Event","content":{"text/event-stream":{"schema":)",
                  schemas.Use(data), "}}}");
  } else {
    answer = absl::StrCat(
        R"("200":{"description":"OK","content":{"application/json":{"schema":)",
        schemas.Use(*route.method->output_type()), "}}}");
  }
  const bool is_public = route.access.access() == api::v1::ACCESS_PUBLIC;
  absl::StrAppend(&operation, R"(,"responses":{)", answer);
  if (!parameters.empty() || !route.body.empty()) {
    absl::StrAppend(&operation, ErrorResponse("400", "BadRequest"));
  }
  absl::StrAppend(&operation, ErrorResponse("401", "Unauthenticated"));
  if (!is_public)
    absl::StrAppend(&operation, ErrorResponse("403", "Forbidden"));
  absl::StrAppend(
      &operation, ErrorResponse("429", "TooManyRequests"),
      R"(,"default":{"description":"Another error","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}})");
  // A public route takes a token too (`{}` or a bearer): one that comes is
  // checked.
  absl::StrAppend(&operation, R"(,"security":)",
                  is_public ? R"([{},{"bearer":[]}])" : R"([{"bearer":[]}])");
  absl::StrAppend(&operation, "}");
  return operation;
}

}  // namespace

std::string OpenApiDocument(const RouteTable& routes) {
  Schemas schemas;
  // Paths in order, each with its operations.
  std::map<std::string, std::vector<std::string>> paths;
  std::map<std::string, int> bindings;
  for (const Route& route : routes.routes()) {
    std::string method = route.http_method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    // A method served on several paths is one operation per path, each
    // with an id of its own: Service.Method, then Service.Method_2, ...
    std::string id = absl::StrCat(route.method->service()->name(), ".",
                                  route.method->name());
    if (const int seen = ++bindings[id]; seen > 1) {
      absl::StrAppend(&id, "_", seen);
    }
    paths[route.path].push_back(
        absl::StrCat(Quoted(method), ":", Operation(route, id, schemas)));
  }
  std::vector<std::string> rendered;
  for (const auto& [path, operations] : paths) {
    rendered.push_back(
        absl::StrCat(Quoted(path), ":{", absl::StrJoin(operations, ","), "}"));
  }
  return absl::StrCat(
      R"({"openapi":"3.0.3","info":{"title":"chainsync API","version":"v1"},)",
      R"("servers":[{"url":"/"}],)", R"("paths":{)",
      absl::StrJoin(rendered, ","), "},",
      R"("components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}},)",
      kErrorResponses, R"(,"schemas":{)", schemas.Render(), "}}}");
}

}  // namespace chainsync::gateway
