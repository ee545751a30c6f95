// Reorgs on an anvil of the test's own (snapshots and reverts change the
// whole chain): after the indexer rolls back and re-indexes, every table
// equals a fresh index of the canonical chain, and subscribers are told of
// each orphaned event.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "services/indexer/chain_follower.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

std::unique_ptr<v1::IndexerService::Stub> StubWhenReady(
    testing::Subprocess& indexer) {
  return v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", GrpcPortWhenReady(indexer)),
      grpc::InsecureChannelCredentials()));
}

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
  JsonRpcChainSource source(client);
  ChainFollower reorged(source, *registry, reorged_store, options);
  FollowToHead(reorged);
  const int64_t published = static_cast<int64_t>(
      Rows(**reorged_pool->Acquire(), "SELECT 1 FROM indexer.event_stream")
          .size());

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
  ChainFollower fresh(source, *registry, fresh_store, options);
  FollowToHead(fresh);

  for (const char* query : kComparedTables) {
    INFO(query);
    CHECK(Rows(**reorged_pool->Acquire(), query) ==
          Rows(**fresh_pool->Acquire(), query));
  }
  // Every event published on the orphaned branch was withdrawn.
  const auto removals =
      Rows(**reorged_pool->Acquire(),
           "SELECT 1 FROM indexer.event_stream WHERE removed");
  CHECK(static_cast<int64_t>(removals.size()) == removed);
  CHECK(removed > 0);
  const auto live =
      Rows(**reorged_pool->Acquire(),
           "SELECT 1 FROM indexer.event_stream WHERE NOT removed");
  CHECK(static_cast<int64_t>(live.size()) - removed ==
        static_cast<int64_t>(
            Rows(**fresh_pool->Acquire(), "SELECT 1 FROM indexer.events")
                .size()));
  CHECK(published > 0);
}

}  // namespace
}  // namespace chainsync::indexer

namespace chainsync::indexer {
namespace {

TEST_CASE("a subscriber sees every orphaned event removed",
          "[indexer][reorg]") {
  testing::PrivateEnvironment own;
  const std::string rpc = own.environment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc);
  evm::JsonRpcClient& client = workload->client();
  const auto snapshot = client.Call("evm_snapshot", "[]");
  REQUIRE(snapshot.ok());
  const size_t orphaned =
      workload->Run().size() - 3;  // the wiring precedes the snapshot
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_reorg_", getpid(), ".json");
  std::ofstream(deployment) << workload->deployment().ToJson();

  testing::ScopedDatabase database;
  auto indexer = StartIndexer(database.url(), deployment, rpc,
                              {"--confirmations=4", "--poll_interval=50ms"});
  auto stub = StubWhenReady(*indexer);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto reader = stub->Subscribe(&context, request);

  // Everything the workload did arrives first.
  std::map<std::pair<uint64_t, uint32_t>, std::string> live;
  v1::SubscribeResponse message;
  while (live.size() < orphaned + 3 && reader->Read(&message)) {
    if (message.has_event() && !message.event().removed()) {
      live[{message.event().position().block_number(),
            message.event().position().log_index()}] =
          message.event().args().DebugString();
    }
  }
  REQUIRE(live.size() == orphaned + 3);

  REQUIRE(client.Call("evm_revert", absl::StrCat("[", *snapshot, "]")).ok());
  workload->Sync(0, 999);
  for (int i = 0; i < 3; ++i) REQUIRE(client.Call("evm_mine", "[]").ok());

  // The orphaned events come back as removals, each as it was first sent,
  // and then the new branch's events.
  size_t removed = 0;
  size_t fresh = 0;
  while ((removed < orphaned || fresh < 2) && reader->Read(&message)) {
    if (!message.has_event()) continue;
    const v1::Event& event = message.event();
    const auto key = std::make_pair(event.position().block_number(),
                                    event.position().log_index());
    if (event.removed()) {
      REQUIRE(live.count(key) == 1);
      CHECK(live[key] == event.args().DebugString());
      ++removed;
    } else {
      ++fresh;  // the sync's Transfer and Synced
    }
  }
  CHECK(removed == orphaned);
  CHECK(fresh == 2);
  context.TryCancel();
  indexer->Signal(SIGTERM);
  CHECK(*indexer->Wait(absl::Seconds(20)) == 0);
  std::remove(deployment.c_str());
}

}  // namespace
}  // namespace chainsync::indexer

namespace chainsync::indexer {
namespace {

// What a subscriber holds: the events it was sent and not since told were
// removed, by position, with the block hash and arguments they came with.
struct SubscriberView {
  std::map<std::pair<uint64_t, uint32_t>, std::string> live;
  uint64_t last_sequence = 0;
  size_t removals = 0;
  std::vector<std::string> errors;
};

TEST_CASE("random reorgs of depth 1 to 20 while the workload runs",
          "[indexer][reorg]") {
  BusyChain chain(0);
  evm::JsonRpcClient& client = chain.workload->client();
  testing::ScopedDatabase database;
  auto indexer = StartIndexer(database.url(), chain.deployment, chain.rpc(),
                              {"--confirmations=25", "--poll_interval=20ms"});
  auto stub = StubWhenReady(*indexer);
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto reader = stub->Subscribe(&context, request);
  std::mutex mu;
  SubscriberView view;
  std::thread subscriber([&] {
    v1::SubscribeResponse message;
    while (reader->Read(&message)) {
      if (!message.has_event()) continue;
      const v1::Event& event = message.event();
      const auto key = std::make_pair(event.position().block_number(),
                                      event.position().log_index());
      const std::string content = absl::StrCat(event.position().block_hash(),
                                               " ", event.args().DebugString());
      std::lock_guard<std::mutex> lock(mu);
      view.last_sequence = event.sequence();
      if (!event.removed()) {
        if (!view.live.emplace(key, content).second) {
          view.errors.push_back(
              absl::StrCat("sent twice: ", key.first, "/", key.second));
        }
      } else if (view.live.count(key) == 0 || view.live[key] != content) {
        view.errors.push_back(absl::StrCat(
            "removal of an event not sent: ", key.first, "/", key.second));
      } else {
        view.live.erase(key);
        ++view.removals;
      }
    }
  });

  const uint32_t seed = Catch::rngSeed();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  int64_t syncs = 0;
  for (int round = 0; round < 8; ++round) {
    const int depth = 1 + static_cast<int>(random() % 20);
    INFO("round " << round << ", depth " << depth);
    const std::string snapshot = *client.Call("evm_snapshot", "[]");
    // Each sync is a block with a Transfer and a Synced event.
    for (int i = 0; i < depth; ++i) chain.workload->Sync(i % 3, 1000 + ++syncs);
    // Half the time the orphaned events were indexed and sent first.
    if (random() % 2 == 0) {
      REQUIRE(WaitForIndexed(*indexer, database.url(),
                             static_cast<int64_t>(*client.BlockNumber())));
    }
    REQUIRE(client.Call("evm_revert", absl::StrCat("[", snapshot, "]")).ok());
    if (round % 2 == 0) {
      // A shorter branch with other events.
      chain.workload->Sync(round % 3, 7 + ++syncs);
    } else {
      // A branch of the same height without the events.
      REQUIRE(client.Call("anvil_mine", absl::StrCat("[", depth, "]")).ok());
    }
  }
  chain.workload->Sync(0, 5);
  const int64_t head = static_cast<int64_t>(*client.BlockNumber());
  REQUIRE(WaitForIndexed(*indexer, database.url(), head));
  CheckEqualsCleanIndex(*chain.workload, *database.Connect(),
                        StreamHistory::kWithReorgs);

  // The subscriber ends with exactly the indexed events, having seen every
  // orphaned one withdrawn.
  const auto latest = Rows(*database.Connect(),
                           "SELECT max(sequence) FROM indexer.event_stream");
  const uint64_t last = std::stoull(latest.at(0));
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (view.last_sequence >= last) break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  context.TryCancel();
  subscriber.join();
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
  std::vector<std::string> indexed;
  for (const std::string& row :
       Rows(*database.Connect(),
            "SELECT block_number, log_index FROM indexer.events "
            "ORDER BY 1, 2")) {
    indexed.push_back(row);
  }
  std::vector<std::string> held;
  for (const auto& [key, content] : view.live) {
    held.push_back(absl::StrCat(key.first, "|", key.second, "|"));
  }
  CHECK(view.errors.empty());
  CHECK(view.removals > 0);
  CHECK(held == indexed);
  indexer->Signal(SIGTERM);
  CHECK(*indexer->Wait(absl::Seconds(20)) == 0);
}

}  // namespace
}  // namespace chainsync::indexer
