#pragma once

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/services/oracle/oracle_test_support.h"

namespace chainsync::reconciler {

// ReconcilerProcess runs chainsync-reconciler over the given peers; its
// schedule is out of the way, runs are asked for. `bitcoin_api` is the
// Esplora API disputes are checked against (regtest, one confirmation);
// it publishes proofs of reserves with the deployment's publisher key.
class ReconcilerProcess {
 public:
  ReconcilerProcess(const testing::ScopedDatabase& database,
                    const oracle::OracleChain& chain,
                    const std::string& bitcoin_api,
                    const std::string& indexer_address,
                    const std::string& oracle_address) {
    auto process = testing::Subprocess::Start(
        {CHAINSYNC_RECONCILER_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
         "--admin_port=0", "--deployment_config=" + chain.deployment_file,
         "--rpc_url=" + chain.rpc_url, "--indexer_address=" + indexer_address,
         "--oracle_address=" + oracle_address, "--reconcile_interval=1h",
         "--settle_after=0s", "--bitcoin_network=regtest",
         "--bitcoin_api_url=" + bitcoin_api, "--bitcoin_api_timeout=2s",
         "--btc_confirmations=1"},
        {{"CHAINSYNC_DATABASE_URL", database.url()},
         {"CHAINSYNC_PUBLISHER_KEY", chain.workload->publisher_key()}});
    REQUIRE(process.ok());
    process_ = *std::move(process);
    const int port = indexer::GrpcPortWhenReady(*process_);
    stub_ = v1::ReconcilerService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  v1::ReconciliationRun Run() {
    // The scheduled first run may hold the lock a moment.
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext context;
      v1::ReconciliationRun run;
      const grpc::Status status = stub_->RunReconciliation(&context, {}, &run);
      if (status.ok()) return run;
      INFO(status.error_message());
      REQUIRE(status.error_code() == grpc::StatusCode::ABORTED);
      REQUIRE(attempt < 50);
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  v1::ReconcilerService::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<testing::Subprocess> process_;
  std::unique_ptr<v1::ReconcilerService::Stub> stub_;
};

// OwnOracle is an oracle (one confirmation) over a deployment of its own,
// so that the chain's holders are one test's alone.
struct OwnOracle {
  oracle::OracleChain chain =
      oracle::OracleChain::Deploy(testing::GetTestEnvironment().rpc_url);
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  oracle::OracleProcess process{
      database,
      sim,
      {"--btc_confirmations=1"},
      {{"CHAINSYNC_PROFILE_KEYS", oracle::kProfileKeys}},
      chain};
};

}  // namespace chainsync::reconciler
