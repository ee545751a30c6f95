// The projector: what each event means for the accounts it names.
#include "services/indexer/projector.h"

#include <catch2/catch.hpp>

#include "contracts/deploy/deployment.h"
#include "tests/services/indexer/scripted_chain.h"

namespace chainsync::indexer {
namespace {

using testing::AddressNumber;
using testing::AddressWord;
using testing::Word;

const evm::Address kContract = AddressNumber(0xee);
const evm::Address kAlice = AddressNumber(1);
const evm::Address kBob = AddressNumber(2);

// Protocol is a registry of one contract that emits a token's Transfer and
// the oracle's Synced and EmergencyBurn.
std::unique_ptr<ContractRegistry> Protocol() {
  contracts::Deployment deployment;
  deployment.contracts.push_back(
      {.name = "Protocol", .address = kContract, .abi_json = R"([
    {"type":"event","name":"Transfer","anonymous":false,"inputs":[
      {"name":"from","type":"address","indexed":true},
      {"name":"to","type":"address","indexed":true},
      {"name":"value","type":"uint256","indexed":false}]},
    {"type":"event","name":"Synced","anonymous":false,"inputs":[
      {"name":"user","type":"address","indexed":true},
      {"name":"previousBalance","type":"uint256","indexed":false},
      {"name":"newBalance","type":"uint256","indexed":false},
      {"name":"fee","type":"uint256","indexed":false}]}])"});
  return *ContractRegistry::FromDeployment(deployment);
}

// Project projects a log of the protocol with `topics` and data words.
std::vector<ActivityRow> ProjectLog(const ContractRegistry& registry,
                                    std::vector<evm::Hash> topics,
                                    const std::vector<uint64_t>& data) {
  evm::Log log;
  log.address = kContract;
  log.topics = std::move(topics);
  for (const uint64_t value : data) {
    const evm::Hash word = Word(value);
    log.data.insert(log.data.end(), word.begin(), word.end());
  }
  log.block_number = 9;
  log.log_index = 4;
  std::vector<ActivityRow> activity;
  Project(registry.Decode(std::move(log)), &activity);
  return activity;
}

const evm::Hash kTransfer = evm::Keccak256("Transfer(address,address,uint256)");
const evm::Hash kSynced =
    evm::Keccak256("Synced(address,uint256,uint256,uint256)");

TEST_CASE("a transfer moves balances out of one account into another",
          "[projector]") {
  const auto registry = Protocol();
  const auto rows = ProjectLog(
      *registry, {kTransfer, AddressWord(kAlice), AddressWord(kBob)}, {25});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].account == kAlice);
  CHECK(rows[0].direction == Direction::kOut);
  CHECK(rows[0].counterparty == kBob);
  CHECK(rows[1].account == kBob);
  CHECK(rows[1].direction == Direction::kIn);
  for (const ActivityRow& row : rows) {
    CHECK(row.kind == ActivityKind::kTransfer);
    CHECK(row.moves_balance);
    CHECK(row.token == kContract);
    CHECK(row.amount == evm::Uint256(25));
    CHECK(row.block_number == 9);
    CHECK(row.log_index == 4);
  }
}

TEST_CASE("transfers from and to the zero address mint and burn",
          "[projector]") {
  const auto registry = Protocol();
  const auto minted = ProjectLog(
      *registry, {kTransfer, AddressWord(evm::Address()), AddressWord(kBob)},
      {7});
  REQUIRE(minted.size() == 1);
  CHECK(minted[0].kind == ActivityKind::kMint);
  CHECK(minted[0].direction == Direction::kIn);
  CHECK_FALSE(minted[0].counterparty.has_value());
  const auto burnt = ProjectLog(
      *registry, {kTransfer, AddressWord(kBob), AddressWord(evm::Address())},
      {7});
  REQUIRE(burnt.size() == 1);
  CHECK(burnt[0].kind == ActivityKind::kBurn);
  CHECK(burnt[0].direction == Direction::kOut);
}

TEST_CASE("a sync records which way the mirrored balance moved",
          "[projector]") {
  const auto registry = Protocol();
  const auto up =
      ProjectLog(*registry, {kSynced, AddressWord(kAlice)}, {100, 150, 1});
  REQUIRE(up.size() == 1);
  CHECK(up[0].kind == ActivityKind::kSync);
  CHECK(up[0].direction == Direction::kIn);
  CHECK(up[0].amount == evm::Uint256(50));
  CHECK_FALSE(up[0].moves_balance);
  const auto down =
      ProjectLog(*registry, {kSynced, AddressWord(kAlice)}, {150, 100, 1});
  CHECK(down[0].direction == Direction::kOut);
  const auto same =
      ProjectLog(*registry, {kSynced, AddressWord(kAlice)}, {150, 150, 1});
  CHECK(same[0].direction == Direction::kNone);
  CHECK(same[0].amount == evm::Uint256(0));
}

TEST_CASE("an event the ABI cannot decode changes no account", "[projector]") {
  const auto registry = Protocol();
  // Transfer with its recipient missing from the topics.
  CHECK(ProjectLog(*registry, {kTransfer, AddressWord(kAlice)}, {1}).empty());
  CHECK(ProjectLog(*registry, {evm::Keccak256("Other()")}, {}).empty());
}

}  // namespace
}  // namespace chainsync::indexer
