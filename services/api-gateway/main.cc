// chainsync-gateway: serves JSON/HTTP, Server-Sent Events and WebSocket to
// browsers, translated from the backends' gRPC APIs.
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/service_host.h"
#include "services/api-gateway/gateway.h"
#include "services/api-gateway/gateway_options.h"

ABSL_FLAG(std::string, indexer_address, "127.0.0.1:50051",
          "gRPC address of the indexer.");
ABSL_FLAG(std::string, oracle_address, "127.0.0.1:50052",
          "gRPC address of the oracle.");
ABSL_FLAG(std::string, reconciler_address, "127.0.0.1:50053",
          "gRPC address of the reconciler.");
ABSL_FLAG(absl::Duration, request_timeout, absl::Seconds(10),
          "Deadline of each backend call; a slower one answers 504.");
ABSL_FLAG(double, rate_limit, 50,
          "Requests a second per caller (token subject, or client address "
          "when anonymous); more get 429 with Retry-After.");
ABSL_FLAG(double, rate_burst, 100, "Requests a caller may make at once.");
ABSL_FLAG(std::vector<std::string>, cors_origins, {},
          "Origins whose pages may call the API, comma-separated (* for any).");
ABSL_FLAG(std::string, jwks_file, "",
          "A JWKS file of RSA keys: bearer tokens signed RS256 are verified "
          "with them. The HS256 secret comes from CHAINSYNC_JWT_SECRET or "
          "CHAINSYNC_JWT_SECRET_FILE.");

ABSL_FLAG(std::string, jwt_issuer, "",
          "When set, bearer tokens must carry this issuer (`iss`).");
ABSL_FLAG(std::string, jwt_audience, "",
          "When set, bearer tokens must name this audience (`aud`).");

namespace chainsync::gateway {
namespace {

absl::StatusOr<std::shared_ptr<const JwtVerifier>> VerifierFromFlags() {
  JwtOptions options;
  options.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.audience = absl::GetFlag(FLAGS_jwt_audience);
  absl::StatusOr<Secret> secret = ReadOptionalSecret("jwt_secret");
  if (!secret.ok()) return secret.status();
  options.hs256_secret = *std::move(secret);
  const std::string jwks_file = absl::GetFlag(FLAGS_jwks_file);
  if (!jwks_file.empty()) {
    std::ifstream in(jwks_file);
    if (!in) {
      return InvalidFlag("jwks_file", jwks_file, "cannot be read");
    }
    std::ostringstream text;
    text << in.rdbuf();
    options.jwks_json = text.str();
  }
  if (options.hs256_secret.empty() && options.jwks_json.empty()) {
    return std::shared_ptr<const JwtVerifier>();
  }
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier =
      JwtVerifier::Create(std::move(options));
  if (!verifier.ok()) return verifier.status();
  return std::shared_ptr<const JwtVerifier>(*std::move(verifier));
}

}  // namespace
}  // namespace chainsync::gateway

int main(int argc, char** argv) {
  using namespace chainsync;
  InitProcess("gateway", argc, argv,
              "chainsync-gateway: JSON/HTTP, SSE and WebSocket for browsers, "
              "translated from the chainsync backends' gRPC APIs.");
  ServiceHostOptions options =
      ValueOrExit(gateway::GatewayHostOptionsFromFlags(), "configuration");
  for (const auto& [name, value] :
       {std::pair{"rate_limit", absl::GetFlag(FLAGS_rate_limit)},
        std::pair{"rate_burst", absl::GetFlag(FLAGS_rate_burst)}}) {
    if (!(value > 0)) {
      ValueOrExit(absl::StatusOr<int>(InvalidFlag(name, absl::StrCat(value),
                                                  "must be positive")),
                  "configuration");
    }
  }
  if (absl::GetFlag(FLAGS_request_timeout) <= absl::ZeroDuration()) {
    ValueOrExit(absl::StatusOr<int>(InvalidFlag(
                    "request_timeout",
                    absl::FormatDuration(absl::GetFlag(FLAGS_request_timeout)),
                    "must be positive")),
                "configuration");
  }
  std::shared_ptr<const gateway::Gateway> api = ValueOrExit(
      gateway::Gateway::Create(
          {.backends = {{indexer::v1::IndexerService::service_full_name(),
                         absl::GetFlag(FLAGS_indexer_address)},
                        {oracle::v1::OracleService::service_full_name(),
                         absl::GetFlag(FLAGS_oracle_address)},
                        {reconciler::v1::ReconcilerService::service_full_name(),
                         absl::GetFlag(FLAGS_reconciler_address)}},
           .backend_credentials = ChannelCredentials(
               ValueOrExit(MutualTlsFromFlags(), "configuration")),
           .request_timeout = absl::GetFlag(FLAGS_request_timeout),
           .verifier =
               ValueOrExit(gateway::VerifierFromFlags(), "configuration"),
           .rate_limit = absl::GetFlag(FLAGS_rate_limit),
           .rate_burst = absl::GetFlag(FLAGS_rate_burst),
           .cors_origins = absl::GetFlag(FLAGS_cors_origins),
           .realtime = ValueOrExit(gateway::RealtimeOptionsFromFlags(),
                                   "configuration"),
           .cache_entries =
               ValueOrExit(gateway::CacheEntriesFromFlags(), "configuration")}),
      "routes");
  std::unique_ptr<ServiceHost> host = StartHttpHost(
      std::move(options), [api](HttpRequest request, HttpReply reply) {
        api->Handle(std::move(request), std::move(reply));
      });
  host->readiness().SetDependencyProbe([api] { return api->BackendStates(); });
  host->readiness().Set(true);
  host->WaitForShutdownSignal();
  host->Drain();
  return 0;
}
