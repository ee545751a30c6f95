#pragma once

// HTTP ↔ proto: a request's path fields, query parameters and JSON body
// become the RPC's request message; the response message becomes proto3
// JSON. Every refusal is INVALID_ARGUMENT naming what is wrong.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/api-gateway/route_table.h"

namespace chainsync::gateway {

// kMaxParameterBytes bounds a query parameter's value: a longer one is
// refused here rather than sent to a backend. The longest values the API
// takes (addresses, hashes, page tokens, filters' lists one value at a time)
// are far shorter.
inline constexpr size_t kMaxParameterBytes = 1024;

// BuildRequest makes the request message of `match`'s RPC:
// - the JSON body, when the route takes one ("*"), in the proto3 JSON
//   mapping; unknown fields are refused;
// - query parameters, by field name or lowerCamelCase JSON name, with dots
//   into nested messages and repeats for repeated fields, each value at
//   most kMaxParameterBytes;
// - path fields, which win over both.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const RouteMatch& match, absl::string_view query, absl::string_view body);

// RenderResponse renders a message as proto3 JSON with default values
// emitted: 64-bit integers as strings, enums by name.
std::string RenderResponse(const google::protobuf::Message& message);

}  // namespace chainsync::gateway
