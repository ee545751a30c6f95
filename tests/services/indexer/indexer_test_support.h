#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer_migrations.h"
#include "libs/common/postgres/migrations.h"
#include "libs/common/postgres/pool.h"
#include "services/indexer/chain_follower.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {

// MigratedPool is a pool on a test database with the indexer's schema.
inline std::unique_ptr<PgPool> MigratedPool(
    const testing::ScopedDatabase& database) {
  auto pool = PgPool::Create({.connect = {.url = database.url()}});
  if (!pool.ok()) std::abort();
  auto connection = (*pool)->Acquire();
  if (!connection.ok() ||
      !ApplyMigrations(**connection, "indexer", IndexerMigrations()).ok()) {
    std::abort();
  }
  return *std::move(pool);
}

// Rows returns the rows of a query as "a|b|" lines, to compare tables
// between databases.
inline std::vector<std::string> Rows(PgConnection& connection,
                                     const std::string& sql) {
  auto result = connection.Exec(sql);
  if (!result.ok()) std::abort();
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
inline uint64_t FollowToHead(ChainFollower& follower,
                             int64_t* removed = nullptr) {
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

// The tables an index consists of, in an order that makes two indexes of
// one chain compare equal.
inline constexpr const char* kComparedTables[] = {
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

// CheckEqualsCleanIndex indexes the workload's chain into a new database in
// one uninterrupted run and checks that `indexed` holds the same tables, with
// each event published once, in chain order.
inline void CheckEqualsCleanIndex(testing::ProtocolWorkload& workload,
                                  PgConnection& indexed) {
  testing::ScopedDatabase clean;
  auto pool = MigratedPool(clean);
  PostgresChainStore store(*pool);
  auto registry = *ContractRegistry::FromDeployment(workload.deployment());
  ChainFollower follower(
      workload.client(), *registry, store,
      {.chain_id = 31337, .confirmations = 3, .max_batch_blocks = 1000});
  FollowToHead(follower);
  std::vector<const char*> queries(std::begin(kComparedTables),
                                   std::end(kComparedTables));
  queries.push_back(
      "SELECT block_number, log_index, removed FROM indexer.event_stream "
      "ORDER BY sequence");
  for (const char* query : queries) {
    INFO(query);
    CHECK(Rows(indexed, query) == Rows(*clean.Connect(), query));
  }
}

// StartIndexer runs the indexer binary on a database and an RPC endpoint.
inline std::unique_ptr<testing::Subprocess> StartIndexer(
    const std::string& database_url, const std::string& deployment,
    const std::string& rpc, const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {CHAINSYNC_INDEXER_BIN,
                                   "--listen_host=127.0.0.1",
                                   "--grpc_port=0",
                                   "--admin_port=0",
                                   "--deployment_config=" + deployment,
                                   "--rpc_url=" + rpc};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto process = testing::Subprocess::Start(
      argv, {{"CHAINSYNC_DATABASE_URL", database_url}});
  REQUIRE(process.ok());
  return *std::move(process);
}

}  // namespace chainsync::indexer
