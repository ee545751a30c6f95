#pragma once

// The gateway: its routes, its backends, and the chain of filters every API
// request passes (filter.h) — CORS, rate limit, authenticate, route,
// authorize, cache — before a backend answers it as one call or a stream.
// Errors are JSON {code, message, details} with the HTTP status of their
// code.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "grpcpp/security/credentials.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_server.h"
#include "libs/common/server/readiness.h"
#include "services/api-gateway/backend_filters.h"
#include "services/api-gateway/filter.h"
#include "services/api-gateway/jwt.h"
#include "services/api-gateway/rate_limiter.h"
#include "services/api-gateway/realtime_hub.h"
#include "services/api-gateway/request_filters.h"
#include "services/api-gateway/response_cache.h"
#include "services/api-gateway/route_table.h"

namespace chainsync::gateway {

struct GatewayOptions {
  // gRPC addresses ("host:port") by service full name, for example
  // "chainsync.indexer.v1.IndexerService".
  std::map<std::string, std::string> backends;
  // How the gateway dials them: its certificate under mutual TLS.
  std::shared_ptr<grpc::ChannelCredentials> backend_credentials =
      grpc::InsecureChannelCredentials();
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
  // Times every request.
  Clock* clock = &SystemClock();
};

// RequestFilters are the filters every API request passes ahead of the
// backend filters, in their order: CORS, rate limit, authenticate, route,
// authorize and, with a cache, cache. Every route passes each of them.
struct RequestFilters {
  const std::vector<std::string>& cors_origins;
  RateLimiter& limiter;
  const Authenticator& authenticator;
  const RouteTable& routes;
  std::string openapi;
  ResponseCache* cache = nullptr;
  metrics::Registry& registry;

  std::vector<std::unique_ptr<Filter>> Make() const;
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

  // BackendStates says how each backend's channel stands, for /readyz (and
  // the gateway_backend_up gauge). A backend that is down does not make
  // the gateway unready: it still serves the other backends' routes, and
  // a load balancer that took it out would take them down too.
  std::vector<DependencyState> BackendStates() const;

  const RouteTable& routes() const { return routes_; }

 private:
  class ConnectionExchange;
  struct Metrics;
  Gateway(GatewayOptions options, RouteTable routes);

  GatewayOptions options_;
  RouteTable routes_;
  std::map<std::string, BackendCall> backends_;
  // Keeps answers of cacheable routes; null when disabled or without an
  // indexer backend. Declared before the hub, which tells it of events.
  std::unique_ptr<ResponseCache> cache_;
  // Serves the streaming routes; null without an indexer backend.
  std::unique_ptr<RealtimeHub> realtime_;
  std::unique_ptr<Metrics> metrics_;
  RateLimiter limiter_;
  Authenticator authenticator_;
  // Built last, from the members above.
  std::unique_ptr<FilterChain> chain_;
};

}  // namespace chainsync::gateway
