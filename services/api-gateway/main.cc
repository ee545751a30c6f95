// chainsync-gateway: serves JSON/HTTP, Server-Sent Events and WebSocket to
// browsers, translated from the backends' gRPC APIs.
#include "libs/common/metrics/registry.h"
#include "libs/common/server/service_host.h"
#include "services/api-gateway/gateway_options.h"

int main(int argc, char** argv) {
  chainsync::InitProcess(
      "gateway", argc, argv,
      "chainsync-gateway: JSON/HTTP, SSE and WebSocket for browsers, "
      "translated from the chainsync backends' gRPC APIs.");
  chainsync::ServiceHostOptions options = chainsync::ValueOrExit(
      chainsync::gateway::GatewayHostOptionsFromFlags(), "configuration");
  std::unique_ptr<chainsync::ServiceHost> host = chainsync::ValueOrExit(
      chainsync::ServiceHost::Start(std::move(options), {},
                                    chainsync::HttpRouter(),
                                    chainsync::metrics::DefaultRegistry()),
      "servers");
  host->readiness().Set(true);
  host->WaitForShutdownSignal();
  host->Drain();
  return 0;
}
