// The indexer's view read over its API agrees with the chain's at the same
// block: the rules find nothing between them after the reference workload.
#include "services/reconciler/indexer_reader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "grpcpp/create_channel.h"
#include "services/reconciler/chain_reader.h"
#include "services/reconciler/rules.h"
#include "tests/services/indexer/indexer_test_support.h"

namespace chainsync::reconciler {
namespace {

TEST_CASE("the indexer's view over its API agrees with the chain's",
          "[reconciler][indexer]") {
  const std::string rpc_url = testing::GetTestEnvironment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc_url);
  workload->Run();
  const std::string deployment_file =
      absl::StrCat("/tmp/chainsync_reconciler_", getpid(), ".json");
  std::ofstream(deployment_file) << workload->deployment().ToJson();
  testing::ScopedDatabase database;
  auto indexer = indexer::StartIndexer(database.url(), deployment_file, rpc_url,
                                       {"--poll_interval=50ms"});
  const int port = indexer::GrpcPortWhenReady(*indexer);
  const uint64_t head = *workload->client().BlockNumber();
  REQUIRE(indexer::WaitForIndexed(*indexer, database.url(),
                                  static_cast<int64_t>(head)));
  const contracts::Deployment& deployment = workload->deployment();
  IndexerReader reader(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                           grpc::InsecureChannelCredentials()),
                       deployment.Find("RBTCSynth")->address,
                       deployment.Find("OracleAggregator")->address,
                       absl::Seconds(10));
  const auto progress = reader.Progress();
  REQUIRE(progress.ok());
  CHECK(progress->indexed >= head);
  CHECK(progress->finalized <= progress->indexed);

  Snapshot snapshot;
  snapshot.taken = absl::Now();
  const auto indexed = reader.Read(head);
  REQUIRE(indexed.ok());
  snapshot.indexer = *indexed;
  snapshot.indexer.head = progress->indexed;
  CHECK_FALSE(snapshot.indexer.balances.empty());
  CHECK_FALSE(snapshot.indexer.events.empty());
  std::vector<evm::Address> holders;
  for (const auto& [account, balance] : snapshot.indexer.balances) {
    holders.push_back(account);
  }
  auto chain = ChainReader::FromDeployment(
      *evm::JsonRpcClient::Create({.endpoints = {rpc_url}}), deployment);
  REQUIRE(chain.ok());
  const auto on_chain = (*chain)->Read(head, holders);
  REQUIRE(on_chain.ok());
  snapshot.chain = *on_chain;
  snapshot.chain.head = head;
  CHECK(snapshot.indexer.balances == snapshot.chain.balances);
  CHECK(snapshot.indexer.events == snapshot.chain.events);
  // Between chain and indexer, no rule finds anything.
  for (const RuleOutcome& outcome : Evaluate(snapshot, {}, {})) {
    if (outcome.rule->component != "transaction_logging" &&
        outcome.rule->component != "contract_deployment") {
      continue;
    }
    INFO(outcome.rule->name);
    CHECK(outcome.findings.empty());
  }

  // A block above what the indexer holds is refused, naming it.
  const auto above = reader.Read(head + 1000);
  CHECK(above.status().code() == absl::StatusCode::kUnavailable);
  CHECK(above.status().message().find("above the indexed block") !=
        std::string::npos);
  std::remove(deployment_file.c_str());
}

}  // namespace
}  // namespace chainsync::reconciler
