// The chain's view at a pinned block, read from anvil after the reference
// protocol's workload: code, balances, supply and the oracle's events, the
// events read once.
#include "services/reconciler/chain_reader.h"

#include <catch2/catch.hpp>

#include "tests/support/protocol_workload.h"
#include "tests/support/test_env.h"

namespace chainsync::reconciler {
namespace {

size_t Expected(const std::vector<testing::ExpectedEvent>& events,
                const std::string& name) {
  return std::count_if(
      events.begin(), events.end(), [&](const testing::ExpectedEvent& event) {
        return event.contract == "OracleAggregator" && event.event == name;
      });
}

size_t Counted(const ChainView& view, MirrorEvent::Kind kind) {
  return std::count_if(
      view.events.begin(), view.events.end(),
      [&](const MirrorEvent& event) { return event.kind == kind; });
}

TEST_CASE("the chain's view at a block: code, balances, supply and events",
          "[reconciler][chain]") {
  const std::string rpc_url = testing::GetTestEnvironment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc_url);
  const uint64_t deployed = *workload->client().BlockNumber();
  const std::vector<testing::ExpectedEvent> expected = workload->Run();
  std::shared_ptr<evm::JsonRpcClient> client =
      *evm::JsonRpcClient::Create({.endpoints = {rpc_url}});
  contracts::Deployment deployment = workload->deployment();
  // An address the deployment names but where nothing was ever deployed.
  std::array<uint8_t, 20> nowhere{};
  nowhere[0] = 0xde;
  deployment.contracts.push_back(
      {.name = "Ghost", .address = evm::Address(nowhere)});
  auto reader = ChainReader::FromDeployment(client, deployment);
  REQUIRE(reader.ok());
  const uint64_t head = *(*reader)->Head();

  const std::vector<evm::Address> holders = workload->holders();
  const auto view = (*reader)->Read(head, holders);
  REQUIRE(view.ok());
  CHECK(view->block == head);
  REQUIRE(view->contracts.size() == deployment.contracts.size());
  for (const ContractState& contract : view->contracts) {
    INFO(contract.name);
    CHECK(contract.has_code == (contract.name != "Ghost"));
  }
  // Every rBTC holder is among the script's: their balances make the supply.
  evm::Uint256 sum = 0;
  for (const auto& [account, balance] : view->balances) sum += balance;
  CHECK(view->total_supply > 0);
  CHECK(sum == view->total_supply);
  CHECK(view->synced.size() == holders.size());
  CHECK(Counted(*view, MirrorEvent::Kind::kSynced) ==
        Expected(expected, "Synced"));
  CHECK(Counted(*view, MirrorEvent::Kind::kEmergencyBurn) ==
        Expected(expected, "EmergencyBurn"));

  // At the block the protocol was deployed in nothing was synced yet; the
  // events read before are kept, not read twice.
  const auto before = (*reader)->Read(deployed, holders);
  REQUIRE(before.ok());
  CHECK(before->events.empty());
  CHECK(before->total_supply == 0);
  const auto again = (*reader)->Read(head, holders);
  REQUIRE(again.ok());
  CHECK(again->events.size() == view->events.size());
}

TEST_CASE("a deployment without the oracle's contracts is refused, naming it",
          "[reconciler][chain]") {
  std::shared_ptr<evm::JsonRpcClient> client = *evm::JsonRpcClient::Create(
      {.endpoints = {testing::GetTestEnvironment().rpc_url}});
  const auto reader = ChainReader::FromDeployment(client, {});
  CHECK(reader.status().message() == "the deployment has no RBTCSynth");
}

}  // namespace
}  // namespace chainsync::reconciler
