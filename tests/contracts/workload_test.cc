// The reference contracts on anvil: every event of the scripted workload
// decodes to exactly the values that were sent, and every balance can be
// rebuilt from events alone; ReserveProofs keeps one root per proof.
#include <catch2/catch.hpp>
#include <map>

#include "absl/strings/match.h"
#include "contracts/deploy/per_account_calls.h"
#include "contracts/deploy/protocol_abi.h"
#include "libs/evm/signer.h"
#include "libs/evm/transaction_sender.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/test_env.h"

namespace chainsync::contracts {
namespace {

TEST_CASE(
    "the workload's events decode to the values sent, and rebuild every "
    "balance",
    "[contracts]") {
  auto workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  const std::vector<testing::ExpectedEvent> expected = workload->Run();
  const Deployment& deployment = workload->deployment();
  evm::JsonRpcClient& client = workload->client();

  std::map<evm::Address, std::pair<std::string, evm::ContractAbi>> contracts;
  evm::LogFilter filter{.from_block = UINT64_MAX};
  for (const DeployedContract& contract : deployment.contracts) {
    contracts.emplace(contract.address,
                      std::make_pair(contract.name, *evm::ContractAbi::FromJson(
                                                        contract.abi_json)));
    filter.addresses.push_back(contract.address);
    filter.from_block = std::min(filter.from_block, contract.start_block);
  }
  filter.to_block = *client.BlockNumber();
  const auto logs = client.GetLogs(filter);
  REQUIRE(logs.ok());

  // Every log decodes, and the sequence is exactly the one sent.
  std::map<std::string, std::map<evm::Address, evm::Uint256>> rebuilt;
  std::vector<testing::ExpectedEvent> actual;
  for (const evm::Log& log : *logs) {
    const auto& [name, abi] = contracts.at(log.address);
    REQUIRE_FALSE(log.topics.empty());
    const evm::AbiEvent* event = abi.FindEvent(log.topics[0]);
    REQUIRE(event != nullptr);
    const auto values = event->Decode(log.topics, log.data);
    REQUIRE(values.ok());
    std::string json;
    event->AppendArgumentsJson(&json, *values);
    actual.push_back({name, event->name(), json});
    if (event->name() == "Transfer") {
      const auto& from = std::get<evm::Address>((*values)[0].value);
      const auto& to = std::get<evm::Address>((*values)[1].value);
      const auto& amount = std::get<evm::Uint256>((*values)[2].value);
      if (from != evm::Address()) rebuilt[name][from] -= amount;
      if (to != evm::Address()) rebuilt[name][to] += amount;
    }
  }
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("event " << i);
    CHECK(actual[i].contract == expected[i].contract);
    CHECK(actual[i].event == expected[i].event);
    CHECK(actual[i].arguments_json == expected[i].arguments_json);
  }

  // balanceOf and totalSupply on chain equal what the events add up to.
  const auto balance_of =
      *evm::AbiFunction::Parse("balanceOf(address) returns (uint256)");
  const auto total_supply =
      *evm::AbiFunction::Parse("totalSupply() returns (uint256)");
  const auto call = [&](const evm::Address& token,
                        const evm::AbiFunction& function,
                        const std::vector<evm::AbiValue>& arguments) {
    const auto output =
        client.EthCall({.to = token, .data = *function.EncodeCall(arguments)},
                       evm::BlockRef::Number(filter.to_block));
    REQUIRE(output.ok());
    return std::get<evm::Uint256>(
        function.DecodeOutput(*output)->front().value);
  };
  for (const char* token : {"RBTCSynth", "WrappedRBTC"}) {
    const evm::Address address = deployment.Find(token)->address;
    evm::Uint256 sum = 0;
    for (const evm::Address& holder : workload->holders()) {
      INFO(token << " " << holder.ToChecksumHex());
      CHECK(call(address, balance_of, {holder}) == rebuilt[token][holder]);
      sum += rebuilt[token][holder];
    }
    CHECK(call(address, total_supply, {}) == sum);
  }
  CHECK(rebuilt["RBTCSynth"][workload->holders()[0]] == 80000);
  CHECK(rebuilt["WrappedRBTC"][workload->holders()[1]] == 5000);
}

TEST_CASE("the deployment configuration round-trips", "[contracts]") {
  auto workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  const Deployment& deployment = workload->deployment();
  const auto parsed = Deployment::FromJson(deployment.ToJson());
  REQUIRE(parsed.ok());
  CHECK(parsed->chain_id == 31337);
  CHECK(parsed->committee == deployment.committee);
  CHECK(parsed->publisher == deployment.publisher);
  REQUIRE(parsed->contracts.size() == 6);
  for (const DeployedContract& contract : deployment.contracts) {
    const DeployedContract* found = parsed->Find(contract.name);
    REQUIRE(found != nullptr);
    CHECK(found->address == contract.address);
    CHECK(found->start_block == contract.start_block);
    CHECK(evm::ContractAbi::FromJson(found->abi_json)->events().size() ==
          evm::ContractAbi::FromJson(contract.abi_json)->events().size());
  }
  CHECK(absl::IsInvalidArgument(
      Deployment::FromJson(R"({"chain_id":1})").status()));
}

TEST_CASE("ReserveProofs takes a root from its publisher alone, once per proof",
          "[contracts]") {
  auto workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  evm::JsonRpcClient& client = workload->client();
  const evm::Address contract =
      workload->deployment().Find("ReserveProofs")->address;
  const auto publish = [&](const std::string& key, uint64_t proof_id,
                           uint8_t root_byte) {
    auto signer = evm::LocalKeySigner::Create(Secret(key));
    REQUIRE(signer.ok());
    evm::TransactionSender sender(client, **signer,
                                  workload->deployment().chain_id);
    const evm::Bytes root(32, root_byte);
    return sender.SendAndWait(
        {.to = contract,
         .data = *protocol::PublishReserves().EncodeCall(
             {evm::Uint256(proof_id), root, evm::Uint256(64'000),
              evm::Uint256(70'000), evm::Uint256(12), evm::Uint256(800'000)})});
  };
  const auto root_of = [&](uint64_t proof_id) {
    const auto output = client.EthCall(
        {.to = contract,
         .data = *protocol::RootOf().EncodeCall({evm::Uint256(proof_id)})},
        evm::BlockRef::Latest());
    REQUIRE(output.ok());
    return *output;
  };
  const auto published = publish(workload->publisher_key(), 7, 0xab);
  REQUIRE(published.ok());
  REQUIRE(published->logs.size() == 1);
  CHECK(published->logs[0].topics[0] == protocol::ReservesProvedTopic());
  CHECK(evm::FromBigEndian(published->logs[0].topics[1]) == 7);
  CHECK(root_of(7) == evm::Bytes(32, 0xab));
  // Again, or by another key: refused, and the root stands.
  CHECK(absl::IsFailedPrecondition(
      publish(workload->publisher_key(), 7, 0xcd).status()));
  CHECK(absl::IsFailedPrecondition(
      publish(workload->committee_key(), 8, 0xcd).status()));
  CHECK(root_of(7) == evm::Bytes(32, 0xab));
  CHECK(root_of(8) == evm::Bytes(32, 0));
}

TEST_CASE(
    "CallPerAccount reads a view of thousands of accounts in a few eth_calls, "
    "as one call each would",
    "[contracts]") {
  auto workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  workload->Run();
  evm::JsonRpcClient& client = workload->client();
  const evm::Address token = workload->deployment().Find("RBTCSynth")->address;
  // The workload's holders among 2,500 accounts: four calls' worth.
  std::vector<evm::Address> accounts;
  for (int i = 0; i < 2'500; ++i) {
    std::array<uint8_t, 20> bytes{};
    bytes[0] = 0x77;
    bytes[18] = static_cast<uint8_t>(i >> 8);
    bytes[19] = static_cast<uint8_t>(i);
    accounts.emplace_back(bytes);
  }
  accounts[1'234] = workload->holders()[0];
  accounts[2'400] = workload->holders()[1];
  const uint64_t block = *client.BlockNumber();
  const auto read = CallPerAccount(client, protocol::BalanceOf(), token,
                                   accounts, evm::BlockRef::Number(block));
  INFO(read.status());
  REQUIRE(read.ok());
  REQUIRE(read->size() == accounts.size());
  for (const size_t i : {size_t{0}, size_t{1'234}, size_t{2'400}}) {
    const auto one = client.EthCall(
        {.to = token, .data = *protocol::BalanceOf().EncodeCall({accounts[i]})},
        evm::BlockRef::Number(block));
    REQUIRE(one.ok());
    CHECK((*read)[i] == evm::FromBigEndian(*one));
  }
  CHECK((*read)[1'234] == 80'000);
  // A contract that does not answer the view fails the read, saying so.
  const auto wrong =
      CallPerAccount(client, protocol::BalanceOf(),
                     workload->deployment().Find("ReserveProofs")->address,
                     {accounts[0]}, evm::BlockRef::Number(block));
  CHECK_FALSE(wrong.ok());
  CHECK(absl::StrContains(wrong.status().message(), "balanceOf(address)"));
}

}  // namespace
}  // namespace chainsync::contracts
