// kill -9 of the indexer at random moments during backfill, ten times, with
// a restart after each: the final state equals a clean run, with no
// duplicate and no gap (every batch commits with its cursor, or not at all).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/indexer/chain_follower.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"

namespace chainsync::indexer {
namespace {

using testing::Subprocess;

std::unique_ptr<Subprocess> StartIndexer(const std::string& database_url,
                                         const std::string& deployment,
                                         const std::string& rpc) {
  auto process = Subprocess::Start(
      {CHAINSYNC_INDEXER_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
       "--admin_port=0", "--max_batch_blocks=1", "--confirmations=3",
       "--deployment_config=" + deployment, "--rpc_url=" + rpc},
      {{"CHAINSYNC_DATABASE_URL", database_url}});
  REQUIRE(process.ok());
  return *std::move(process);
}

TEST_CASE("kill -9 during backfill, ten times, leaves a clean run's state",
          "[indexer][crash]") {
  testing::PrivateEnvironment own;
  const std::string rpc = own.environment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc);
  workload->Run();
  for (uint64_t i = 1; i <= 40; ++i) workload->Sync(i % 3, 1000 * i);
  const uint64_t head = *workload->client().BlockNumber();
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_crash_", getpid(), ".json");
  std::ofstream(deployment) << workload->deployment().ToJson();

  testing::ScopedDatabase crashed;
  std::mt19937 random(20261123);
  std::uniform_int_distribution<int> moment(20, 400);
  int killed_mid_backfill = 0;
  for (int round = 0; round < 10; ++round) {
    auto indexer = StartIndexer(crashed.url(), deployment, rpc);
    absl::SleepFor(absl::Milliseconds(moment(random)));
    indexer->Signal(SIGKILL);
    REQUIRE(*indexer->Wait(absl::Seconds(10)) == -SIGKILL);
    const auto cursor =
        Rows(*crashed.Connect(), "SELECT indexed_block FROM indexer.chains");
    if (!cursor.empty() && cursor.front() != absl::StrCat(head, "|"))
      ++killed_mid_backfill;
  }
  // The last run finishes.
  auto indexer = StartIndexer(crashed.url(), deployment, rpc);
  REQUIRE(indexer->WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  for (int i = 0; i < 600; ++i) {
    const auto cursor =
        Rows(*crashed.Connect(), "SELECT indexed_block FROM indexer.chains");
    if (!cursor.empty() && cursor.front() == absl::StrCat(head, "|")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  indexer->Signal(SIGTERM);
  REQUIRE(*indexer->Wait(absl::Seconds(20)) == 0);
  CHECK(killed_mid_backfill > 0);

  testing::ScopedDatabase clean;
  auto pool = MigratedPool(clean);
  PostgresChainStore store(*pool);
  auto registry = *ContractRegistry::FromDeployment(workload->deployment());
  ChainFollower follower(
      workload->client(), *registry, store,
      {.chain_id = 31337, .confirmations = 3, .max_batch_blocks = 1000});
  for (int i = 0; i < 100; ++i) {
    auto step = follower.Step();
    REQUIRE(step.ok());
    if (step->blocks_indexed == 0) break;
  }
  for (const char* query :
       {"SELECT block_number, log_index, contract_name, event_name, args::text "
        "FROM indexer.events ORDER BY 1, 2",
        "SELECT encode(token, 'hex'), encode(holder, 'hex'), balance::text "
        "FROM indexer.token_balances ORDER BY 1, 2",
        "SELECT encode(token, 'hex'), encode(holder, 'hex'), block_number, "
        "log_index, "
        "delta::text, balance::text FROM indexer.balance_history ORDER BY 1, "
        "2, 3, 4",
        "SELECT encode(account, 'hex'), block_number, log_index, kind, "
        "direction, amount::text "
        "FROM indexer.activity ORDER BY 1, 2, 3, 4, 5",
        "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains",
        // Each event published once, in chain order.
        "SELECT block_number, log_index, removed FROM indexer.event_stream "
        "ORDER BY sequence"}) {
    INFO(query);
    CHECK(Rows(*crashed.Connect(), query) == Rows(*clean.Connect(), query));
  }
  std::remove(deployment.c_str());
}

}  // namespace
}  // namespace chainsync::indexer
