#pragma once

// The filters of the gateway's chain, in the order it runs them. Each is
// one concern of every request; backend_filters.h holds the last ones,
// which answer from a backend.

#include <memory>
#include <string>
#include <vector>

#include "libs/common/metrics/registry.h"
#include "services/api-gateway/filter.h"
#include "services/api-gateway/rate_limiter.h"
#include "services/api-gateway/response_cache.h"

namespace chainsync::gateway {

// The path the OpenAPI document of every route is served at.
inline constexpr char kOpenApiPath[] = "/api/openapi.json";

// Authenticator verifies an exchange's bearer token once, for every filter
// that asks who the caller is.
class Authenticator {
 public:
  // Without a verifier, every token is refused.
  explicit Authenticator(std::shared_ptr<const JwtVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  // Identify returns the caller of `exchange`: nullopt without a token,
  // UNAUTHENTICATED for a token that is malformed or does not verify.
  const absl::StatusOr<std::optional<Identity>>& Identify(
      Exchange& exchange) const;

 private:
  std::shared_ptr<const JwtVerifier> verifier_;
};

// CorsFilter lets pages of the allowed origins (or any, for "*") read the
// answers, and answers their browsers' preflight requests.
class CorsFilter final : public Filter {
 public:
  explicit CorsFilter(std::vector<std::string> origins)
      : origins_(std::move(origins)) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  std::vector<std::string> origins_;
};

// RateLimitFilter answers 429 with Retry-After to a caller over its rate:
// callers are told apart by their token's subject, or, without a valid
// token, by their address.
class RateLimitFilter final : public Filter {
 public:
  RateLimitFilter(RateLimiter& limiter, const Authenticator& authenticator)
      : limiter_(limiter), authenticator_(authenticator) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  RateLimiter& limiter_;
  const Authenticator& authenticator_;
};

// AuthenticateFilter refuses a token that does not verify (401), and
// records the caller of one that does.
class AuthenticateFilter final : public Filter {
 public:
  explicit AuthenticateFilter(const Authenticator& authenticator)
      : authenticator_(authenticator) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  const Authenticator& authenticator_;
};

// RouteFilter answers what has no route (404, 405 with Allow) and the
// OpenAPI document, and builds the RPC's request message from the path,
// the query, the body and, for event streams, Last-Event-ID.
class RouteFilter final : public Filter {
 public:
  RouteFilter(const RouteTable& routes, std::string openapi)
      : routes_(routes), openapi_(std::move(openapi)) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  const RouteTable& routes_;
  const std::string openapi_;
};

// AuthorizeFilter applies the route's access rule: public, any caller with
// a token, the account the request names, or admins.
class AuthorizeFilter final : public Filter {
 public:
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;
};

// CacheFilter answers a route with a cache rule from a kept answer while it
// is current, and keeps the answer the rest of the chain gives.
class CacheFilter final : public Filter {
 public:
  CacheFilter(ResponseCache& cache, metrics::Registry& registry);
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  ResponseCache& cache_;
  metrics::Family<metrics::Counter>& lookups_;
};

}  // namespace chainsync::gateway
