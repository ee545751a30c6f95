// The life of a journaled on-chain action, decided from what the chain
// says: broadcast, mined, confirmed, failed, replaced, sent again.
#include "services/oracle/operation_tracker.h"

#include <catch2/catch.hpp>

namespace chainsync::oracle {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const TrackerRules kRules{.confirmations = 3, .stuck_after = absl::Minutes(2)};

evm::Hash HashOf(uint8_t seed) {
  evm::Hash hash{};
  hash[0] = seed;
  return hash;
}

TrackedOperation Op(int64_t id, OperationState state, uint64_t nonce,
                    std::optional<absl::Time> broadcast_at = kNow) {
  return {.id = id,
          .state = state,
          .nonce = nonce,
          .tx_hash = HashOf(static_cast<uint8_t>(id)),
          .broadcast_at =
              state == OperationState::kPlanned ? std::nullopt : broadcast_at,
          .max_fee_per_gas = 80,
          .max_priority_fee_per_gas = 8};
}

evm::Receipt ReceiptOf(int64_t id, uint64_t block, bool success = true) {
  return {.transaction_hash = HashOf(static_cast<uint8_t>(id)),
          .block_number = block,
          .success = success};
}

TEST_CASE("a planned operation is broadcast", "[oracle][tracker]") {
  const auto actions = Track({Op(1, OperationState::kPlanned, 7)},
                             {.head = 100, .settled_nonce = 7}, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == Action::Kind::kBroadcast);
  CHECK(actions[0].id == 1);
}

TEST_CASE("a receipt makes it mined, and final under enough blocks",
          "[oracle][tracker]") {
  ChainView chain{.head = 101, .settled_nonce = 8};
  chain.receipts[HashOf(1)] = ReceiptOf(1, 100);
  auto actions =
      Track({Op(1, OperationState::kBroadcast, 7)}, chain, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].state == OperationState::kMined);
  CHECK(actions[0].receipt->block_number == 100);
  // Mined already: nothing to do until it is deep enough.
  CHECK(Track({Op(1, OperationState::kMined, 7)}, chain, kRules, kNow).empty());
  chain.head = 102;
  actions = Track({Op(1, OperationState::kMined, 7)}, chain, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].state == OperationState::kConfirmed);
}

TEST_CASE("a reverted transaction fails the operation", "[oracle][tracker]") {
  ChainView chain{.head = 110, .settled_nonce = 8};
  chain.receipts[HashOf(1)] = ReceiptOf(1, 100, false);
  const auto actions =
      Track({Op(1, OperationState::kBroadcast, 7)}, chain, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].state == OperationState::kFailed);
  CHECK(actions[0].reason == "reverted in block 100");
}

TEST_CASE("a reorg that took its block out sends the same bytes again",
          "[oracle][tracker]") {
  const auto actions = Track({Op(1, OperationState::kMined, 7)},
                             {.head = 100, .settled_nonce = 7}, kRules, kNow);
  REQUIRE(actions.size() == 2);
  CHECK(actions[0].state == OperationState::kBroadcast);
  CHECK(actions[0].reason == "a reorg removed its block");
  CHECK(actions[1].kind == Action::Kind::kBroadcast);
}

TEST_CASE("a stuck transaction is replaced with raised fees, only the newest",
          "[oracle][tracker]") {
  const absl::Time long_ago = kNow - absl::Minutes(5);
  auto actions = Track({Op(1, OperationState::kBroadcast, 7, long_ago)},
                       {.head = 100, .settled_nonce = 7}, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == Action::Kind::kReplace);
  CHECK(actions[0].max_fee_per_gas == 91);
  CHECK(actions[0].max_priority_fee_per_gas == 10);
  // Not yet stuck: left alone.
  CHECK(Track({Op(1, OperationState::kBroadcast, 7, kNow - absl::Seconds(30))},
              {.head = 100, .settled_nonce = 7}, kRules, kNow)
            .empty());
  // With a replacement already out, the replacement is the one raised.
  TrackedOperation replacement = Op(2, OperationState::kBroadcast, 7, long_ago);
  replacement.replaces = 1;
  actions = Track({Op(1, OperationState::kBroadcast, 7, long_ago), replacement},
                  {.head = 100, .settled_nonce = 7}, kRules, kNow);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].id == 2);
}

TEST_CASE("of the operations sharing a nonce, the one mined wins",
          "[oracle][tracker]") {
  for (const int64_t winner : {1, 2}) {
    ChainView chain{.head = 100, .settled_nonce = 8};
    chain.receipts[HashOf(static_cast<uint8_t>(winner))] =
        ReceiptOf(winner, 100);
    const auto actions = Track({Op(1, OperationState::kBroadcast, 7),
                                Op(2, OperationState::kBroadcast, 7)},
                               chain, kRules, kNow);
    REQUIRE(actions.size() == 2);
    CHECK(actions[0].id == 3 - winner);
    CHECK(actions[0].state == OperationState::kReplaced);
    CHECK(actions[1].id == winner);
    CHECK(actions[1].state == OperationState::kMined);
  }
}

TEST_CASE(
    "a transaction the node lost is sent again at once, the newest "
    "of its nonce",
    "[oracle][tracker]") {
  // Nonces 8 and 9 broadcast; the node's pending pool ends at 8: it holds
  // neither any more. Nonce 8 has a replacement, which goes alone.
  ChainView chain{.head = 100, .settled_nonce = 8, .pending_nonce = 8};
  const std::vector<TrackedOperation> open = {
      Op(1, OperationState::kBroadcast, 8),
      Op(2, OperationState::kBroadcast, 9),
      Op(3, OperationState::kBroadcast, 8)};
  auto actions = Track(open, chain, kRules, kNow);
  REQUIRE(actions.size() == 2);
  CHECK(actions[0].kind == Action::Kind::kBroadcast);
  CHECK(actions[0].id == 3);
  CHECK(actions[0].reason == "nonce 8 is missing from the node's pending pool");
  CHECK(actions[1].kind == Action::Kind::kBroadcast);
  CHECK(actions[1].id == 2);
  // The node holds both: nothing to do until one is stuck.
  chain.pending_nonce = 10;
  CHECK(Track(open, chain, kRules, kNow).empty());
  // Not read: no gap is assumed.
  chain.pending_nonce.reset();
  CHECK(Track(open, chain, kRules, kNow).empty());
}

TEST_CASE("a nonce spent by a transaction not journaled fails its operations",
          "[oracle][tracker]") {
  const auto actions = Track({Op(1, OperationState::kBroadcast, 7),
                              Op(2, OperationState::kBroadcast, 7)},
                             {.head = 100, .settled_nonce = 8}, kRules, kNow);
  REQUIRE(actions.size() == 2);
  for (const Action& action : actions) {
    CHECK(action.state == OperationState::kFailed);
    CHECK(action.reason.find("nonce 7") != std::string::npos);
  }
}

TEST_CASE("the lowest nonce goes first, final operations are left alone",
          "[oracle][tracker]") {
  const auto actions = Track(
      {Op(3, OperationState::kPlanned, 9), Op(1, OperationState::kPlanned, 8),
       Op(2, OperationState::kConfirmed, 6)},
      {.head = 100, .settled_nonce = 7}, kRules, kNow);
  REQUIRE(actions.size() == 2);
  CHECK(actions[0].id == 1);
  CHECK(actions[1].id == 3);
}

TEST_CASE("the next nonce is above the journal's and the chain's",
          "[oracle][tracker]") {
  CHECK(NextNonce(std::nullopt, 0) == 0);
  CHECK(NextNonce(std::nullopt, 5) == 5);
  CHECK(NextNonce(9, 5) == 10);
  CHECK(NextNonce(3, 5) == 5);
}

}  // namespace
}  // namespace chainsync::oracle
