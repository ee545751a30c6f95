#include "services/api-gateway/gateway.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"
#include "services/api-gateway/openapi.h"

namespace chainsync::gateway {
namespace {

// Callers whose rate-limit buckets are kept at once, before idle ones go.
constexpr size_t kMaxRateLimitedCallers = 100'000;

}  // namespace

struct Gateway::Metrics {
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& duration;
  metrics::Family<metrics::Gauge>& backend_up;
  // Refusals logged: one a second at most.
  mutable log::Throttle refusals;

  explicit Metrics(metrics::Registry& registry)
      : requests(registry.AddCounter(
            "http_requests_total",
            "API requests by route (its template), method and status code.",
            {"route", "method", "code"})),
        duration(registry.AddHistogram(
            "http_request_duration_seconds",
            "API requests from arrival to the last byte handed over, by route.",
            {"route"}, metrics::LatencyBuckets())),
        backend_up(registry.AddGauge(
            "gateway_backend_up",
            "1 while the gateway's channel to a backend is connected, by "
            "service; as of the last /readyz.",
            {"service"})) {}
};

// ConnectionExchange is an exchange on an HTTP connection: answered on its
// reply, counted in the gateway's metrics and logged.
class Gateway::ConnectionExchange final : public Exchange {
 public:
  ConnectionExchange(HttpRequest request, absl::StatusOr<RouteMatch> match,
                     std::string request_id, HttpReply reply,
                     const Metrics& metrics, Clock& clock)
      : Exchange(std::move(request), std::move(match), std::move(request_id)),
        reply_(std::move(reply)),
        metrics_(metrics),
        clock_(clock),
        start_(clock.Now()),
        route_label_(this->match.ok() ? this->match->route->path
                     : this->request.path == kOpenApiPath ? kOpenApiPath
                                                          : "unmatched") {
    headers.emplace_back("x-request-id", this->request_id);
  }

 private:
  void Send(HttpResponse response) override {
    std::move(reply_).Send(std::move(response));
  }

  HttpReply* Connection() override { return &reply_; }

  void Record(int status) override {
    const std::string& method = request.method;
    metrics_.requests.WithLabels({route_label_, method, absl::StrCat(status)})
        .Increment();
    metrics_.duration.WithLabels({route_label_})
        .Observe(absl::ToDoubleSeconds(clock_.Now() - start_));
    // Every answer is counted in the metrics. A failure is worth a line
    // each; refusals (4xx) come in floods from a misbehaving client, so one
    // a second stands for the rest, with their count.
    log::Level level = log::Level::kDebug;
    int64_t held_back = 0;
    if (status >= 500) {
      level = log::Level::kWarning;
    } else if (status >= 400 && metrics_.refusals.Allow(&held_back)) {
      level = log::Level::kInfo;
    }
    log::Write(level, "request",
               {{"request_id", request_id},
                {"method", method},
                {"route", route_label_},
                {"status", status},
                {"seconds", clock_.Now() - start_},
                {"refusals_not_logged", held_back}});
  }

  HttpReply reply_;
  const Metrics& metrics_;
  Clock& clock_;
  const absl::Time start_;
  const std::string route_label_;
};

std::vector<std::unique_ptr<Filter>> RequestFilters::Make() const {
  std::vector<std::unique_ptr<Filter>> filters;
  filters.push_back(std::make_unique<CorsFilter>(cors_origins));
  filters.push_back(std::make_unique<RateLimitFilter>(limiter, authenticator));
  filters.push_back(std::make_unique<AuthenticateFilter>(authenticator));
  filters.push_back(std::make_unique<RouteFilter>(routes, openapi));
  filters.push_back(std::make_unique<AuthorizeFilter>());
  if (cache != nullptr) {
    filters.push_back(std::make_unique<CacheFilter>(*cache, registry));
  }
  return filters;
}

Gateway::Gateway(GatewayOptions options, RouteTable routes)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      metrics_(std::make_unique<Metrics>(*options_.registry)),
      limiter_(options_.rate_limit, options_.rate_burst,
               kMaxRateLimitedCallers),
      authenticator_(options_.verifier) {}

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
    BackendCall backend;
    backend.channel = grpc::CreateCustomChannel(
        address, gateway->options_.backend_credentials, channel_arguments);
    backend.stub = std::make_unique<grpc::GenericStub>(backend.channel);
    // Connect now, so that the first /readyz knows whether it can.
    backend.channel->GetState(/*try_to_connect=*/true);
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
  std::vector<std::unique_ptr<Filter>> filters =
      RequestFilters{.cors_origins = gateway->options_.cors_origins,
                     .limiter = gateway->limiter_,
                     .authenticator = gateway->authenticator_,
                     .routes = gateway->routes_,
                     .openapi = OpenApiDocument(gateway->routes_),
                     .cache = gateway->cache_.get(),
                     .registry = *gateway->options_.registry}
          .Make();
  filters.push_back(std::make_unique<StreamFilter>(gateway->realtime_.get()));
  filters.push_back(std::make_unique<CallFilter>(
      gateway->backends_, gateway->options_.request_timeout));
  gateway->chain_ = std::make_unique<FilterChain>(std::move(filters));
  return gateway;
}

std::vector<DependencyState> Gateway::BackendStates() const {
  std::vector<DependencyState> states;
  for (const auto& [service, backend] : backends_) {
    // Asking connects an idle channel, so that the next answer knows.
    const grpc_connectivity_state state = backend.channel->GetState(true);
    const bool reachable = state == GRPC_CHANNEL_READY;
    metrics_->backend_up.WithLabels({service}).Set(reachable ? 1 : 0);
    states.push_back({.name = service,
                      .reachable = reachable,
                      .state = state == GRPC_CHANNEL_READY        ? "ready"
                               : state == GRPC_CHANNEL_IDLE       ? "idle"
                               : state == GRPC_CHANNEL_CONNECTING ? "connecting"
                               : state == GRPC_CHANNEL_TRANSIENT_FAILURE
                                   ? "unreachable"
                                   : "shut down"});
  }
  return states;
}

void Gateway::Handle(HttpRequest request, HttpReply reply) const {
  absl::StatusOr<RouteMatch> match =
      routes_.Match(request.method, request.path);
  std::string request_id = RequestIdFrom(request.Header("x-request-id"));
  chain_->Run(std::make_shared<ConnectionExchange>(
      std::move(request), std::move(match), std::move(request_id),
      std::move(reply), *metrics_, *options_.clock));
}

}  // namespace chainsync::gateway
