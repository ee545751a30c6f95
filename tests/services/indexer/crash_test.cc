// kill -9 of the indexer at random moments during backfill, ten times, with
// a restart after each: the final state equals a clean run, with no
// duplicate and no gap (every batch commits with its cursor, or not at all).
#include <signal.h>

#include <catch2/catch.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/indexer/chain_follower.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/subprocess.h"

namespace chainsync::indexer {
namespace {

using testing::Subprocess;

std::unique_ptr<Subprocess> StartCrashingIndexer(
    const std::string& database_url, const std::string& deployment,
    const std::string& rpc) {
  // One block a batch, one batch at a time: slow enough for the kills to
  // land mid-backfill on a chain of a few dozen blocks. (Fetching ahead
  // changes nothing of what a commit writes.)
  return StartIndexer(
      database_url, deployment, rpc,
      {"--max_batch_blocks=1", "--fetch_ahead=0", "--confirmations=3"});
}

TEST_CASE("kill -9 during backfill, ten times, leaves a clean run's state",
          "[indexer][crash]") {
  BusyChain chain(40);

  testing::ScopedDatabase crashed;
  std::mt19937 random(20261123);
  // Moments after the indexer starts writing: within the first round's
  // backfill, which takes a few hundred milliseconds here.
  std::uniform_int_distribution<int> moment(0, 100);
  int killed_mid_backfill = 0;
  for (int round = 0; round < 10; ++round) {
    auto indexer =
        StartCrashingIndexer(crashed.url(), chain.deployment, chain.rpc());
    // The clock starts when the process starts writing, not at its launch,
    // whose cost varies with the machine's load.
    REQUIRE(indexer
                ->WaitForLine(R"("message":"indexer writer lock acquired")",
                              absl::Seconds(30))
                .has_value());
    absl::SleepFor(absl::Milliseconds(moment(random)));
    indexer->Signal(SIGKILL);
    REQUIRE(*indexer->Wait(absl::Seconds(10)) == -SIGKILL);
    const int64_t cursor = IndexedBlock(crashed.url());
    if (cursor >= 0 && cursor < chain.head) ++killed_mid_backfill;
  }
  // The last run finishes.
  auto indexer =
      StartCrashingIndexer(crashed.url(), chain.deployment, chain.rpc());
  REQUIRE(indexer->WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  REQUIRE(WaitForIndexed(*indexer, crashed.url(), chain.head));
  indexer->Signal(SIGTERM);
  REQUIRE(*indexer->Wait(absl::Seconds(20)) == 0);
  CHECK(killed_mid_backfill > 0);

  CheckEqualsCleanIndex(*chain.workload, *crashed.Connect());
}

}  // namespace
}  // namespace chainsync::indexer
