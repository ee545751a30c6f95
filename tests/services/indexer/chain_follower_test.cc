// The follower against a scripted chain and a store in memory: reorgs of
// every depth the confirmations allow, a provider's range limit, a node
// whose logs name a block it does not have, and a head that goes back. No
// node and no database: each case runs in milliseconds. The same follower
// against anvil and Postgres is tested in reorg_test.cc and fault_test.cc.
#include "services/indexer/chain_follower.h"

#include <catch2/catch.hpp>

#include "tests/services/indexer/scripted_chain.h"
#include "tests/support/fake_clock.h"

namespace chainsync::indexer {
namespace {

using testing::AddressNumber;
using testing::MemoryChainStore;
using testing::ScriptedChain;
using testing::Transfer;

constexpr uint64_t kConfirmations = 6;

const evm::Address kMinter;  // the zero address: transfers from it mint
const evm::Address kAlice = AddressNumber(1);
const evm::Address kBob = AddressNumber(2);
const evm::Address kCarol = AddressNumber(3);

// Busy mines `blocks` blocks, each minting to Alice and moving some of it
// on, so that every block has events and every balance a history.
void Busy(ScriptedChain& chain, int blocks) {
  for (int i = 0; i < blocks; ++i) {
    chain.Mine({{kMinter, kAlice, 100},
                {kAlice, kBob, 30},
                {kBob, kCarol, static_cast<uint64_t>(i % 7)}});
  }
}

// Indexing is a follower of a scripted chain into a store in memory.
struct Indexing {
  explicit Indexing(FollowerOptions options = {})
      : registry(
            *ContractRegistry::FromDeployment(testing::TokenDeployment())) {
    options.chain_id = 31337;
    options.confirmations = kConfirmations;
    follower = std::make_unique<ChainFollower>(chain, *registry, store, options,
                                               clock);
  }

  // FollowToHead steps until there is nothing left to do, and returns the
  // steps that rolled back a reorg.
  std::vector<ChainFollower::StepResult> FollowToHead() {
    std::vector<ChainFollower::StepResult> reorgs;
    for (int i = 0; i < 1000; ++i) {
      auto step = follower->Step();
      INFO(step.status());
      REQUIRE(step.ok());
      if (step->reorg_depth > 0) reorgs.push_back(*step);
      if (step->blocks_indexed == 0 && step->reorg_depth == 0) return reorgs;
    }
    FAIL("the follower did not settle");
    return reorgs;
  }

  // CheckEqualsChain checks that the store holds exactly the chain's events
  // and balances, and its cursor is the chain's head.
  void CheckEqualsChain() {
    CHECK(store.Events() == chain.Events());
    CHECK(store.Balances() == chain.Balances());
    const auto cursor = store.LoadCursor(31337);
    REQUIRE(cursor.ok());
    REQUIRE(cursor->has_value());
    CHECK((*cursor)->indexed_block == chain.head());
    const auto head = chain.Headers({chain.head()});
    CHECK((*cursor)->indexed_hash == (*head)[0]->hash);
  }

  ScriptedChain chain;
  MemoryChainStore store;
  ::chainsync::testing::FakeClock clock;
  std::unique_ptr<ContractRegistry> registry;
  std::unique_ptr<ChainFollower> follower;
};

TEST_CASE("the follower indexes a chain to its head, exactly once",
          "[follower]") {
  Indexing indexing({.max_batch_blocks = 7, .fetch_ahead = 3});
  Busy(indexing.chain, 60);
  indexing.FollowToHead();
  indexing.CheckEqualsChain();
  // New blocks at the head are taken up by the next steps.
  Busy(indexing.chain, 5);
  indexing.FollowToHead();
  indexing.CheckEqualsChain();
  CHECK(indexing.store.removed() == 0);
}

TEST_CASE("a reorg of any depth up to the confirmations is rolled back",
          "[follower]") {
  for (uint64_t depth = 1; depth <= kConfirmations; ++depth) {
    DYNAMIC_SECTION("depth " << depth) {
      Indexing indexing({.max_batch_blocks = 4});
      Busy(indexing.chain, 30);
      indexing.FollowToHead();
      const std::vector<std::string> before = indexing.chain.Events();
      // The new branch moves other amounts between other holders.
      indexing.chain.Reorg(depth, {{kMinter, kCarol, 5}, {kCarol, kBob, 2}});
      const auto reorgs = indexing.FollowToHead();
      REQUIRE(reorgs.size() == 1);
      CHECK(reorgs[0].reorg_depth == depth);
      CHECK_FALSE(reorgs[0].below_final);
      // Every event of the orphaned blocks was withdrawn, and only those.
      CHECK(reorgs[0].events_removed == static_cast<int64_t>(3 * depth));
      CHECK(indexing.store.removed() == static_cast<int64_t>(3 * depth));
      CHECK(indexing.chain.Events() != before);
      indexing.CheckEqualsChain();
    }
  }
}

TEST_CASE(
    "a reorg deeper than the confirmations is repaired and reported as one "
    "below the final line",
    "[follower]") {
  Indexing indexing({.max_batch_blocks = 4});
  Busy(indexing.chain, 30);
  indexing.FollowToHead();
  indexing.chain.Reorg(kConfirmations + 4, {{kMinter, kCarol, 5}});
  const auto reorgs = indexing.FollowToHead();
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].below_final);
  // The status keeps the head and the final line the follower knows, not
  // zeroes.
  CHECK(reorgs[0].head > 0);
  CHECK(reorgs[0].finalized > 0);
  CHECK(reorgs[0].lowest_orphan <= indexing.chain.head() - kConfirmations);
  indexing.CheckEqualsChain();
}

TEST_CASE("a reorg under the indexed head is found from the stored headers",
          "[follower]") {
  Indexing indexing({.max_batch_blocks = 3});
  Busy(indexing.chain, 20);
  indexing.FollowToHead();
  // Two reorgs in a row before the follower looks again: the second forks
  // under the first's branch.
  indexing.chain.Reorg(2, {{kMinter, kBob, 1}});
  indexing.chain.Reorg(4, {{kMinter, kCarol, 1}});
  indexing.chain.Mine();
  const auto reorgs = indexing.FollowToHead();
  REQUIRE(reorgs.size() == 1);
  CHECK(reorgs[0].reorg_depth == 4);
  indexing.CheckEqualsChain();
}

TEST_CASE("batches narrow to a provider's range limit", "[follower]") {
  for (const bool suggest : {false, true}) {
    DYNAMIC_SECTION((suggest ? "with" : "without") << " a suggested range") {
      Indexing indexing({.max_batch_blocks = 64, .fetch_ahead = 2});
      Busy(indexing.chain, 80);
      indexing.chain.LimitLogRanges(5, suggest);
      ChainFollower::StepResult last;
      for (int i = 0; i < 200; ++i) {
        auto step = indexing.follower->Step();
        REQUIRE(step.ok());
        if (step->blocks_indexed == 0) break;
        last = *step;
      }
      CHECK(last.span <= 5);
      CHECK(indexing.chain.widest_log_request() <= 5);
      indexing.CheckEqualsChain();
    }
  }
}

TEST_CASE("logs that name a block the node does not have are fetched again",
          "[follower]") {
  Indexing indexing({.fetch_ahead = 1});
  Busy(indexing.chain, 3);
  indexing.chain.AnswerLogsFromAnotherBranch();
  auto failed = indexing.follower->Step();
  REQUIRE(absl::IsUnavailable(failed.status()));
  CHECK(std::string(failed.status().message()).find("fetching again") !=
        std::string::npos);
  // Nothing of the answer was kept.
  CHECK(indexing.store.Events().empty());
  CHECK_FALSE(indexing.store.LoadCursor(31337)->has_value());
  indexing.FollowToHead();
  indexing.CheckEqualsChain();
}

TEST_CASE("a node whose head goes back leaves a correct index", "[follower]") {
  Indexing indexing({.max_batch_blocks = 5});
  Busy(indexing.chain, 25);
  indexing.FollowToHead();
  // A load balancer now answers from a node three blocks behind. What the
  // follower keeps meanwhile is what that node holds: a prefix of the chain.
  indexing.chain.LagBy(3);
  for (int i = 0; i < 5; ++i) {
    auto step = indexing.follower->Step();
    REQUIRE(step.ok());
    CHECK(step->indexed <= indexing.chain.head() - 3);
  }
  const std::vector<std::string> kept = indexing.store.Events();
  const std::vector<std::string> chain = indexing.chain.Events();
  REQUIRE(kept.size() <= chain.size());
  CHECK(std::equal(kept.begin(), kept.end(), chain.begin()));
  // It catches up, and more blocks come.
  indexing.chain.LagBy(0);
  Busy(indexing.chain, 4);
  indexing.FollowToHead();
  indexing.CheckEqualsChain();
}

TEST_CASE("an overdraft stops the batch and stores nothing of it",
          "[follower]") {
  Indexing indexing;
  // Bob sends what he never received: a token not indexed from its start.
  indexing.chain.Mine({{kMinter, kAlice, 10}});
  indexing.chain.Mine({{kBob, kCarol, 4}});
  // The first batch, one block, commits; the next fails at each attempt.
  REQUIRE(indexing.follower->Step().ok());
  const size_t stored = indexing.store.Events().size();
  for (int i = 0; i < 3; ++i) {
    auto step = indexing.follower->Step();
    REQUIRE(absl::IsFailedPrecondition(step.status()));
    CHECK(std::string(step.status().message()).find("holds only 0") !=
          std::string::npos);
  }
  CHECK(indexing.store.Events().size() == stored);
}

}  // namespace
}  // namespace chainsync::indexer
