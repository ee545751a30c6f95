#pragma once

// ServiceHost is the process frame shared by the four chainsync binaries:
// flags and logging, the gRPC server (backends), the HTTP server (admin
// endpoints; the gateway's public API too), readiness, and the drain on
// SIGTERM/SIGINT. A main builds its domain objects and hands their gRPC
// services and HTTP routes to it; nothing else.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/grpc_server.h"
#include "libs/common/server/http_server.h"
#include "libs/common/server/mutual_tls.h"
#include "libs/common/server/readiness.h"

namespace chainsync {

// InitProcess is the first call of a main: it blocks the shutdown signals,
// parses flags (environment defaults, then the command line) and sets up
// logging. A bad flag logs one error line naming it and exits with status 2.
void InitProcess(absl::string_view service, int argc, char** argv,
                 absl::string_view usage);

// InitTool is InitProcess for command-line tools, which do not drain: it
// leaves SIGINT and SIGTERM alone, so that Ctrl-C stops them.
void InitTool(absl::string_view tool, int argc, char** argv,
              absl::string_view usage);

// ValueOrExit returns the value, or logs one error line (`what` and the
// status) and exits with status 1: start-up failures (database unreachable,
// port taken, broken migration) end the process before it serves anything.
template <typename T>
T ValueOrExit(absl::StatusOr<T> value, absl::string_view what);
void OkOrExit(const absl::Status& status, absl::string_view what);

struct ServiceHostOptions {
  std::string service;
  // Absent for the gateway, which serves HTTP only.
  std::optional<GrpcServerOptions> grpc;
  HttpServerOptions http;
  // When set, /metrics, /healthz and /readyz are served on a server of
  // their own (the gateway's admin port), out of the public API's reach and
  // its limits; absent, `http` serves them (a backend's admin port).
  std::optional<HttpServerOptions> admin;
  // How long in-flight calls may take to finish after SIGTERM.
  absl::Duration drain_timeout = absl::Seconds(10);
};

// ServiceHostOptionsFromFlags reads the flags every binary shares
// (--listen_host, --drain_timeout); ports are the caller's.
absl::StatusOr<ServiceHostOptions> ServiceHostOptionsFromFlags(
    absl::string_view service);

// MutualTlsFromFlags reads --tls_cert_file, --tls_key_file, --tls_ca_file
// (all or none; none is plaintext) and --tls_allowed_peers, and checks the
// files.
absl::StatusOr<std::optional<MutualTls>> MutualTlsFromFlags();

class ServiceHost;

// StartHttpHost starts a host without gRPC whose HTTP server sends every
// request but the admin routes to `handler`, or exits as ValueOrExit does.
std::unique_ptr<ServiceHost> StartHttpHost(ServiceHostOptions options,
                                           HttpHandler handler);

class ServiceHost {
 public:
  // Start starts the servers, with the admin endpoints added to `router`
  // unless options.admin gives them a server of their own.
  // The service is not ready until readiness().Set(true).
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(
      ServiceHostOptions options, std::vector<NamedService> services,
      HttpRouter router, metrics::Registry& registry);

  ~ServiceHost();

  Readiness& readiness() { return readiness_; }
  int grpc_port() const { return grpc_ == nullptr ? 0 : grpc_->port(); }
  int http_port() const { return http_->port(); }
  int admin_port() const {
    return admin_ == nullptr ? http_->port() : admin_->port();
  }

  // WaitForShutdownSignal blocks until SIGTERM or SIGINT, then reports not
  // ready so that load balancers stop sending new work.
  void WaitForShutdownSignal();

  // Drain stops accepting, lets calls in flight finish within the drain
  // timeout, and stops the servers.
  void Drain();

 private:
  explicit ServiceHost(ServiceHostOptions options);

  ServiceHostOptions options_;
  Readiness readiness_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer> admin_;
};

template <typename T>
T ValueOrExit(absl::StatusOr<T> value, absl::string_view what) {
  OkOrExit(value.status(), what);
  return *std::move(value);
}

}  // namespace chainsync
