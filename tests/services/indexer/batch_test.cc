// A batch of the scripted workload, fetched from anvil and committed to
// Postgres: the stored events, balances, history, activity, stream and
// cursor are what the chain says, and the same blocks cannot be written
// twice.
#include "services/indexer/batch.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "absl/container/flat_hash_map.h"
#include "services/indexer/chain_store.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

int64_t Count(PgPool& pool, const std::string& sql) {
  auto connection = pool.Acquire();
  auto result = (*connection)->Exec(sql);
  REQUIRE(result.ok());
  return *result->GetInt64(0, 0);
}

// IndexedWorkload is an empty database with the indexer's schema, beside
// anvil with the scripted workload run on it.
struct IndexedWorkload {
  testing::ScopedDatabase database;
  std::unique_ptr<PgPool> pool = MigratedPool(database);
  std::unique_ptr<testing::ProtocolWorkload> workload =
      testing::ProtocolWorkload::Deploy(testing::GetTestEnvironment().rpc_url);
  std::vector<testing::ExpectedEvent> expected = workload->Run();
};

// CheckBalancesMatchChain checks that every workload holder's stored
// balance of each token equals balanceOf at block `head`.
void CheckBalancesMatchChain(testing::ProtocolWorkload& workload,
                             PgConnection& connection, uint64_t head) {
  const auto balance_of =
      *evm::AbiFunction::Parse("balanceOf(address) returns (uint256)");
  for (const char* token : {"RBTCSynth", "WrappedRBTC"}) {
    const evm::Address address = workload.deployment().Find(token)->address;
    for (const evm::Address& holder : workload.holders()) {
      const auto output = workload.client().EthCall(
          {.to = address, .data = *balance_of.EncodeCall({holder})},
          evm::BlockRef::Number(head));
      const evm::Uint256 on_chain = std::get<evm::Uint256>(
          balance_of.DecodeOutput(*output)->front().value);
      auto stored = connection.Exec(
          "SELECT coalesce((SELECT balance::text FROM indexer.token_balances "
          "WHERE chain_id = 31337 AND token = decode($1, 'hex') AND holder = "
          "decode($2, 'hex')), '0')",
          PgParams()
              .Add(address.ToLowerHex().substr(2))
              .Add(holder.ToLowerHex().substr(2)));
      INFO(token << " " << holder.ToChecksumHex());
      CHECK(stored->Get(0, 0) == evm::ToDecimal(on_chain));
    }
  }
}

TEST_CASE("the workload's blocks are indexed with the chain's values",
          "[indexer]") {
  IndexedWorkload indexed;
  auto& pool = indexed.pool;
  auto& workload = indexed.workload;
  const std::vector<testing::ExpectedEvent>& expected = indexed.expected;
  auto registry = ContractRegistry::FromDeployment(workload->deployment());
  REQUIRE(registry.ok());
  evm::JsonRpcClient& client = workload->client();
  const uint64_t head = *client.BlockNumber();

  auto batch = Fetch(client, **registry, (*registry)->start_block(), head);
  REQUIRE(batch.ok());
  REQUIRE(batch->events.size() == expected.size());
  PostgresChainStore store(*pool);
  REQUIRE(store.Commit(*batch).ok());

  // Events, in chain order, with the arguments that were sent.
  auto connection = pool->Acquire();
  auto rows = (*connection)
                  ->Exec(
                      "SELECT contract_name, event_name, args::text FROM "
                      "indexer.events "
                      "ORDER BY block_number, log_index");
  REQUIRE(rows.ok());
  REQUIRE(rows->rows() == static_cast<int>(expected.size()));
  for (int i = 0; i < rows->rows(); ++i) {
    INFO("event " << i);
    CHECK(rows->Get(i, 0) == expected[i].contract);
    CHECK(rows->Get(i, 1) == expected[i].event);
    auto same = (*connection)
                    ->Exec("SELECT $1::jsonb = $2::jsonb",
                           PgParams()
                               .Add(rows->Get(i, 2))
                               .Add(expected[i].arguments_json));
    CHECK(same->Get(0, 0) == "t");
  }

  // Balances equal balanceOf at the indexed block.
  CheckBalancesMatchChain(*workload, **connection, head);

  CHECK(
      Count(*pool,
            "SELECT count(*) FROM indexer.activity WHERE balance IS NOT "
            "NULL") ==
      std::count_if(batch->activity.begin(), batch->activity.end(),
                    [](const ActivityRow& row) { return row.moves_balance; }));
  CHECK(Count(*pool, "SELECT count(*) FROM indexer.event_stream") ==
        static_cast<int64_t>(expected.size()));
  CHECK(
      Count(
          *pool,
          "SELECT count(*) FROM indexer.event_stream e1 JOIN "
          "indexer.event_stream e2 "
          "ON e2.sequence > e1.sequence AND (e2.block_number, e2.log_index) < "
          "(e1.block_number, e1.log_index)") == 0);
  CHECK(Count(*pool, "SELECT count(DISTINCT kind) FROM indexer.activity") == 9);
  const auto cursor = store.LoadCursor(31337);
  REQUIRE(cursor.ok());
  REQUIRE(cursor->has_value());
  CHECK((*cursor)->indexed_block == head);
  CHECK((*cursor)->indexed_hash == batch->blocks.back().hash);

  // The same blocks again are refused, and change nothing.
  const absl::Status again = store.Commit(*batch);
  REQUIRE(absl::IsAborted(again));
  CHECK(std::string(again.message()).find("does not follow the cursor") !=
        std::string::npos);
  CHECK(Count(*pool, "SELECT count(*) FROM indexer.events") ==
        static_cast<int64_t>(expected.size()));
}

TEST_CASE("a log that does not match its ABI is recorded as undecodable",
          "[indexer]") {
  IndexedWorkload indexed;
  auto& pool = indexed.pool;
  auto& workload = indexed.workload;
  contracts::Deployment deployment = workload->deployment();
  // An ABI that declares Transfer with one indexed address too few: every
  // rBTC Transfer log has a topic more than it expects.
  for (contracts::DeployedContract& contract : deployment.contracts) {
    if (contract.name != "RBTCSynth") continue;
    contract.abi_json =
        R"([{"type":"event","name":"Transfer","anonymous":false,"inputs":[
      {"name":"from","type":"address","indexed":true},
      {"name":"to","type":"address","indexed":false},
      {"name":"value","type":"uint256","indexed":false}]}])";
  }
  auto registry = ContractRegistry::FromDeployment(deployment);
  REQUIRE(registry.ok());
  const uint64_t head = *workload->client().BlockNumber();
  auto batch =
      Fetch(workload->client(), **registry, (*registry)->start_block(), head);
  REQUIRE(batch.ok());
  PostgresChainStore store(*pool);
  REQUIRE(store.Commit(*batch).ok());
  CHECK(Count(*pool,
              "SELECT count(*) FROM indexer.events WHERE decode_error LIKE "
              "'%expected 2 topics, got 3%'") > 0);
  CHECK(Count(*pool,
              "SELECT count(*) FROM indexer.events WHERE decode_error LIKE "
              "'%is no event of RBTCSynth%'") > 0);
  CHECK(
      Count(
          *pool,
          "SELECT count(*) FROM indexer.token_balances t JOIN indexer.events e "
          "ON e.contract_address = t.token WHERE e.contract_name = "
          "'RBTCSynth'") == 0);
}

TEST_CASE("final blocks can follow the node's finalized tag", "[indexer]") {
  testing::PrivateEnvironment own;
  auto workload = testing::ProtocolWorkload::Deploy(own.environment().rpc_url);
  workload->Run();
  evm::JsonRpcClient& client = workload->client();
  // anvil finalizes 64 blocks under its head.
  REQUIRE(client.Call("anvil_mine", R"(["0x64"])").ok());
  testing::ScopedDatabase database;
  auto pool = MigratedPool(database);
  PostgresChainStore store(*pool);
  auto registry = *ContractRegistry::FromDeployment(workload->deployment());
  JsonRpcChainSource source(client);
  ChainFollower follower(source, *registry, store,
                         {.chain_id = 31337,
                          .confirmations = 1000,
                          .finalized_tag = true,
                          .max_batch_blocks = 10});
  FollowToHead(follower);
  auto step = follower.Step();
  REQUIRE(step.ok());
  auto finalized = client.GetBlockByNumber(evm::BlockRef::Finalized());
  REQUIRE(finalized.ok());
  REQUIRE(finalized->has_value());
  CHECK(step->finalized == (*finalized)->number);
  CHECK(step->finalized == step->head - 64);
  CheckEqualsCleanIndex(*workload, *database.Connect());
}

TEST_CASE("balances kept in memory give way when the cursor moved elsewhere",
          "[indexer]") {
  IndexedWorkload indexed;
  auto& pool = indexed.pool;
  auto& workload = indexed.workload;
  auto registry = ContractRegistry::FromDeployment(workload->deployment());
  REQUIRE(registry.ok());
  evm::JsonRpcClient& client = workload->client();
  const uint64_t start = (*registry)->start_block();
  const uint64_t head = *client.BlockNumber();
  const uint64_t middle = head - 1;
  // The ancestor is the block before the last move of a balance that had
  // moved before it (other tests mine on the same chain, so block numbers
  // alone say nothing): the batch after the ancestor then starts from a
  // balance the batch before left in memory.
  uint64_t ancestor = start;
  {
    auto whole = Fetch(client, **registry, start, middle);
    REQUIRE(whole.ok());
    absl::flat_hash_map<HoldingKey, uint64_t> first_moved;
    for (const ActivityRow& row : whole->activity) {
      if (!row.moves_balance) continue;
      const auto [found, added] = first_moved.try_emplace(
          HoldingKey{*row.token, row.account}, row.block_number);
      if (!added && found->second < row.block_number) {
        ancestor = row.block_number - 1;
      }
    }
  }
  REQUIRE(ancestor > start);
  auto undone = Fetch(client, **registry, ancestor + 1, middle);
  REQUIRE(undone.ok());
  REQUIRE(
      std::any_of(undone->activity.begin(), undone->activity.end(),
                  [](const ActivityRow& row) { return row.moves_balance; }));

  // This store commits up to the ancestor, then to the middle: the second
  // batch starts from the balances the first left in memory.
  metrics::Registry metrics;
  const auto lookups = [&](const char* source) {
    return metrics
        .AddCounter("chainsync_indexer_balance_lookups_total", "",
                    {"chain_id", "source"})
        .WithLabels({"31337", source})
        .Value();
  };
  PostgresChainStore store(*pool, metrics);
  auto to_ancestor = Fetch(client, **registry, start, ancestor);
  REQUIRE(to_ancestor.ok());
  REQUIRE(store.Commit(*to_ancestor).ok());
  CHECK(lookups("memory") == 0);
  REQUIRE(store.Commit(*undone).ok());
  const double from_memory = lookups("memory");
  CHECK(from_memory > 0);

  // Another writer rolls the chain back to the ancestor. The store's next
  // batch starts from the balances stored there, not from the ones it kept.
  PostgresChainStore other(*pool);
  REQUIRE(
      other.RollbackTo(31337, ancestor, to_ancestor->blocks.back().hash).ok());
  const double from_database = lookups("database");
  auto rest = Fetch(client, **registry, ancestor + 1, head);
  REQUIRE(rest.ok());
  REQUIRE(store.Commit(*rest).ok());
  CHECK(lookups("memory") == from_memory);
  CHECK(lookups("database") > from_database);
  CheckBalancesMatchChain(*workload, **pool->Acquire(), head);
}

// ThreeBatches is the workload's chain cut into three batches, each
// moving balances.
struct ThreeBatches {
  explicit ThreeBatches(IndexedWorkload& indexed)
      : registry(
            ContractRegistry::FromDeployment(indexed.workload->deployment())) {
    REQUIRE(registry.ok());
    evm::JsonRpcClient& client = indexed.workload->client();
    const uint64_t start = (*registry)->start_block();
    head = *client.BlockNumber();
    // Cut where a third and two thirds of the balance changes are.
    auto whole = Fetch(client, **registry, start, head);
    REQUIRE(whole.ok());
    std::vector<uint64_t> moves;
    for (const ActivityRow& row : whole->activity)
      if (row.moves_balance) moves.push_back(row.block_number);
    const uint64_t first_cut = moves[moves.size() / 3];
    const uint64_t second_cut = moves[2 * moves.size() / 3];
    REQUIRE(first_cut < second_cut);
    for (const auto& [from, to] :
         {std::pair{start, first_cut}, std::pair{first_cut + 1, second_cut},
          std::pair{second_cut + 1, head}}) {
      auto batch = Fetch(client, **registry, from, to);
      REQUIRE(batch.ok());
      REQUIRE(std::any_of(
          batch->activity.begin(), batch->activity.end(),
          [](const ActivityRow& row) { return row.moves_balance; }));
      batches.push_back(*std::move(batch));
    }
  }

  // The batches' events point into it.
  absl::StatusOr<std::unique_ptr<ContractRegistry>> registry;
  uint64_t head = 0;
  std::vector<Batch> batches;
};

TEST_CASE(
    "a batch staged before the one it follows commits starts from "
    "that one's balances",
    "[indexer]") {
  IndexedWorkload indexed;
  ThreeBatches chain(indexed);
  metrics::Registry metrics;
  PostgresChainStore store(*indexed.pool, metrics);

  // Each batch is staged while the one before is staged too, and committed
  // after it, as the follower does with final blocks.
  auto first = Stage(store, chain.batches[0]);
  REQUIRE(first.ok());
  auto second = Stage(store, chain.batches[1]);
  REQUIRE(second.ok());
  REQUIRE((*first)->Commit().ok());
  auto third = Stage(store, chain.batches[2]);
  REQUIRE(third.ok());
  REQUIRE((*second)->Commit().ok());
  REQUIRE((*third)->Commit().ok());
  CHECK(metrics
            .AddCounter("chainsync_indexer_balance_lookups_total", "",
                        {"chain_id", "source"})
            .WithLabels({"31337", "memory"})
            .Value() > 0);
  CheckBalancesMatchChain(*indexed.workload, **indexed.pool->Acquire(),
                          chain.head);
  // The same batches committed one after the other, into a database of
  // their own, leave the same tables.
  testing::ScopedDatabase sequential;
  auto sequential_pool = MigratedPool(sequential);
  PostgresChainStore one_by_one(*sequential_pool);
  for (const Batch& batch : chain.batches)
    REQUIRE(one_by_one.Commit(batch).ok());
  for (const char* query : kComparedTables) {
    INFO(query);
    CHECK(Rows(*indexed.database.Connect(), query) ==
          Rows(*sequential.Connect(), query));
  }
}

TEST_CASE("a staged batch commits only where it was staged", "[indexer]") {
  IndexedWorkload indexed;
  ThreeBatches chain(indexed);
  PostgresChainStore store(*indexed.pool);
  const auto events = [&] {
    return Count(*indexed.pool, "SELECT count(*) FROM indexer.events");
  };
  auto first = Stage(store, chain.batches[0]);
  REQUIRE(first.ok());
  auto second = Stage(store, chain.batches[1]);
  REQUIRE(second.ok());

  SECTION("not before the batch it follows") {
    const absl::Status early = (*second)->Commit();
    CHECK(absl::IsAborted(early));
    CHECK_THAT(std::string(early.message()),
               Catch::Contains("was staged on block") &&
                   Catch::Contains("but the cursor is at nothing indexed"));
    CHECK(events() == 0);
    // The first batch commits still; the second, staged again, after it.
    REQUIRE((*first)->Commit().ok());
    REQUIRE(store.Commit(chain.batches[1]).ok());
    REQUIRE(store.Commit(chain.batches[2]).ok());
    CheckBalancesMatchChain(*indexed.workload, **indexed.pool->Acquire(),
                            chain.head);
  }
  SECTION("not after the batch it follows was rolled back") {
    first->reset();
    const absl::Status orphaned = (*second)->Commit();
    CHECK(absl::IsAborted(orphaned));
    CHECK(events() == 0);
    CHECK(Count(*indexed.pool, "SELECT count(*) FROM indexer.chains") == 0);
    // Nothing of either is left: the chain is indexed again from the start.
    for (const Batch& batch : chain.batches) REQUIRE(store.Commit(batch).ok());
    CheckBalancesMatchChain(*indexed.workload, **indexed.pool->Acquire(),
                            chain.head);
  }
}

}  // namespace
}  // namespace chainsync::indexer
