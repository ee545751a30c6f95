#include "libs/common/server/grpc_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "libs/common/metrics/grpc_metrics_interceptor.h"

namespace chainsync {

namespace {

// CheckAddressFree binds the address briefly, so that a taken port is
// reported with the system's reason in one line; gRPC would log its own
// multi-level error and answer only that no address was added.
absl::Status CheckAddressFree(const std::string& host, int port) {
  if (port == 0) return absl::OkStatus();
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in6);
  } else {
    return absl::OkStatus();  // a host name: gRPC resolves and reports it
  }
  const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::OkStatus();
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  const int result = bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  const int error = errno;
  close(fd);
  if (result != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for gRPC on ", host, ":", port, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

struct GrpcServer::HealthLink {
  std::mutex mu;
  grpc::HealthCheckServiceInterface* health;  // null once shut down
};

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, std::vector<NamedService> services,
    metrics::Registry& registry, Readiness& readiness) {
  if (absl::Status free = CheckAddressFree(options.host, options.port);
      !free.ok()) {
    return free;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options.host, ":", options.port);
  int selected_port = 0;
  builder.AddListeningPort(address, ServerCredentials(options.tls),
                           &selected_port);

  for (const NamedService& named : services) {
    builder.RegisterService(named.service.get());
  }
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  // SO_REUSEPORT would let a second process bind the same port silently and
  // split the traffic; a taken port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(
          absl::ToInt64Milliseconds(options.min_client_ping_interval)));
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<metrics::GrpcMetricsInterceptorFactory>(registry));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ",
                                               address,
                                               ": the address is in use or "
                                               "not available"));
  }
  auto health = std::make_shared<HealthLink>();
  health->health = server->GetHealthCheckService();
  std::vector<std::string> names = {""};  // "" is the whole server
  for (const NamedService& named : services) names.push_back(named.name);
  readiness.OnChange([health, names](bool ready) {
    std::lock_guard<std::mutex> lock(health->mu);
    if (health->health == nullptr) return;
    for (const std::string& name : names) {
      health->health->SetServingStatus(name, ready);
    }
  });
  return std::unique_ptr<GrpcServer>(
      new GrpcServer(std::move(services), std::move(server), selected_port,
                     std::move(health)));
}

GrpcServer::GrpcServer(std::vector<NamedService> services,
                       std::unique_ptr<grpc::Server> server, int port,
                       std::shared_ptr<HealthLink> health)
    : services_(std::move(services)),
      server_(std::move(server)),
      health_(std::move(health)),
      port_(port) {}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  {
    // Reports NOT_SERVING to health watchers and ignores later changes.
    std::lock_guard<std::mutex> lock(health_->mu);
    health_->health->Shutdown();
    health_->health = nullptr;
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

}  // namespace chainsync
