#include "services/api-gateway/gateway.h"

#include <optional>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/grpc_status.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"
#include "services/api-gateway/openapi.h"
#include "services/api-gateway/transcoder.h"

namespace chainsync::gateway {
namespace {

// RequestId keeps a caller's X-Request-Id when it is a sane token, so that a
// request can be followed across systems; otherwise it makes one.
std::string RequestId(const HttpRequest& request) {
  const absl::string_view given = request.Header("x-request-id");
  bool sane = !given.empty() && given.size() <= 64;
  for (char c : given) {
    sane = sane && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  }
  if (sane) return std::string(given);
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad16));
}

constexpr char kOpenApiPath[] = "/api/openapi.json";
// The binding of Subscribe that is served as WebSocket; its others are
// Server-Sent Events.
constexpr char kWebSocketPath[] = "/api/realtime/ws";

// ResumeFromLastEventId takes the position an EventSource sends when it
// reconnects: Last-Event-ID, the id of the last event it received.
absl::Status ResumeFromLastEventId(const HttpRequest& request,
                                   indexer::v1::SubscribeRequest& subscribe) {
  const absl::string_view last_event_id = request.Header("last-event-id");
  if (last_event_id.empty()) return absl::OkStatus();
  uint64_t sequence = 0;
  if (!absl::SimpleAtoi(last_event_id, &sequence)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Last-Event-ID \"", last_event_id, "\" is not an event sequence"));
  }
  subscribe.set_after_sequence(sequence);
  return absl::OkStatus();
}

// Callers whose rate-limit buckets are kept at once, before idle ones go.
constexpr size_t kMaxRateLimitedCallers = 100'000;

}  // namespace

struct Gateway::Metrics {
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& duration;
  metrics::Family<metrics::Counter>& cache;

  explicit Metrics(metrics::Registry& registry)
      : requests(registry.AddCounter(
            "http_requests_total",
            "API requests by route (its template), method and status code.",
            {"route", "method", "code"})),
        duration(registry.AddHistogram(
            "http_request_duration_seconds",
            "API requests from arrival to the last byte handed over, by route.",
            {"route"}, metrics::LatencyBuckets())),
        cache(registry.AddCounter(
            "http_cache_lookups_total",
            "Lookups of kept answers by route and result (hit, miss).",
            {"route", "result"})) {}
};

Gateway::Gateway(GatewayOptions options, RouteTable routes)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      openapi_(OpenApiDocument(routes_)),
      metrics_(std::make_unique<Metrics>(*options_.registry)),
      limiter_(options_.rate_limit, options_.rate_burst,
               kMaxRateLimitedCallers) {}

Gateway::~Gateway() = default;

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(
    GatewayOptions options) {
  // The services of the backends' files; naming a message of each file
  // links its generated code, which registers the file's descriptors.
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* file :
       {indexer::v1::GetSyncStatusRequest::descriptor()->file(),
        oracle::v1::RegisterBitcoinAddressRequest::descriptor()->file(),
        reconciler::v1::GetHealthReportRequest::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  absl::StatusOr<RouteTable> routes = RouteTable::FromServices(services);
  if (!routes.ok()) return routes.status();
  // Only the indexer's event stream tells when a kept answer is stale.
  for (const Route& route : routes->routes()) {
    if (!route.cache_account_field.empty() &&
        route.method->service()->full_name() !=
            indexer::v1::IndexerService::service_full_name()) {
      return absl::InvalidArgumentError(
          absl::StrCat(route.method->full_name(),
                       ": only indexer RPCs may have a cache rule"));
    }
  }
  std::unique_ptr<Gateway> gateway(
      new Gateway(std::move(options), *std::move(routes)));
  // A backend that is down is dialled again at least every second (gRPC's
  // default backoff grows to two minutes), so that it is reached soon after
  // it returns.
  grpc::ChannelArguments channel_arguments;
  channel_arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  for (const auto& [service, address] : gateway->options_.backends) {
    Backend backend;
    backend.channel = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), channel_arguments);
    backend.stub = std::make_unique<grpc::GenericStub>(backend.channel);
    if (service == indexer::v1::IndexerService::service_full_name()) {
      if (gateway->options_.cache_entries > 0) {
        gateway->cache_ =
            std::make_unique<ResponseCache>(gateway->options_.cache_entries);
      }
      gateway->realtime_ = RealtimeHub::Start(
          backend.channel, gateway->options_.realtime,
          *gateway->options_.registry, gateway->cache_.get());
    }
    gateway->backends_.emplace(service, std::move(backend));
  }
  return gateway;
}

absl::StatusOr<std::optional<Identity>> Gateway::Authenticate(
    const HttpRequest& request) const {
  const absl::string_view header = request.Header("authorization");
  if (header.empty()) return std::nullopt;
  absl::string_view token = header;
  if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
    return absl::UnauthenticatedError(
        "the Authorization header is not \"Bearer <token>\"");
  }
  if (options_.verifier == nullptr) {
    return absl::UnauthenticatedError(
        "this gateway is configured to accept no tokens");
  }
  absl::StatusOr<Identity> identity = options_.verifier->Verify(token);
  if (!identity.ok()) return identity.status();
  return *std::move(identity);
}

absl::Status Gateway::Permit(const Route& route,
                             const std::optional<Identity>& identity,
                             const google::protobuf::Message& message) const {
  const api::v1::Access access = route.access.access();
  if (access == api::v1::ACCESS_PUBLIC) return absl::OkStatus();
  if (!identity.has_value()) {
    return absl::UnauthenticatedError("this route needs a bearer token");
  }
  if (identity->admin || access == api::v1::ACCESS_AUTHENTICATED) {
    return absl::OkStatus();
  }
  if (access == api::v1::ACCESS_ADMIN) {
    return absl::PermissionDeniedError("this route needs the admin role");
  }
  const google::protobuf::FieldDescriptor* field =
      message.GetDescriptor()->FindFieldByName(route.access.owner_field());
  const std::string owner = message.GetReflection()->GetString(message, field);
  if (owner.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(route.access.owner_field(), " is required"));
  }
  if (!absl::EqualsIgnoreCase(owner, identity->subject)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token is for ", identity->subject, ", not for ",
                     route.access.owner_field(), " ", owner));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> Gateway::CorsHeaders(
    const HttpRequest& request) const {
  const absl::string_view origin = request.Header("origin");
  if (origin.empty()) return {};
  const bool allowed =
      std::any_of(options_.cors_origins.begin(), options_.cors_origins.end(),
                  [&](const std::string& allowed) {
                    return allowed == "*" || allowed == origin;
                  });
  if (!allowed) return {};
  return {{"access-control-allow-origin", std::string(origin)},
          {"vary", "Origin"},
          {"access-control-expose-headers", "x-request-id, retry-after"}};
}

void Gateway::Handle(HttpRequest request, HttpReply reply) const {
  const absl::Time start = absl::Now();
  const std::string request_id = RequestId(request);
  absl::StatusOr<RouteMatch> match =
      routes_.Match(request.method, request.path);
  const std::string route_label = match.ok() ? match->route->path
                                  : request.path == kOpenApiPath
                                      ? std::string(kOpenApiPath)
                                      : std::string("unmatched");
  const std::vector<std::pair<std::string, std::string>> cors =
      CorsHeaders(request);
  // Record counts and logs the answer's status.
  auto record = [this, start, request_id, route_label,
                 method = request.method](int status) {
    metrics_->requests.WithLabels({route_label, method, absl::StrCat(status)})
        .Increment();
    metrics_->duration.WithLabels({route_label})
        .Observe(absl::ToDoubleSeconds(absl::Now() - start));
    // Successes are counted in the metrics; refusals and failures are
    // worth a line each.
    const log::Level level = status >= 500   ? log::Level::kWarning
                             : status >= 400 ? log::Level::kInfo
                                             : log::Level::kDebug;
    log::Write(level, "request",
               {{"request_id", request_id},
                {"method", method},
                {"route", route_label},
                {"status", status},
                {"seconds", absl::Now() - start}});
  };
  // Answer sends the response with the request id and CORS headers, and
  // records it.
  auto answer = [record, request_id, cors](HttpReply reply,
                                           HttpResponse response) {
    response.headers.emplace_back("x-request-id", request_id);
    response.headers.insert(response.headers.end(), cors.begin(), cors.end());
    record(response.status);
    std::move(reply).Send(std::move(response));
  };
  auto fail = [answer](HttpReply reply, const absl::Status& status,
                       absl::Duration retry_after = absl::ZeroDuration()) {
    HttpResponse response =
        HttpResponse::Error(HttpStatusFromCode(status.code()),
                            StatusCodeName(status.code()), status.message());
    if (status.code() == absl::StatusCode::kUnauthenticated) {
      std::string challenge = "Bearer realm=\"chainsync\"";
      if (!absl::StrContains(status.message(), "needs a bearer token")) {
        absl::StrAppend(&challenge, ", error=\"invalid_token\"");
      }
      response.headers.emplace_back("www-authenticate", challenge);
    }
    if (retry_after > absl::ZeroDuration()) {
      response.headers.emplace_back(
          "retry-after", absl::StrCat(absl::ToInt64Seconds(
                             absl::Ceil(retry_after, absl::Seconds(1)))));
    }
    answer(std::move(reply), std::move(response));
  };

  // A browser's preflight: which methods and headers the API takes.
  if (request.method == "OPTIONS" &&
      !request.Header("access-control-request-method").empty()) {
    if (cors.empty()) {
      fail(std::move(reply), absl::PermissionDeniedError(absl::StrCat(
                                 "origin \"", request.Header("origin"),
                                 "\" may not call this API")));
      return;
    }
    HttpResponse response{.status = 204};
    response.headers = {
        {"access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE"},
        {"access-control-allow-headers",
         "authorization, content-type, x-request-id, last-event-id"},
        {"access-control-max-age", "600"}};
    answer(std::move(reply), std::move(response));
    return;
  }

  absl::StatusOr<std::optional<Identity>> identity = Authenticate(request);
  // Callers are limited by who they are, or, until they say, where from.
  const std::string caller =
      identity.ok() && identity->has_value()
          ? absl::StrCat("sub:", (*identity)->subject)
          : absl::StrCat("addr:", request.remote_address);
  if (const absl::Duration wait = limiter_.TryTake(caller);
      wait > absl::ZeroDuration()) {
    fail(std::move(reply),
         absl::ResourceExhaustedError("too many requests; slow down"), wait);
    return;
  }
  if (!identity.ok()) {
    fail(std::move(reply), identity.status());
    return;
  }
  if (request.method == "GET" && request.path == kOpenApiPath) {
    answer(std::move(reply), HttpResponse::Json(200, openapi_));
    return;
  }
  if (!match.ok()) {
    if (absl::IsFailedPrecondition(match.status())) {
      HttpResponse response =
          HttpResponse::Error(405, "UNIMPLEMENTED", match.status().message());
      response.headers.emplace_back(
          "allow", absl::StrJoin(routes_.AllowedMethods(request.path), ", "));
      answer(std::move(reply), std::move(response));
    } else {
      fail(std::move(reply), match.status());
    }
    return;
  }
  const Route& route = *match->route;
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> message =
      BuildRequest(*match, request.query, request.body);
  if (!message.ok()) {
    fail(std::move(reply), message.status());
    return;
  }
  if (route.streaming) {
    if (realtime_ == nullptr) {
      fail(std::move(reply), absl::UnavailableError(absl::StrCat(
                                 "no backend configured for ",
                                 route.method->service()->full_name())));
      return;
    }
    auto& subscribe = static_cast<indexer::v1::SubscribeRequest&>(**message);
    if (absl::Status resumed = ResumeFromLastEventId(request, subscribe);
        !resumed.ok()) {
      fail(std::move(reply), resumed);
      return;
    }
    if (request.websocket_upgrade) {
      record(101);
      realtime_->ServeWebSocket(std::move(reply));
      return;
    }
    if (route.path == kWebSocketPath) {
      HttpResponse response = HttpResponse::Error(
          426, "FAILED_PRECONDITION",
          absl::StrCat(kWebSocketPath,
                       " speaks WebSocket; send an upgrade "
                       "request, or use Server-Sent Events"));
      response.headers.emplace_back("upgrade", "websocket");
      answer(std::move(reply), std::move(response));
      return;
    }
    std::vector<std::pair<std::string, std::string>> headers = cors;
    headers.emplace_back("x-request-id", request_id);
    if (absl::Status served =
            realtime_->ServeEventStream(subscribe, std::move(headers), reply);
        !served.ok()) {
      fail(std::move(reply), served);
      return;
    }
    record(200);
    return;
  }
  if (absl::Status permitted = Permit(route, *identity, **message);
      !permitted.ok()) {
    fail(std::move(reply), permitted);
    return;
  }
  const auto backend = backends_.find(route.method->service()->full_name());
  if (backend == backends_.end()) {
    fail(std::move(reply), absl::UnavailableError(absl::StrCat(
                               "no backend configured for ",
                               route.method->service()->full_name())));
    return;
  }

  // A kept answer, when the route allows one and it is current.
  std::string cache_key;
  std::string cache_account;
  std::optional<ResponseCache::Ticket> ticket;
  if (cache_ != nullptr && !route.cache_account_field.empty()) {
    cache_account = (*message)->GetReflection()->GetString(
        **message, (*message)->GetDescriptor()->FindFieldByName(
                       route.cache_account_field));
    cache_key =
        absl::StrCat(route.grpc_path, "\n", (*message)->SerializeAsString());
    std::optional<std::string> kept = cache_->Find(cache_key);
    metrics_->cache.WithLabels({route_label, kept ? "hit" : "miss"})
        .Increment();
    if (kept.has_value()) {
      answer(std::move(reply), HttpResponse::Json(200, *std::move(kept)));
      return;
    }
    ticket = cache_->Begin(cache_account);
  }

  // The call's state lives until its completion callback.
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto call = std::make_shared<Call>();
  call->context.set_deadline(
      std::chrono::system_clock::now() +
      absl::ToChronoMilliseconds(options_.request_timeout));
  call->context.AddMetadata("x-request-id", request_id);
  if (identity->has_value()) {
    call->context.AddMetadata("x-chainsync-subject", (*identity)->subject);
    call->context.AddMetadata("x-chainsync-role",
                              (*identity)->admin ? "admin" : "user");
  }
  grpc::Slice slice((*message)->SerializeAsString());
  call->request = grpc::ByteBuffer(&slice, 1);
  auto shared_reply = std::make_shared<HttpReply>(std::move(reply));
  backend->second.stub->UnaryCall(
      &call->context, route.grpc_path, grpc::StubOptions(), &call->request,
      &call->response,
      [this, call, shared_reply, answer, fail, &route,
       cache_key = std::move(cache_key),
       cache_account = std::move(cache_account), ticket](grpc::Status status) {
        if (!status.ok()) {
          fail(std::move(*shared_reply), FromGrpcStatus(status));
          return;
        }
        std::unique_ptr<google::protobuf::Message> response(
            google::protobuf::MessageFactory::generated_factory()
                ->GetPrototype(route.method->output_type())
                ->New());
        std::vector<grpc::Slice> slices;
        std::string bytes;
        if (call->response.Dump(&slices).ok()) {
          for (const grpc::Slice& piece : slices) {
            bytes.append(reinterpret_cast<const char*>(piece.begin()),
                         piece.size());
          }
        }
        if (!response->ParseFromString(bytes)) {
          fail(std::move(*shared_reply),
               absl::InternalError("the backend's answer does not parse"));
          return;
        }
        std::string rendered = RenderResponse(*response);
        if (ticket.has_value()) {
          cache_->Keep(cache_key, cache_account, *ticket, rendered);
        }
        answer(std::move(*shared_reply),
               HttpResponse::Json(200, std::move(rendered)));
      });
}

}  // namespace chainsync::gateway
