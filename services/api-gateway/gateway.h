#pragma once

// The gateway's request path: match a route, check the caller's token and
// right, build the request message, call the backend with a deadline and the
// caller's identity and request id in metadata, and answer proto3 JSON — or
// a JSON error {code, message, details} with the HTTP status of its code.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_server.h"
#include "services/api-gateway/jwt.h"
#include "services/api-gateway/route_table.h"

namespace chainsync::gateway {

struct GatewayOptions {
  // gRPC addresses ("host:port") by service full name, for example
  // "chainsync.indexer.v1.IndexerService".
  std::map<std::string, std::string> backends;
  // The deadline of each backend call.
  absl::Duration request_timeout = absl::Seconds(10);
  // Verifies bearer tokens; without one, only public routes are served.
  std::shared_ptr<const JwtVerifier> verifier;
  metrics::Registry* registry = &metrics::DefaultRegistry();
};

class Gateway {
 public:
  // Create builds the route table from the descriptors of the backends'
  // services and opens a channel to each backend.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(
      GatewayOptions options);
  ~Gateway();

  // Handle answers one API request; it is the HTTP router's fallback.
  void Handle(HttpRequest request, HttpReply reply) const;

  const RouteTable& routes() const { return routes_; }

 private:
  struct Backend {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  struct Metrics;
  Gateway(GatewayOptions options, RouteTable routes);

  // Authorize returns the caller's identity (none for an anonymous caller of
  // a public route), or the status that refuses the request.
  absl::StatusOr<std::optional<Identity>> Authorize(
      const HttpRequest& request, const Route& route,
      const google::protobuf::Message& message) const;

  GatewayOptions options_;
  RouteTable routes_;
  std::map<std::string, Backend> backends_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace chainsync::gateway
