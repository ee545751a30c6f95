#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer_migrations.h"
#include "libs/common/postgres/migrations.h"
#include "libs/common/postgres/pool.h"
#include "services/indexer/chain_follower.h"
#include "services/indexer/json_rpc_chain_source.h"
#include "simdjson.h"
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

// Fetch is FetchBatch's batch of blocks [from, to] of chain 31337, read
// from the node `client` speaks to.
inline absl::StatusOr<Batch> Fetch(evm::JsonRpcClient& client,
                                   const ContractRegistry& registry,
                                   uint64_t from, uint64_t to) {
  JsonRpcChainSource source(client);
  return FetchBatch(source, registry, 31337, from, to).batch;
}

// Stage stages a batch as the follower does: prepared, then staged.
inline absl::StatusOr<std::unique_ptr<StagedBatch>> Stage(ChainStore& store,
                                                          Batch batch) {
  std::unique_ptr<PreparedBatch> prepared = store.Prepare(batch);
  return store.Stage(std::move(batch), std::move(prepared));
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
    "decode_error, encode(block_hash, 'hex'), encode(data, 'hex'), "
    "array_to_string(topics, ','), extract(epoch FROM block_time) "
    "FROM indexer.events ORDER BY 1, 2",
    "SELECT encode(token, 'hex'), encode(holder, 'hex'), balance::text, "
    "last_change_block "
    "FROM indexer.token_balances ORDER BY 1, 2",
    "SELECT encode(account, 'hex'), block_number, log_index, kind, direction, "
    "amount::text, details::text, balance::text "
    "FROM indexer.activity ORDER BY 1, 2, 3, 4, 5",
    "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains",
};

// What CheckEqualsCleanIndex expects of the event stream.
enum class StreamHistory {
  // Each event published once, in chain order: no reorg happened.
  kPublishedOnce,
  // Reorgs withdrew events: only the table data is compared.
  kWithReorgs,
};

// CheckEqualsCleanIndex indexes the workload's chain into a new database in
// one uninterrupted run and checks that `indexed` holds the same tables.
inline void CheckEqualsCleanIndex(
    testing::ProtocolWorkload& workload, PgConnection& indexed,
    StreamHistory history = StreamHistory::kPublishedOnce) {
  testing::ScopedDatabase clean;
  auto pool = MigratedPool(clean);
  PostgresChainStore store(*pool);
  auto registry = *ContractRegistry::FromDeployment(workload.deployment());
  JsonRpcChainSource source(workload.client());
  ChainFollower follower(
      source, *registry, store,
      {.chain_id = 31337, .confirmations = 3, .max_batch_blocks = 1000});
  FollowToHead(follower);
  std::vector<const char*> queries(std::begin(kComparedTables),
                                   std::end(kComparedTables));
  if (history == StreamHistory::kPublishedOnce) {
    queries.push_back(
        "SELECT block_number, log_index, removed FROM indexer.event_stream "
        "ORDER BY sequence");
  }
  for (const char* query : queries) {
    INFO(query);
    CHECK(Rows(indexed, query) == Rows(*clean.Connect(), query));
  }
}

// BusyChain is a private Postgres and anvil whose chain holds the scripted
// workload followed by `syncs` oracle syncs, with the deployment
// configuration the indexer binary reads written to a file.
struct BusyChain {
  explicit BusyChain(int syncs)
      : workload(testing::ProtocolWorkload::Deploy(own.environment().rpc_url)),
        deployment(absl::StrCat("/tmp/chainsync_chain_", getpid(), "_",
                                own.environment().pg_port, ".json")) {
    workload->Run();
    for (int i = 1; i <= syncs; ++i) workload->Sync(i % 3, 1000 * i);
    head = static_cast<int64_t>(*workload->client().BlockNumber());
    std::ofstream(deployment) << workload->deployment().ToJson();
  }
  ~BusyChain() { std::remove(deployment.c_str()); }
  const std::string& rpc() const { return own.environment().rpc_url; }

  testing::PrivateEnvironment own;
  std::unique_ptr<testing::ProtocolWorkload> workload;
  std::string deployment;
  int64_t head = 0;
};

// IndexedBlock is the cursor, or -1 while the database cannot say (no
// schema yet, or Postgres down).
inline int64_t IndexedBlock(const std::string& database_url) {
  auto connection = PgConnection::Connect({.url = database_url});
  if (!connection.ok()) return -1;
  auto result = (*connection)
                    ->Exec(
                        "SELECT coalesce((SELECT indexed_block FROM "
                        "indexer.chains), -1)");
  return result.ok() ? *result->GetInt64(0, 0) : -1;
}

// WaitForIndexed waits until the indexer has indexed `block`, reading its
// logs meanwhile so that it never blocks on a full pipe.
inline bool WaitForIndexed(testing::Subprocess& indexer,
                           const std::string& database_url, int64_t block,
                           absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (IndexedBlock(database_url) < block) {
    if (absl::Now() > deadline) return false;
    for (int i = 0; i < 100 && indexer.ReadLine(absl::Milliseconds(50)); ++i) {
    }
  }
  return true;
}

// WaitForRereads waits until `count` RereadBlocks requests have been carried
// out (the chain rolled back for them); false after 10 s.
inline bool WaitForRereads(PgConnection& connection, int64_t count) {
  for (int i = 0; i < 200; ++i) {
    auto done = connection.Exec(
        "SELECT count(*) FROM indexer.reread_requests WHERE done_at IS NOT "
        "NULL");
    if (done.ok() && done->GetInt64(0, 0).value_or(0) >= count) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// GrpcPortWhenReady waits until a service binary is ready and returns its
// gRPC port.
inline int GrpcPortWhenReady(testing::Subprocess& process) {
  const auto serving = testing::WaitForServing(process);
  REQUIRE(serving.has_value());
  REQUIRE(process.WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  return serving->grpc;
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
