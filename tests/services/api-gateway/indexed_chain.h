#pragma once

#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/services/api-gateway/gateway_test_support.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"

namespace chainsync::gateway {

// IndexedChain is the workload on anvil, indexed by the indexer binary, and
// a gateway in front of it.
struct IndexedChain {
  explicit IndexedChain(
      const std::string& rpc_url = testing::GetTestEnvironment().rpc_url,
      const std::vector<std::string>& gateway_flags = {})
      : workload(testing::ProtocolWorkload::Deploy(rpc_url)),
        deployment(absl::StrCat("/tmp/chainsync_gateway_", getpid(), ".json")) {
    workload->Run();
    std::ofstream(deployment) << workload->deployment().ToJson();
    indexer = indexer::StartIndexer(database.url(), deployment, rpc_url,
                                    {"--poll_interval=50ms"});
    indexer_port = indexer::GrpcPortWhenReady(*indexer);
    REQUIRE(indexer::WaitForIndexed(
        *indexer, database.url(),
        static_cast<int64_t>(*workload->client().BlockNumber())));
    StartGateway(gateway_flags);
  }

  // StartGateway starts a gateway in front of the indexer, in place of the
  // one before.
  void StartGateway(const std::vector<std::string>& gateway_flags) {
    std::vector<std::string> flags = {
        "--rate_limit=100000", "--rate_burst=100000",
        absl::StrCat("--indexer_address=127.0.0.1:", indexer_port),
        "--oracle_address=" + stand_in.address(),
        "--reconciler_address=" + stand_in.address()};
    flags.insert(flags.end(), gateway_flags.begin(), gateway_flags.end());
    gateway.reset();
    gateway = std::make_unique<GatewayProcess>(flags);
  }
  ~IndexedChain() { std::remove(deployment.c_str()); }

  std::string holder() const {
    return workload->holders().front().ToLowerHex();
  }

  std::unique_ptr<testing::ProtocolWorkload> workload;
  std::string deployment;
  testing::ScopedDatabase database;
  std::unique_ptr<testing::Subprocess> indexer;
  int indexer_port = 0;
  EmptyAnswers stand_in;
  std::unique_ptr<GatewayProcess> gateway;
};

}  // namespace chainsync::gateway
