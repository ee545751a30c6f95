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

std::unique_ptr<Subprocess> StartCrashingIndexer(
    const std::string& database_url, const std::string& deployment,
    const std::string& rpc) {
  return StartIndexer(database_url, deployment, rpc,
                      {"--max_batch_blocks=1", "--confirmations=3"});
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
    auto indexer = StartCrashingIndexer(crashed.url(), deployment, rpc);
    absl::SleepFor(absl::Milliseconds(moment(random)));
    indexer->Signal(SIGKILL);
    REQUIRE(*indexer->Wait(absl::Seconds(10)) == -SIGKILL);
    const auto cursor =
        Rows(*crashed.Connect(), "SELECT indexed_block FROM indexer.chains");
    if (!cursor.empty() && cursor.front() != absl::StrCat(head, "|"))
      ++killed_mid_backfill;
  }
  // The last run finishes.
  auto indexer = StartCrashingIndexer(crashed.url(), deployment, rpc);
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

  CheckEqualsCleanIndex(*workload, *crashed.Connect());
  std::remove(deployment.c_str());
}

}  // namespace
}  // namespace chainsync::indexer
