#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/mutual_tls.h"
#include "libs/common/server/readiness.h"

namespace chainsync {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  // 0 picks a free port; see GrpcServer::port().
  int port = 0;
  int max_receive_message_bytes = 4 << 20;
  int max_send_message_bytes = 16 << 20;
  // Server pings idle connections at this interval, and drops them when a
  // ping is not answered within the timeout, so that dead peers (a pod gone
  // without FIN) do not hold streams open.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // The most frequent client keepalive ping accepted.
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Callers must present a certificate the CA signed (and be allowed);
  // absent, plaintext.
  std::optional<MutualTls> tls;
};

// NamedService is a gRPC service with its full name (for example
// "chainsync.indexer.v1.IndexerService", the generated
// `IndexerService::service_full_name()`), under which grpc.health.v1 reports
// it.
struct NamedService {
  std::shared_ptr<grpc::Service> service;
  std::string name;
};

// GrpcServer runs a gRPC server with everything a chainsync service needs
// around its own services: grpc.health.v1 (SERVING while `readiness` says
// ready), server reflection (grpcurl works without .proto files), the
// Prometheus interceptor, keepalive and message size limits.
class GrpcServer {
 public:
  // Start binds and starts serving `services`. UNAVAILABLE naming the
  // address when it cannot bind (the port is taken).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, std::vector<NamedService> services,
      metrics::Registry& registry, Readiness& readiness);

  ~GrpcServer();

  // port is the bound port.
  int port() const { return port_; }

  // Shutdown reports NOT_SERVING, stops accepting calls, lets calls in
  // flight finish for up to `grace` and then cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  struct HealthLink;
  GrpcServer(std::vector<NamedService> services,
             std::unique_ptr<grpc::Server> server, int port,
             std::shared_ptr<HealthLink> health);

  // Declared before server_, so that they outlive it.
  std::vector<NamedService> services_;
  std::unique_ptr<grpc::Server> server_;
  // Shared with the readiness listener, which may outlive the server.
  std::shared_ptr<HealthLink> health_;
  int port_;
  bool stopped_ = false;
};

}  // namespace chainsync
