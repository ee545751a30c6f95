// chainsync-btcsim: an Esplora-compatible Bitcoin API over simulated chains,
// driven by its control routes; the oracle's stand-in for a public Bitcoin
// API in the tests and the local run.
#include "absl/flags/flag.h"
#include "libs/common/config/flags.h"
#include "libs/common/logging/log.h"
#include "libs/common/server/service_host.h"
#include "tools/btcsim/esplora_api.h"

ABSL_FLAG(int32_t, http_port, 8094,
          "HTTP port of the Esplora and control routes (0 picks a free one).");

int main(int argc, char** argv) {
  using namespace chainsync;
  InitProcess("btcsim", argc, argv,
              "chainsync-btcsim: an Esplora-compatible Bitcoin API over "
              "simulated mainnet, testnet and regtest chains.");
  ServiceHostOptions options =
      ValueOrExit(ServiceHostOptionsFromFlags("btcsim"), "configuration");
  options.http.port = absl::GetFlag(FLAGS_http_port);
  OkOrExit(ValidatePort("http_port", options.http.port), "configuration");
  options.http.threads = 2;
  auto api = std::make_shared<btcsim::EsploraApi>();
  std::unique_ptr<ServiceHost> host = StartHttpHost(
      std::move(options), [api](HttpRequest request, HttpReply reply) {
        api->Handle(std::move(request), std::move(reply));
      });
  host->readiness().Set(true);
  host->WaitForShutdownSignal();
  host->Drain();
  return 0;
}
