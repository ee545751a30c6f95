#pragma once

// The gateway's routes, read from the `chainsync.api.v1.http` and `access`
// options of the backends' RPCs: a new endpoint is a new annotation, not new
// gateway code.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chainsync/api/v1/annotations.pb.h"
#include "google/protobuf/descriptor.h"

namespace chainsync::gateway {

// The binding of the indexer's Subscribe served as WebSocket; its other
// bindings are Server-Sent Events.
inline constexpr char kWebSocketPath[] = "/api/realtime/ws";

// Route is one HTTP binding of an RPC.
struct Route {
  std::string http_method;  // "GET"
  // The path template, for example "/api/realtime/disputes/{dispute_id}".
  std::string path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // "*" when the JSON body is the whole request message; empty without one.
  std::string body;
  api::v1::AccessRule access;
  // The template's segments between slashes, split once for matching.
  std::vector<std::string> segments;
  // Whether the RPC streams its responses (served as SSE or WebSocket, not
  // as one JSON answer).
  bool streaming = false;
  // The request field whose account's events make a kept answer stale;
  // empty when answers are not kept (see api.v1.CacheRule).
  std::string cache_account_field;

  // The gRPC method path, "/chainsync.indexer.v1.IndexerService/GetBalances",
  // made once for every call.
  std::string grpc_path;
};

// RouteMatch is a route with the values of its path's {fields}.
struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> path_fields;
};

class RouteTable {
 public:
  // FromServices reads the routes of every annotated method of `services`.
  // A method without an access rule, a template that does not parse, or
  // two routes on one method and path are INVALID_ARGUMENT naming the
  // method: a table with holes never serves.
  static absl::StatusOr<RouteTable> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // Match finds the route of a request: NOT_FOUND for a path no route has,
  // FAILED_PRECONDITION (answered 405) for a path served for other methods.
  absl::StatusOr<RouteMatch> Match(absl::string_view http_method,
                                   absl::string_view path) const;

  // AllowedMethods are the methods served on a path (for a 405's Allow).
  std::vector<std::string> AllowedMethods(absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  // MatchPath matches a path's segments to a route's template.
  static std::optional<RouteMatch> MatchPath(
      const Route& route, const std::vector<absl::string_view>& segments);

  std::vector<Route> routes_;
};

}  // namespace chainsync::gateway
