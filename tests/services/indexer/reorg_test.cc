// Reorgs on an anvil of the test's own (snapshots and reverts change the
// whole chain): after the indexer rolls back and re-indexes, every table
// equals a fresh index of the canonical chain, and subscribers are told of
// each orphaned event.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "services/indexer/chain_follower.h"
#include "simdjson.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

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
  ChainFollower fresh(client, *registry, fresh_store, options);
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
  const auto serving =
      indexer->WaitForLine(R"("message":"serving")", absl::Seconds(30));
  REQUIRE(serving.has_value());
  REQUIRE(indexer->WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  simdjson::dom::parser parser;
  const int64_t port = parser.parse(*serving)["grpc_port"].get_int64().value();
  auto stub = v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
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
