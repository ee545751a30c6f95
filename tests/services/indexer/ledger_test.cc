// The ledger: the arithmetic of balances over a batch's activity, and the
// rule that none goes below zero.
#include "services/indexer/ledger.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/services/indexer/scripted_chain.h"

namespace chainsync::indexer {
namespace {

using testing::AddressNumber;

const evm::Address kToken = AddressNumber(0xee);
const evm::Address kAlice = AddressNumber(1);
const evm::Address kBob = AddressNumber(2);

ActivityRow Moves(const evm::Address& account, Direction direction,
                  uint64_t amount, uint64_t block) {
  ActivityRow row;
  row.account = account;
  row.block_number = block;
  row.kind = ActivityKind::kTransfer;
  row.direction = direction;
  row.token = kToken;
  row.amount = evm::Uint256(amount);
  row.moves_balance = true;
  return row;
}

TEST_CASE("a ledger posts each row to its holding, in order", "[ledger]") {
  ActivityRow note;
  note.account = kAlice;
  note.kind = ActivityKind::kYield;
  const std::vector<ActivityRow> activity = {
      Moves(kAlice, Direction::kIn, 100, 1),
      note,
      Moves(kAlice, Direction::kOut, 30, 2),
      Moves(kBob, Direction::kIn, 30, 2),
      // A transfer to oneself: out, then in again.
      Moves(kBob, Direction::kOut, 30, 3),
      Moves(kBob, Direction::kIn, 30, 3),
  };
  BatchLedger ledger(activity);
  REQUIRE(ledger.keys().size() == 2);
  CHECK(ledger.keys()[0] == HoldingKey{kToken, kAlice});
  CHECK(ledger.keys()[1] == HoldingKey{kToken, kBob});
  // Alice held 5 before the batch.
  ledger.holdings()[0] = {.balance = 5, .stored = true};
  REQUIRE(ledger.Post().ok());
  CHECK(ledger.holdings()[0].balance == 75);
  CHECK(ledger.holdings()[0].last_change_block == 2);
  CHECK(ledger.holdings()[1].balance == 30);
  CHECK(ledger.holdings()[1].last_change_block == 3);
  CHECK(*ledger.BalanceAfter(0) == 105);
  CHECK(ledger.BalanceAfter(1) == nullptr);
  CHECK(*ledger.BalanceAfter(2) == 75);
  CHECK(*ledger.BalanceAfter(4) == 0);
  CHECK(*ledger.BalanceAfter(5) == 30);
}

TEST_CASE("a debit beyond the balance is refused, naming it", "[ledger]") {
  const std::vector<ActivityRow> activity = {
      Moves(kAlice, Direction::kIn, 10, 7),
      Moves(kAlice, Direction::kOut, 11, 8),
  };
  BatchLedger ledger(activity);
  const absl::Status status = ledger.Post();
  REQUIRE(absl::IsFailedPrecondition(status));
  const std::string message(status.message());
  CHECK(message.find("block 8") != std::string::npos);
  CHECK(message.find("debits 11") != std::string::npos);
  CHECK(message.find("holds only 10") != std::string::npos);
  CHECK(message.find(kAlice.ToChecksumHex()) != std::string::npos);
}

TEST_CASE("every activity kind and direction has a name of its own",
          "[ledger]") {
  std::set<std::string> names;
  for (const ActivityKind kind : kActivityKinds) {
    CHECK_FALSE(ActivityKindName(kind).empty());
    names.insert(std::string(ActivityKindName(kind)));
  }
  CHECK(names.size() == std::size(kActivityKinds));
  CHECK(ActivityKindName(ActivityKind::kEmergencyBurn) == "emergency_burn");
  CHECK(DirectionName(Direction::kIn) == "in");
  CHECK(DirectionName(Direction::kOut) == "out");
  CHECK(DirectionName(Direction::kNone) == "none");
}

}  // namespace
}  // namespace chainsync::indexer
