#include "services/api-gateway/request_filters.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "libs/common/status.h"
#include "services/api-gateway/transcoder.h"

namespace chainsync::gateway {
namespace {

// ResumeFromLastEventId takes the position an EventSource sends when it
// reconnects: Last-Event-ID, the id of the last event it received.
absl::Status ResumeFromLastEventId(const HttpRequest& request,
                                   google::protobuf::Message& message) {
  const absl::string_view last_event_id = request.Header("last-event-id");
  if (last_event_id.empty()) return absl::OkStatus();
  auto* subscribe = dynamic_cast<indexer::v1::SubscribeRequest*>(&message);
  if (subscribe == nullptr) return absl::OkStatus();
  uint64_t sequence = 0;
  if (!absl::SimpleAtoi(last_event_id, &sequence)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Last-Event-ID ", QuoteValue(last_event_id),
                     " is not an event sequence"));
  }
  subscribe->set_after_sequence(sequence);
  return absl::OkStatus();
}

// Permit applies an access rule to the caller of a request.
absl::Status Permit(const api::v1::AccessRule& rule,
                    const std::optional<Identity>& caller,
                    const google::protobuf::Message& message) {
  if (rule.access() == api::v1::ACCESS_PUBLIC) return absl::OkStatus();
  if (!caller.has_value()) {
    return absl::UnauthenticatedError("this route needs a bearer token");
  }
  switch (rule.access()) {
    case api::v1::ACCESS_AUTHENTICATED:
      return absl::OkStatus();
    case api::v1::ACCESS_ADMIN:
      return caller->admin ? absl::OkStatus()
                           : absl::PermissionDeniedError(
                                 "this route needs the admin role");
    case api::v1::ACCESS_OWNER: {
      if (caller->admin) return absl::OkStatus();
      const google::protobuf::FieldDescriptor* field =
          message.GetDescriptor()->FindFieldByName(rule.owner_field());
      const std::string owner =
          message.GetReflection()->GetString(message, field);
      if (owner.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(rule.owner_field(), " is required"));
      }
      if (!absl::EqualsIgnoreCase(owner, caller->subject)) {
        return absl::PermissionDeniedError(
            absl::StrCat("the token is for ", caller->subject, ", not for ",
                         rule.owner_field(), " ", owner));
      }
      return absl::OkStatus();
    }
    default:
      // The route table refuses routes without a rule; one that slipped
      // through serves nobody.
      return absl::PermissionDeniedError("this route has no access rule");
  }
}

}  // namespace

const absl::StatusOr<std::optional<Identity>>& Authenticator::Identify(
    Exchange& exchange) const {
  if (exchange.identity.has_value()) return *exchange.identity;
  const absl::string_view header = exchange.request.Header("authorization");
  absl::string_view token = header;
  if (header.empty()) {
    exchange.identity = std::optional<Identity>();
  } else if (token.size() < 7 ||
             !absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ") ||
             (token.remove_prefix(7), token.empty())) {
    exchange.identity = absl::UnauthenticatedError(
        "the Authorization header is not \"Bearer <token>\"");
  } else if (verifier_ == nullptr) {
    exchange.identity = absl::UnauthenticatedError(
        "this gateway is configured to accept no tokens");
  } else if (absl::StatusOr<Identity> identity = verifier_->Verify(token);
             identity.ok()) {
    exchange.identity = std::optional<Identity>(*std::move(identity));
  } else {
    exchange.identity = identity.status();
  }
  return *exchange.identity;
}

void CorsFilter::Handle(std::shared_ptr<Exchange> exchange, Next next) const {
  const HttpRequest& request = exchange->request;
  const absl::string_view origin = request.Header("origin");
  const bool allowed = !origin.empty() &&
                       std::any_of(origins_.begin(), origins_.end(),
                                   [&](const std::string& allowed) {
                                     return allowed == "*" || allowed == origin;
                                   });
  if (allowed) {
    exchange->headers.insert(
        exchange->headers.end(),
        {{"access-control-allow-origin", std::string(origin)},
         {"vary", "Origin"},
         {"access-control-expose-headers", "x-request-id, retry-after"}});
  }
  // A browser's preflight: which methods and headers the API takes.
  if (request.method == "OPTIONS" &&
      !request.Header("access-control-request-method").empty()) {
    if (!allowed) {
      exchange->Fail(absl::PermissionDeniedError(
          absl::StrCat("origin \"", origin, "\" may not call this API")));
      return;
    }
    HttpResponse response{.status = 204};
    response.headers = {
        {"access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE"},
        {"access-control-allow-headers",
         "authorization, content-type, x-request-id, last-event-id"},
        {"access-control-max-age", "600"}};
    exchange->Answer(std::move(response));
    return;
  }
  next(std::move(exchange));
}

void RateLimitFilter::Handle(std::shared_ptr<Exchange> exchange,
                             Next next) const {
  const absl::StatusOr<std::optional<Identity>>& identity =
      authenticator_.Identify(*exchange);
  // Callers are limited by who they are, or, until they say, where from.
  const std::string caller =
      identity.ok() && identity->has_value()
          ? absl::StrCat("sub:", (*identity)->subject)
          : absl::StrCat("addr:", exchange->request.remote_address);
  if (const absl::Duration wait = limiter_.TryTake(caller);
      wait > absl::ZeroDuration()) {
    exchange->Fail(absl::ResourceExhaustedError("too many requests; slow down"),
                   wait);
    return;
  }
  next(std::move(exchange));
}

void AuthenticateFilter::Handle(std::shared_ptr<Exchange> exchange,
                                Next next) const {
  if (const absl::StatusOr<std::optional<Identity>>& identity =
          authenticator_.Identify(*exchange);
      !identity.ok()) {
    exchange->Fail(identity.status());
    return;
  }
  next(std::move(exchange));
}

void RouteFilter::Handle(std::shared_ptr<Exchange> exchange, Next next) const {
  const HttpRequest& request = exchange->request;
  if (request.method == "GET" && request.path == kOpenApiPath) {
    exchange->Answer(HttpResponse::Json(200, openapi_));
    return;
  }
  if (!exchange->match.ok()) {
    if (absl::IsFailedPrecondition(exchange->match.status())) {
      HttpResponse response =
          HttpResponse::Error(405, absl::StatusCode::kUnimplemented,
                              exchange->match.status().message());
      response.headers.emplace_back(
          "allow", absl::StrJoin(routes_.AllowedMethods(request.path), ", "));
      exchange->Answer(std::move(response));
    } else {
      exchange->Fail(exchange->match.status());
    }
    return;
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> message =
      BuildRequest(*exchange->match, request.query, request.body);
  if (!message.ok()) {
    exchange->Fail(message.status());
    return;
  }
  if (exchange->route().streaming) {
    if (absl::Status resumed = ResumeFromLastEventId(request, **message);
        !resumed.ok()) {
      exchange->Fail(resumed);
      return;
    }
  }
  exchange->message = *std::move(message);
  next(std::move(exchange));
}

void AuthorizeFilter::Handle(std::shared_ptr<Exchange> exchange,
                             Next next) const {
  if (absl::Status permitted = Permit(exchange->route().access,
                                      exchange->caller(), *exchange->message);
      !permitted.ok()) {
    exchange->Fail(permitted);
    return;
  }
  next(std::move(exchange));
}

CacheFilter::CacheFilter(ResponseCache& cache, metrics::Registry& registry)
    : cache_(cache),
      lookups_(registry.AddCounter(
          "http_cache_lookups_total",
          "Lookups of kept answers by route and result (hit, miss).",
          {"route", "result"})) {}

void CacheFilter::Handle(std::shared_ptr<Exchange> exchange, Next next) const {
  const Route& route = exchange->route();
  if (route.cache_account_field.empty()) {
    next(std::move(exchange));
    return;
  }
  const google::protobuf::Message& message = *exchange->message;
  std::string account = message.GetReflection()->GetString(
      message,
      message.GetDescriptor()->FindFieldByName(route.cache_account_field));
  std::string key =
      absl::StrCat(route.grpc_path, "\n", message.SerializeAsString());
  std::optional<std::string> kept = cache_.Find(key);
  lookups_.WithLabels({route.path, kept ? "hit" : "miss"}).Increment();
  if (kept.has_value()) {
    exchange->Answer(HttpResponse::Json(200, *std::move(kept)));
    return;
  }
  // No ticket while answers are not kept (the cache cannot tell when they
  // go stale).
  const std::optional<ResponseCache::Ticket> ticket = cache_.Begin(account);
  if (!ticket.has_value()) {
    next(std::move(exchange));
    return;
  }
  exchange->on_success.push_back(
      [this, key = std::move(key), account = std::move(account),
       ticket = *ticket](const HttpResponse& response) {
        cache_.Keep(key, account, ticket, response.body);
      });
  next(std::move(exchange));
}

}  // namespace chainsync::gateway
