// RereadBlocks: a chain read again from a block repairs rows lost or edited
// in the indexer's database, withdraws and republishes the events above it
// like a reorg, and a request that cannot be carried out is refused, naming
// why, with nothing recorded.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "services/indexer/rereads.h"
#include "tests/services/indexer/indexer_test_support.h"

namespace chainsync::indexer {
namespace {

int64_t Count(PgConnection& connection, const std::string& query) {
  auto rows = connection.Exec(query);
  REQUIRE(rows.ok());
  return *rows->GetInt64(0, 0);
}

grpc::Status Reread(v1::IndexerService::Stub& stub, uint64_t from_block,
                    const std::string& reason,
                    v1::RereadBlocksResponse& response, uint64_t chain_id = 0) {
  v1::RereadBlocksRequest request;
  request.set_chain_id(chain_id);
  request.set_from_block(from_block);
  request.set_reason(reason);
  grpc::ClientContext context;
  return stub.RereadBlocks(&context, request, &response);
}

std::string BalanceAt(v1::IndexerService::Stub& stub,
                      const evm::Address& account, const evm::Address& token,
                      uint64_t block) {
  v1::GetBalancesRequest request;
  request.set_address(account.ToLowerHex());
  request.set_token_address(token.ToLowerHex());
  request.set_block_number(block);
  v1::GetBalancesResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub.GetBalances(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  if (response.balances_size() == 0) return "none";
  CHECK(response.balances(0).as_of_block() == block);
  return response.balances(0).balance();
}

TEST_CASE(
    "a chain read again from a block repairs what was lost or edited above "
    "it, and a request that cannot be carried out is refused",
    "[indexer][reread]") {
  BusyChain chain(30);
  testing::ScopedDatabase database;
  auto indexer = StartIndexer(
      database.url(), chain.deployment, chain.rpc(),
      {"--confirmations=3", "--poll_interval=50ms", "--max_reread_blocks=40"});
  const int port = GrpcPortWhenReady(*indexer);
  REQUIRE(WaitForIndexed(*indexer, database.url(), chain.head));
  auto stub = v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto connection = database.Connect();
  const evm::Address token =
      chain.workload->deployment().Find("RBTCSynth")->address;
  const uint64_t head = static_cast<uint64_t>(chain.head);

  // Balances at a block: at a holder's last change, what it holds now;
  // the block before, what it held before.
  auto last = connection->Exec(
      absl::StrCat("SELECT encode(holder, 'hex'), last_change_block FROM "
                   "indexer.token_balances WHERE token = decode('",
                   token.ToLowerHex().substr(2),
                   "', 'hex') ORDER BY last_change_block DESC LIMIT 1"));
  REQUIRE(last.ok());
  const evm::Address holder =
      *evm::Address::Parse(absl::StrCat("0x", last->Get(0, 0)));
  const auto changed = static_cast<uint64_t>(*last->GetInt64(0, 1));
  const std::string now = BalanceAt(*stub, holder, token, head);
  CHECK(BalanceAt(*stub, holder, token, changed) == now);
  CHECK(BalanceAt(*stub, holder, token, changed - 1) != now);
  {
    v1::GetBalancesRequest above;
    above.set_address(holder.ToLowerHex());
    above.set_block_number(head + 1);
    v1::GetBalancesResponse balances;
    grpc::ClientContext context;
    const grpc::Status status = stub->GetBalances(&context, above, &balances);
    CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(status.error_message() == absl::StrCat("block_number: ", head + 1,
                                                 " is above the indexed block ",
                                                 head));
  }

  // Bad requests change nothing.
  v1::RereadBlocksResponse response;
  struct Refusal {
    uint64_t from;
    std::string reason;
    uint64_t chain_id;
    grpc::StatusCode code;
    std::string message;
  };
  for (const Refusal& refusal : std::vector<Refusal>{
           {0, "test", 0, grpc::StatusCode::INVALID_ARGUMENT,
            "from_block is required"},
           {head, "", 0, grpc::StatusCode::INVALID_ARGUMENT,
            "reason is required: say why the blocks are read again"},
           {head + 1, "test", 0, grpc::StatusCode::FAILED_PRECONDITION,
            absl::StrCat("block ", head + 1,
                         " is not indexed yet (the indexer is at block ", head,
                         "): there is nothing to read again")},
           {head - 40, "test", 0, grpc::StatusCode::OUT_OF_RANGE,
            absl::StrCat("block ", head - 40,
                         " is 40 blocks under the indexed block ", head,
                         "; at most --max_reread_blocks=40 are read again on "
                         "request")},
           {head, "test", 5, grpc::StatusCode::NOT_FOUND,
            "this indexer follows chain 31337, not chain 5"},
       }) {
    INFO(refusal.message);
    const grpc::Status status =
        Reread(*stub, refusal.from, refusal.reason, response, refusal.chain_id);
    CHECK(status.error_code() == refusal.code);
    CHECK(status.error_message() == refusal.message);
  }
  CHECK(Count(*connection, "SELECT count(*) FROM indexer.reread_requests") ==
        0);

  // Rows lost and balances edited above a block: read again from it, the
  // index is what a clean one is, and the events above it were withdrawn
  // on the stream and published again.
  const auto from = static_cast<uint64_t>(
      Count(*connection,
            "SELECT block_number FROM indexer.events ORDER BY block_number "
            "OFFSET (SELECT count(*) / 2 FROM indexer.events) LIMIT 1"));
  for (const std::string& fault :
       {absl::StrCat("DELETE FROM indexer.activity WHERE block_number = "
                     "(SELECT max(block_number) FROM indexer.activity)"),
        absl::StrCat("DELETE FROM indexer.events WHERE block_number = (SELECT "
                     "max(block_number) FROM indexer.events)"),
        absl::StrCat("UPDATE indexer.token_balances SET balance = balance + 7 "
                     "WHERE last_change_block >= ",
                     from)}) {
    INFO(fault);
    REQUIRE(connection->Exec(fault).ok());
  }
  const int64_t above = Count(
      *connection, absl::StrCat("SELECT count(*) FROM indexer.events WHERE "
                                "block_number >= ",
                                from));
  const grpc::Status asked = Reread(*stub, from, "rows lost", response);
  INFO(asked.error_message());
  REQUIRE(asked.ok());
  CHECK(response.request_id() > 0);
  CHECK(response.from_block() == from);
  CHECK(response.indexed_block() == head);
  REQUIRE(WaitForRereads(*connection, 1));
  REQUIRE(WaitForIndexed(*indexer, database.url(), chain.head));
  INFO(absl::StrJoin(indexer->lines(), "\n"));
  CHECK(Count(*connection,
              "SELECT events_removed FROM indexer.reread_requests") >= above);
  CHECK(Count(*connection,
              "SELECT count(*) FROM indexer.event_stream WHERE removed") >=
        above);
  CheckEqualsCleanIndex(*chain.workload, *connection,
                        StreamHistory::kWithReorgs);
  CHECK(BalanceAt(*stub, holder, token, head) == now);
}

TEST_CASE(
    "re-read requests coalesce while one is pending: the lowest block, every "
    "reason",
    "[indexer][reread]") {
  testing::ScopedDatabase database;
  auto pool = MigratedPool(database);
  RereadQueue queue(*pool);
  const auto first = queue.Request(31337, 30, "a");
  const auto second = queue.Request(31337, 20, "b");
  const auto third = queue.Request(31337, 25, "c");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(third.ok());
  CHECK(second->id == first->id);
  CHECK(third->id == first->id);
  CHECK(third->from_block == 20);
  CHECK(third->reason == "a; b; c");
  // Another chain's request is its own.
  CHECK(queue.Request(5, 9, "d")->id != first->id);
  auto pending = queue.Pending(31337);
  REQUIRE(pending.ok());
  REQUIRE(pending->has_value());
  CHECK((*pending)->from_block == 20);
  REQUIRE(queue.Done(**pending, 19, 4).ok());
  CHECK(!queue.Pending(31337)->has_value());
  CHECK(queue.Request(31337, 40, "e")->id != first->id);
}

}  // namespace
}  // namespace chainsync::indexer
