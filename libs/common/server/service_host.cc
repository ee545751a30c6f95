#include "libs/common/server/service_host.h"

#include <sys/resource.h>

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "libs/common/config/flags.h"
#include "libs/common/logging/grpc_log.h"
#include "libs/common/logging/log.h"
#include "libs/common/metrics/process_metrics.h"
#include "libs/common/server/admin_routes.h"
#include "libs/common/server/shutdown_signal.h"

ABSL_FLAG(std::string, log_level, "info",
          "Minimum level of log lines: debug, info, warning or error.");
ABSL_FLAG(std::string, listen_host, "0.0.0.0",
          "Address the servers listen on.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "How long calls in flight may take to finish after SIGTERM.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate (chain) this process presents to the services it "
          "serves and calls; with --tls_key_file and --tls_ca_file, gRPC "
          "between the services is mutual TLS. Unset: plaintext.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM certificates of the CA that signs every service's "
          "certificate: callers and servers are verified against it.");
ABSL_FLAG(std::vector<std::string>, tls_allowed_peers, {},
          "Backends: the callers admitted, by a DNS or URI subject "
          "alternative name of their certificate (a trailing * matches any "
          "suffix), comma-separated; others are PERMISSION_DENIED. Empty: "
          "every caller the CA signed.");

namespace chainsync {

namespace {

void ParseFlagsAndInitLogging(absl::string_view name, int argc, char** argv,
                              absl::string_view usage) {
  log::Init(name, log::Level::kInfo);
  log::RouteGrpcLogs(log::Level::kInfo);
  absl::StatusOr<std::vector<std::string>> positional =
      ParseFlags(argc, argv, usage);
  absl::StatusOr<log::Level> level =
      positional.ok() ? log::ParseLevel(absl::GetFlag(FLAGS_log_level))
                      : absl::StatusOr<log::Level>(positional.status());
  if (!level.ok()) {
    log::Error("invalid configuration", {{"error", level.status().message()}});
    std::exit(2);
  }
  if (!positional->empty()) {
    log::Error("invalid configuration",
               {{"error", "unexpected argument \"" + positional->front() +
                              "\"; flags are written --name=value"}});
    std::exit(2);
  }
  log::Init(name, *level);
  log::RouteGrpcLogs(*level);
}

// RaiseDescriptorLimit lifts the soft limit on open files to the hard one:
// a server holds a descriptor per connection, and the soft limit (often
// 1,024) is far below what the machine allows.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max)
    return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    log::Info("open file limit raised",
              {{"from", static_cast<uint64_t>(before)},
               {"to", static_cast<uint64_t>(limit.rlim_cur)}});
  }
}

}  // namespace

void InitProcess(absl::string_view service, int argc, char** argv,
                 absl::string_view usage) {
  BlockShutdownSignals();
  ParseFlagsAndInitLogging(service, argc, argv, usage);
  RaiseDescriptorLimit();
}

void InitTool(absl::string_view tool, int argc, char** argv,
              absl::string_view usage) {
  ParseFlagsAndInitLogging(tool, argc, argv, usage);
}

void OkOrExit(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return;
  log::Error("cannot start",
             {{"step", what},
              {"error", status.message()},
              {"code", std::string(absl::StatusCodeToString(status.code()))}});
  std::exit(1);
}

absl::StatusOr<ServiceHostOptions> ServiceHostOptionsFromFlags(
    absl::string_view service) {
  ServiceHostOptions options;
  options.service = std::string(service);
  options.http.host = absl::GetFlag(FLAGS_listen_host);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  if (options.drain_timeout < absl::ZeroDuration()) {
    return InvalidFlag("drain_timeout",
                       absl::FormatDuration(options.drain_timeout),
                       "must not be negative");
  }
  return options;
}

absl::StatusOr<std::optional<MutualTls>> MutualTlsFromFlags() {
  MutualTls tls{.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
                .key_file = absl::GetFlag(FLAGS_tls_key_file),
                .ca_file = absl::GetFlag(FLAGS_tls_ca_file),
                .allowed_peers = absl::GetFlag(FLAGS_tls_allowed_peers)};
  const int set =
      !tls.cert_file.empty() + !tls.key_file.empty() + !tls.ca_file.empty();
  if (set == 0) {
    if (!tls.allowed_peers.empty()) {
      return InvalidFlag("tls_allowed_peers",
                         absl::StrJoin(tls.allowed_peers, ","),
                         "needs --tls_cert_file, --tls_key_file and "
                         "--tls_ca_file: peers are known by their "
                         "certificates");
    }
    return std::nullopt;
  }
  if (set < 3) {
    return absl::InvalidArgumentError(
        "invalid TLS configuration: --tls_cert_file, --tls_key_file and "
        "--tls_ca_file are set together or not at all");
  }
  if (absl::Status valid = CheckMutualTls(tls); !valid.ok()) {
    return valid;
  }
  return tls;
}

std::unique_ptr<ServiceHost> StartHttpHost(ServiceHostOptions options,
                                           HttpHandler handler) {
  HttpRouter router;
  router.SetFallback(std::move(handler));
  return ValueOrExit(
      ServiceHost::Start(std::move(options), {}, std::move(router),
                         metrics::DefaultRegistry()),
      "servers");
}

ServiceHost::ServiceHost(ServiceHostOptions options)
    : options_(std::move(options)) {}

ServiceHost::~ServiceHost() = default;

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(
    ServiceHostOptions options, std::vector<NamedService> services,
    HttpRouter router, metrics::Registry& registry) {
  std::unique_ptr<ServiceHost> host(new ServiceHost(std::move(options)));
  metrics::AddProcessMetrics(registry);
  if (host->options_.grpc.has_value()) {
    absl::StatusOr<std::unique_ptr<GrpcServer>> grpc = GrpcServer::Start(
        *host->options_.grpc, std::move(services), registry, host->readiness_);
    if (!grpc.ok()) return grpc.status();
    host->grpc_ = *std::move(grpc);
  }
  if (host->options_.admin.has_value()) {
    HttpRouter admin;
    AddAdminRoutes(admin, registry, host->readiness_);
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(*host->options_.admin,
                          std::make_shared<const HttpRouter>(std::move(admin)));
    if (!server.ok()) return server.status();
    host->admin_ = *std::move(server);
  } else {
    AddAdminRoutes(router, registry, host->readiness_);
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(host->options_.http,
                        std::make_shared<const HttpRouter>(std::move(router)));
  if (!http.ok()) return http.status();
  host->http_ = *std::move(http);
  log::Info("serving", {{"grpc_port", host->grpc_port()},
                        {"http_port", host->http_port()},
                        {"admin_port", host->admin_port()}});
  return host;
}

void ServiceHost::WaitForShutdownSignal() {
  const int signal = chainsync::WaitForShutdownSignal();
  log::Info(
      "shutdown requested; draining",
      {{"signal", signal}, {"drain_timeout_seconds", options_.drain_timeout}});
  readiness_.Set(false, "shutting down");
}

void ServiceHost::Drain() {
  if (grpc_ != nullptr) grpc_->Shutdown(options_.drain_timeout);
  http_->Shutdown(options_.drain_timeout);
  if (admin_ != nullptr) admin_->Shutdown(absl::ZeroDuration());
  log::Info("stopped");
}

}  // namespace chainsync
