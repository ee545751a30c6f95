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
#include "services/api-gateway/rate_limiter.h"
#include "services/api-gateway/realtime_hub.h"
#include "services/api-gateway/response_cache.h"
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
  // Requests a second per caller (token subject, or client address), in
  // bursts of up to rate_burst; more are answered 429 with Retry-After.
  double rate_limit = 50;
  double rate_burst = 100;
  // Origins whose pages may call the API ("*" for any).
  std::vector<std::string> cors_origins;
  // The realtime streams of the indexer's Subscribe.
  RealtimeOptions realtime;
  // Answers of routes with a CacheRule kept at once; 0 keeps none.
  size_t cache_entries = 100'000;
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

  // Authenticate verifies the bearer token, when there is one.
  absl::StatusOr<std::optional<Identity>> Authenticate(
      const HttpRequest& request) const;
  // Permit applies the route's access rule to the caller and the request.
  absl::Status Permit(const Route& route,
                      const std::optional<Identity>& identity,
                      const google::protobuf::Message& message) const;
  // CorsHeaders are the headers that let a browser page of an allowed origin
  // read the answer; none for other origins.
  std::vector<std::pair<std::string, std::string>> CorsHeaders(
      const HttpRequest& request) const;

  GatewayOptions options_;
  RouteTable routes_;
  // The OpenAPI document of the routes, served at /api/openapi.json.
  std::string openapi_;
  std::map<std::string, Backend> backends_;
  // Keeps answers of cacheable routes; null when disabled or without an
  // indexer backend. Declared before the hub, which tells it of events.
  std::unique_ptr<ResponseCache> cache_;
  // Serves the streaming routes; null without an indexer backend.
  std::unique_ptr<RealtimeHub> realtime_;
  std::unique_ptr<Metrics> metrics_;
  // Mutable: taking a request from a bucket is not a change of the
  // gateway's configuration.
  mutable RateLimiter limiter_;
};

}  // namespace chainsync::gateway
