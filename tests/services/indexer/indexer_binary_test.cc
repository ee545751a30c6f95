// The indexer binary against the fixture chain: it indexes the workload to
// the head, exports its progress, and a standby process takes over when the
// writer is killed.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/http/http_client.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

using testing::Subprocess;

std::unique_ptr<Subprocess> StartIndexer(const std::string& database_url,
                                         const std::string& deployment_file) {
  auto process = Subprocess::Start(
      {CHAINSYNC_INDEXER_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
       "--admin_port=0", "--confirmations=2", "--poll_interval=50ms",
       "--deployment_config=" + deployment_file,
       "--rpc_url=" + testing::GetTestEnvironment().rpc_url},
      {{"CHAINSYNC_DATABASE_URL", database_url}});
  REQUIRE(process.ok());
  return *std::move(process);
}

int64_t IndexedBlock(const testing::ScopedDatabase& database) {
  auto result = database.Connect()->Exec(
      "SELECT coalesce((SELECT indexed_block FROM indexer.chains), -1)");
  return result.ok() ? *result->GetInt64(0, 0) : -1;
}

// WaitForCursor waits until the indexed block reaches `block`.
bool WaitForCursor(const testing::ScopedDatabase& database, uint64_t block) {
  for (int i = 0; i < 600; ++i) {
    if (IndexedBlock(database) >= static_cast<int64_t>(block)) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST_CASE("the indexer binary indexes to the head, and a standby takes over",
          "[indexer][binary]") {
  auto workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  const std::vector<testing::ExpectedEvent> expected = workload->Run();
  const std::string deployment_file =
      absl::StrCat("/tmp/chainsync_indexer_test_", getpid(), ".json");
  std::ofstream(deployment_file) << workload->deployment().ToJson();
  testing::ScopedDatabase database;

  auto writer = StartIndexer(database.url(), deployment_file);
  REQUIRE(writer->WaitForLine("indexer writer lock acquired", absl::Seconds(30))
              .has_value());
  const uint64_t head = *workload->client().BlockNumber();
  REQUIRE(WaitForCursor(database, head));
  auto connection = database.Connect();
  auto events = connection->Exec("SELECT count(*) FROM indexer.events");
  CHECK(*events->GetInt64(0, 0) == static_cast<int64_t>(expected.size()));
  auto balance = connection->Exec(
      "SELECT balance::text FROM indexer.token_balances WHERE holder = "
      "decode($1, 'hex') "
      "AND token = decode($2, 'hex')",
      PgParams()
          .Add(workload->holders()[0].ToLowerHex().substr(2))
          .Add(workload->deployment()
                   .Find("RBTCSynth")
                   ->address.ToLowerHex()
                   .substr(2)));
  REQUIRE(balance->rows() == 1);
  CHECK(balance->Get(0, 0) == "80000");

  // A second process on the same database waits.
  auto standby = StartIndexer(database.url(), deployment_file);
  REQUIRE(standby->WaitForLine("indexer on standby", absl::Seconds(30))
              .has_value());

  // The writer dies without a word; the standby takes the lock and goes on.
  writer->Signal(SIGKILL);
  CHECK(*writer->Wait(absl::Seconds(10)) == -SIGKILL);
  REQUIRE(
      standby->WaitForLine("indexer writer lock acquired", absl::Seconds(15))
          .has_value());
  workload->Sync(1, 7777);
  const uint64_t later = *workload->client().BlockNumber();
  REQUIRE(WaitForCursor(database, later));
  auto synced = connection->Exec(
      "SELECT count(*) FROM indexer.activity WHERE kind = 'sync' AND amount = "
      "7777");
  CHECK(*synced->GetInt64(0, 0) == 1);

  standby->Signal(SIGTERM);
  CHECK(*standby->Wait(absl::Seconds(20)) == 0);
  std::remove(deployment_file.c_str());
}

}  // namespace
}  // namespace chainsync::indexer
