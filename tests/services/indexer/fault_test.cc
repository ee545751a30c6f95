// Faults from outside the indexer: it retries through them and the index
// ends up equal to a run that saw none.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"

namespace chainsync::indexer {
namespace {

// IndexedBlock is the cursor, or -1 while the database cannot say.
int64_t IndexedBlock(const std::string& database_url) {
  auto connection = PgConnection::Connect({.url = database_url});
  if (!connection.ok()) return -1;
  auto result = (*connection)
                    ->Exec(
                        "SELECT coalesce((SELECT indexed_block FROM "
                        "indexer.chains), -1)");
  return result.ok() ? *result->GetInt64(0, 0) : -1;
}

TEST_CASE("Postgres restarted during ingestion: the indexer resumes",
          "[indexer][fault]") {
  testing::PrivateEnvironment own;
  const std::string rpc = own.environment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc);
  workload->Run();
  for (uint64_t i = 1; i <= 100; ++i) workload->Sync(i % 3, 1000 * i);
  const int64_t head = static_cast<int64_t>(*workload->client().BlockNumber());
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_fault_", getpid(), ".json");
  std::ofstream(deployment) << workload->deployment().ToJson();

  // One block per batch, so that the restart lands in the middle of the
  // backfill.
  auto indexer = StartIndexer(own.database_url(), deployment, rpc,
                              {"--max_batch_blocks=1", "--confirmations=3"});
  REQUIRE(indexer->WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  own.RestartPostgres();
  const int64_t after_restart = IndexedBlock(own.database_url());
  CHECK(after_restart < head);
  int64_t indexed = after_restart;
  for (int i = 0; i < 600 && indexed != head; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    indexed = IndexedBlock(own.database_url());
  }
  REQUIRE(indexed == head);
  // The restart ended the session that held the writer lock; the indexer
  // noticed, and took the lock again before it went on.
  CHECK(indexer
            ->WaitForLine(R"("message":"indexer writer lock lost")",
                          absl::Seconds(1))
            .has_value());
  CHECK(indexer
            ->WaitForLine(R"("message":"indexer writer lock acquired")",
                          absl::Seconds(1))
            .has_value());
  indexer->Signal(SIGTERM);
  REQUIRE(*indexer->Wait(absl::Seconds(20)) == 0);

  auto restarted = PgConnection::Connect({.url = own.database_url()});
  REQUIRE(restarted.ok());
  CheckEqualsCleanIndex(*workload, **restarted);
  std::remove(deployment.c_str());
}

}  // namespace
}  // namespace chainsync::indexer
