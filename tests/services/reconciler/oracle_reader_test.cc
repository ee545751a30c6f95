// The oracle's view read over its API: its accounts, their totals and the
// journal, which the chain's Synced events must all be in.
#include "services/reconciler/oracle_reader.h"

#include <signal.h>

#include <catch2/catch.hpp>

#include "grpcpp/create_channel.h"
#include "services/reconciler/chain_reader.h"
#include "services/reconciler/rules.h"
#include "tests/services/oracle/oracle_test_support.h"

namespace chainsync::reconciler {
namespace {

TEST_CASE("the oracle's view over its API matches what it mirrored",
          "[reconciler][oracle]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  oracle::OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  const evm::Address account = oracle::AccountOf(30);
  oracle::FundAndRead(oracle, sim,
                      oracle::RegisterAddress(oracle, 120, account), account,
                      42'000);

  OracleReader reader(
      grpc::CreateChannel(oracle.address(), grpc::InsecureChannelCredentials()),
      absl::Seconds(10));
  // Until the sync is mined: the account is in flight, then not.
  OracleView view;
  for (int i = 0; i < 200; ++i) {
    const auto read = reader.Read();
    REQUIRE(read.ok());
    view = *read;
    if (!view.operations.empty() && view.operations[0].block.has_value() &&
        !view.accounts[0].in_flight) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(view.accounts.size() == 1);
  CHECK(view.accounts[0].account == account);
  CHECK(view.accounts[0].sync_enabled);
  CHECK(view.accounts[0].confirmed_sats == 42'000u);
  REQUIRE(view.operations.size() == 1);
  const OracleOperation& sync = view.operations[0];
  CHECK(sync.kind == MirrorEvent::Kind::kSynced);
  CHECK(sync.accounts == std::vector<evm::Address>{account});
  REQUIRE(sync.transaction.has_value());
  REQUIRE(sync.block.has_value());

  // The chain's Synced event is that operation; the mirror matches.
  const oracle::OracleChain& chain = oracle::OracleChain::Shared();
  auto chain_reader = ChainReader::FromDeployment(
      *evm::JsonRpcClient::Create({.endpoints = {chain.rpc_url}}),
      chain.workload->deployment());
  REQUIRE(chain_reader.ok());
  Snapshot snapshot;
  snapshot.taken = absl::Now();
  snapshot.oracle = view;
  const uint64_t head = *(*chain_reader)->Head();
  const auto on_chain = (*chain_reader)->Read(head, {account});
  REQUIRE(on_chain.ok());
  snapshot.chain = *on_chain;
  snapshot.chain.head = head;
  snapshot.indexer.head = head;
  const auto outcomes = Evaluate(snapshot, {}, {});
  for (const RuleOutcome& outcome : outcomes) {
    if (outcome.rule->name == "sync_logged" ||
        outcome.rule->name == "mirror_matches_bitcoin") {
      INFO(outcome.rule->name);
      CHECK(outcome.checked.size() == 1);
      CHECK(outcome.findings.empty());
    }
  }

  // An oracle that is gone is UNAVAILABLE, named.
  oracle.process().Signal(SIGKILL);
  (void)oracle.process().Wait(absl::Seconds(10));
  const auto gone = reader.Read();
  CHECK(gone.status().code() == absl::StatusCode::kUnavailable);
  CHECK(gone.status().message().find("the oracle's ListUsers failed") == 0);
}

}  // namespace
}  // namespace chainsync::reconciler
