// Reorgs on an anvil of the test's own (snapshots and reverts change the
// whole chain): after the indexer rolls back and re-indexes, every table
// equals a fresh index of the canonical chain, and subscribers are told of
// each orphaned event.
#include <catch2/catch.hpp>

#include "services/indexer/chain_follower.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

std::vector<std::string> Rows(PgPool& pool, const std::string& sql) {
  auto connection = pool.Acquire();
  auto result = (*connection)->Exec(sql);
  REQUIRE(result.ok());
  std::vector<std::string> rows;
  for (int row = 0; row < result->rows(); ++row) {
    std::string line;
    for (int column = 0; column < result->columns(); ++column) {
      absl::StrAppend(
          &line,
          result->IsNull(row, column) ? "NULL" : result->Get(row, column), "|");
    }
    rows.push_back(line);
  }
  return rows;
}

// Steps until the follower has nothing left to do; returns the deepest reorg.
uint64_t FollowToHead(ChainFollower& follower, int64_t* removed = nullptr) {
  uint64_t deepest = 0;
  for (int i = 0; i < 1000; ++i) {
    auto step = follower.Step();
    INFO(step.status());
    REQUIRE(step.ok());
    deepest = std::max(deepest, step->reorg_depth);
    if (removed != nullptr) *removed += step->events_removed;
    if (step->blocks_indexed == 0 && step->reorg_depth == 0) return deepest;
  }
  FAIL("the follower did not settle");
  return deepest;
}

constexpr const char* kComparedTables[] = {
    "SELECT block_number, log_index, contract_name, event_name, args::text, "
    "decode_error "
    "FROM indexer.events ORDER BY 1, 2",
    "SELECT encode(token, 'hex'), encode(holder, 'hex'), balance::text, "
    "last_change_block "
    "FROM indexer.token_balances ORDER BY 1, 2",
    "SELECT encode(token, 'hex'), encode(holder, 'hex'), block_number, "
    "log_index, delta::text, "
    "balance::text FROM indexer.balance_history ORDER BY 1, 2, 3, 4",
    "SELECT encode(account, 'hex'), block_number, log_index, kind, direction, "
    "amount::text, "
    "details::text FROM indexer.activity ORDER BY 1, 2, 3, 4, 5",
    "SELECT block_number, log_index, encode(block_hash, 'hex'), encode(data, "
    "'hex') "
    "FROM indexer.logs ORDER BY 1, 2",
    "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains",
};

TEST_CASE("after a reorg the tables equal a fresh index of the canonical chain",
          "[indexer][reorg]") {
  testing::PrivateEnvironment own;
  auto workload = testing::ProtocolWorkload::Deploy(own.environment().rpc_url);
  evm::JsonRpcClient& client = workload->client();
  const auto snapshot = client.Call("evm_snapshot", "[]");
  REQUIRE(snapshot.ok());
  workload->Run();
  auto registry = *ContractRegistry::FromDeployment(workload->deployment());

  testing::ScopedDatabase reorged_database;
  auto reorged_pool = MigratedPool(reorged_database);
  PostgresChainStore reorged_store(*reorged_pool);
  const FollowerOptions options{
      .chain_id = 31337, .confirmations = 4, .max_batch_blocks = 5};
  ChainFollower reorged(client, *registry, reorged_store, options);
  FollowToHead(reorged);
  const int64_t published = static_cast<int64_t>(
      Rows(*reorged_pool, "SELECT 1 FROM indexer.event_stream").size());

  // Back to just after the deployment, and another history from there.
  REQUIRE(client.Call("evm_revert", absl::StrCat("[", *snapshot, "]")).ok());
  workload->Sync(0, 999);
  workload->Sync(2, 12345);
  for (int i = 0; i < 3; ++i) REQUIRE(client.Call("evm_mine", "[]").ok());
  int64_t removed = 0;
  CHECK(FollowToHead(reorged, &removed) > 0);

  testing::ScopedDatabase fresh_database;
  auto fresh_pool = MigratedPool(fresh_database);
  PostgresChainStore fresh_store(*fresh_pool);
  ChainFollower fresh(client, *registry, fresh_store, options);
  FollowToHead(fresh);

  for (const char* query : kComparedTables) {
    INFO(query);
    CHECK(Rows(*reorged_pool, query) == Rows(*fresh_pool, query));
  }
  // Every event published on the orphaned branch was withdrawn.
  const auto removals =
      Rows(*reorged_pool, "SELECT 1 FROM indexer.event_stream WHERE removed");
  CHECK(static_cast<int64_t>(removals.size()) == removed);
  CHECK(removed > 0);
  const auto live = Rows(
      *reorged_pool, "SELECT 1 FROM indexer.event_stream WHERE NOT removed");
  CHECK(static_cast<int64_t>(live.size()) - removed ==
        static_cast<int64_t>(
            Rows(*fresh_pool, "SELECT 1 FROM indexer.events").size()));
  CHECK(published > 0);
}

}  // namespace
}  // namespace chainsync::indexer
