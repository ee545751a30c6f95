// The indexer binary against the fixture chain: it indexes the workload to
// the head, exports its progress, and a standby process takes over when the
// writer is killed.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/http/http_client.h"
#include "libs/evm/contract_abi.h"
#include "simdjson.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/protocol_workload.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {
namespace {

using testing::Subprocess;

std::unique_ptr<Subprocess> StartFollowingIndexer(
    const std::string& database_url, const std::string& deployment_file) {
  return StartIndexer(database_url, deployment_file,
                      testing::GetTestEnvironment().rpc_url,
                      {"--confirmations=2", "--poll_interval=50ms"});
}

// WaitForCursor waits until the indexed block reaches `block`.
bool WaitForCursor(const testing::ScopedDatabase& database, uint64_t block) {
  for (int i = 0; i < 600; ++i) {
    if (IndexedBlock(database.url()) >= static_cast<int64_t>(block))
      return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// HoldersAt lists every holder of `token` at `block`, `page_size` at a
// time.
std::map<std::string, std::string> HoldersAt(v1::IndexerService::Stub& stub,
                                             const evm::Address& token,
                                             uint64_t block) {
  std::map<std::string, std::string> holders;
  std::string page;
  do {
    grpc::ClientContext context;
    v1::ListHoldersRequest request;
    request.set_token_address(token.ToLowerHex());
    request.set_block_number(block);
    request.set_page_size(2);
    request.set_page_token(page);
    v1::ListHoldersResponse response;
    const grpc::Status status = stub.ListHolders(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(response.block_number() == block);
    for (const v1::Holder& holder : response.holders()) {
      CHECK(holder.token_address() == token.ToChecksumHex());
      holders[holder.address()] = holder.balance();
    }
    page = response.next_page_token();
  } while (!page.empty());
  return holders;
}

// CheckHolders compares the indexer's holders of rBTC, at the head and at
// every block of the workload, with balanceOf at that block.
void CheckHolders(v1::IndexerService::Stub& stub,
                  testing::ProtocolWorkload& workload, uint64_t head) {
  const evm::Address token = workload.deployment().Find("RBTCSynth")->address;
  const auto balance_of =
      *evm::AbiFunction::Parse("balanceOf(address) returns (uint256)");
  const uint64_t first = workload.deployment().Find("RBTCSynth")->start_block;
  for (uint64_t block = first; block <= head; ++block) {
    INFO("block " << block);
    const std::map<std::string, std::string> holders =
        HoldersAt(stub, token, block);
    for (const auto& [address, balance] : holders) {
      const auto output = workload.client().EthCall(
          {.to = token,
           .data = *balance_of.EncodeCall({*evm::Address::Parse(address)})},
          evm::BlockRef::Number(block));
      REQUIRE(output.ok());
      CHECK(evm::ToDecimal(evm::FromBigEndian(*output)) == balance);
    }
    if (block == head) {
      CHECK(holders.at(workload.holders()[0].ToChecksumHex()) == "80000");
    }
  }
  grpc::ClientContext context;
  v1::ListHoldersRequest request;
  request.set_token_address(token.ToLowerHex());
  request.set_block_number(head + 1000);
  v1::ListHoldersResponse response;
  const grpc::Status above = stub.ListHolders(&context, request, &response);
  CHECK(above.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(above.error_message().find("above the indexed block") !=
        std::string::npos);
  // Without a token, every token's holders: rBTC's among them.
  grpc::ClientContext every_context;
  v1::ListHoldersRequest every;
  every.set_page_size(10000);
  REQUIRE(stub.ListHolders(&every_context, every, &response).ok());
  CHECK(response.block_number() >= head);
  size_t of_rbtc = 0;
  for (const v1::Holder& holder : response.holders()) {
    if (holder.token_address() == token.ToChecksumHex()) ++of_rbtc;
  }
  CHECK(of_rbtc == HoldersAt(stub, token, head).size());
  CHECK(static_cast<size_t>(response.holders_size()) > of_rbtc);
}

// CheckQueries calls the indexer's RPCs over gRPC and compares the answers
// with what the workload did.
void CheckQueries(Subprocess& indexer, testing::ProtocolWorkload& workload,
                  uint64_t head) {
  std::optional<std::string> serving;
  for (const std::string& line : indexer.lines()) {
    if (line.find(R"("message":"serving")") != std::string::npos)
      serving = line;
  }
  REQUIRE(serving.has_value());
  simdjson::dom::parser parser;
  const int64_t port = parser.parse(*serving)["grpc_port"].get_int64().value();
  auto stub = v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  const std::string alice = workload.holders()[0].ToChecksumHex();
  const std::string bob = workload.holders()[1].ToChecksumHex();
  CheckHolders(*stub, workload, head);

  {
    grpc::ClientContext context;
    v1::GetBalancesRequest request;
    request.set_address(absl::AsciiStrToLower(alice));
    v1::GetBalancesResponse response;
    REQUIRE(stub->GetBalances(&context, request, &response).ok());
    CHECK(response.address() == alice);
    std::map<std::string, std::pair<std::string, uint32_t>> balances;
    for (const auto& balance : response.balances()) {
      balances[balance.symbol()] = {balance.balance(), balance.decimals()};
      CHECK(balance.as_of_block() >= head);
    }
    CHECK(balances["rBTC"] == std::make_pair(std::string("80000"), 8u));
    CHECK(balances["wrBTC"] == std::make_pair(std::string("30000"), 8u));
  }
  {
    grpc::ClientContext context;
    v1::GetBalancesRequest request;
    request.set_address("0x1234");
    v1::GetBalancesResponse response;
    const grpc::Status status = stub->GetBalances(&context, request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message().find("address") != std::string::npos);
  }
  {
    // Alice's history, three at a time, newest first.
    std::vector<v1::Activity> history;
    std::string token;
    do {
      grpc::ClientContext context;
      v1::ListActivityRequest request;
      request.set_address(alice);
      request.set_page_size(3);
      request.set_page_token(token);
      v1::ListActivityResponse response;
      REQUIRE(stub->ListActivity(&context, request, &response).ok());
      CHECK(response.activities_size() <= 3);
      history.insert(history.end(), response.activities().begin(),
                     response.activities().end());
      token = response.next_page_token();
    } while (!token.empty());
    // deposit; fee, mint, sync; rBTC out, wrBTC mint, wrap; transfer; a
    // transfer to herself (out and in); fee, burn, sync; join; leave;
    // withdraw.
    CHECK(history.size() == 16);
    for (size_t i = 1; i < history.size(); ++i) {
      CHECK(history[i - 1].position().block_number() >=
            history[i].position().block_number());
    }
    CHECK(history.back().kind() == v1::ACTIVITY_KIND_FEE);  // the first deposit

    grpc::ClientContext context;
    v1::ListActivityRequest request;
    request.set_address(alice);
    request.add_kinds(v1::ACTIVITY_KIND_SYNC);
    v1::ListActivityResponse response;
    REQUIRE(stub->ListActivity(&context, request, &response).ok());
    REQUIRE(response.activities_size() == 2);
    CHECK(response.activities(0).direction() == v1::DIRECTION_OUT);
    CHECK(response.activities(0).amount() == "30000");
    CHECK(response.activities(0)
              .details()
              .fields()
              .at("newBalance")
              .string_value() == "120000");

    grpc::ClientContext bad_context;
    request.set_page_token("garbage");
    const grpc::Status bad =
        stub->ListActivity(&bad_context, request, &response);
    CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext context;
    v1::ListEventsRequest request;
    request.add_contract_addresses(workload.deployment()
                                       .Find("OracleAggregator")
                                       ->address.ToChecksumHex());
    request.add_event_names("EmergencyBurn");
    v1::ListEventsResponse response;
    REQUIRE(stub->ListEvents(&context, request, &response).ok());
    REQUIRE(response.events_size() == 2);
    CHECK(response.events(0).args().fields().at("reason").string_value() ==
          "insufficient fee balance");
    CHECK(response.events(1).args().fields().at("reason").string_value() ==
          "key compromise");
    CHECK(response.events(0).position().block_number() <
          response.events(1).position().block_number());

    // One at a time: the page token leads from the first to the second.
    request.set_page_size(1);
    grpc::ClientContext first_context;
    v1::ListEventsResponse first;
    REQUIRE(stub->ListEvents(&first_context, request, &first).ok());
    REQUIRE(first.events_size() == 1);
    REQUIRE_FALSE(first.next_page_token().empty());
    request.set_page_token(first.next_page_token());
    grpc::ClientContext second_context;
    v1::ListEventsResponse second;
    REQUIRE(stub->ListEvents(&second_context, request, &second).ok());
    REQUIRE(second.events_size() == 1);
    CHECK(second.events(0).position().SerializeAsString() ==
          response.events(1).position().SerializeAsString());
    CHECK(second.next_page_token().empty());
  }
  {
    grpc::ClientContext context;
    v1::ListEmergencyBurnsRequest request;
    request.set_address(bob);
    v1::ListEmergencyBurnsResponse response;
    REQUIRE(stub->ListEmergencyBurns(&context, request, &response).ok());
    REQUIRE(response.burns_size() == 1);
    CHECK(response.burns(0).amount_sats() == "55000");
    CHECK(response.system_stats().burn_count() == 2);
    CHECK(response.system_stats().total_burned_sats() == "75000");
  }
  {
    grpc::ClientContext context;
    v1::GetSyncStatusResponse response;
    REQUIRE(stub->GetSyncStatus(&context, {}, &response).ok());
    REQUIRE(response.chains_size() == 1);
    CHECK(response.chains(0).chain_id() == 31337);
    CHECK(response.chains(0).indexed_block() >= head);
  }
  {
    grpc::ClientContext context;
    v1::ListContractsResponse response;
    REQUIRE(stub->ListContracts(&context, {}, &response).ok());
    CHECK(response.contracts_size() == 6);
  }
}

// ReadUntilCaughtUp reads a Subscribe stream up to its caught_up marker.
std::vector<v1::Event> ReadUntilCaughtUp(
    grpc::ClientReader<v1::SubscribeResponse>& reader) {
  std::vector<v1::Event> events;
  v1::SubscribeResponse message;
  while (reader.Read(&message)) {
    if (message.has_caught_up()) return events;
    events.push_back(message.event());
  }
  FAIL("the stream ended before catching up");
  return events;
}

// CheckSubscribe replays the oracle contract's events, receives a live one,
// and resumes from the middle without a gap or a duplicate.
void CheckSubscribe(Subprocess& indexer, testing::ProtocolWorkload& workload) {
  std::optional<std::string> serving;
  for (const std::string& line : indexer.lines()) {
    if (line.find(R"("message":"serving")") != std::string::npos)
      serving = line;
  }
  simdjson::dom::parser parser;
  const int64_t port = parser.parse(*serving)["grpc_port"].get_int64().value();
  auto stub = v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  v1::SubscribeRequest request;
  request.mutable_filter()->add_contract_addresses(
      workload.deployment().Find("OracleAggregator")->address.ToChecksumHex());
  request.set_after_sequence(0);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto reader = stub->Subscribe(&context, request);
  const std::vector<v1::Event> replayed = ReadUntilCaughtUp(*reader);
  std::vector<std::string> names;
  for (const v1::Event& event : replayed) names.push_back(event.event_name());
  CHECK(names == std::vector<std::string>{"Synced", "Synced", "Synced",
                                          "EmergencyBurn", "Synced",
                                          "EmergencyBurn"});
  for (size_t i = 1; i < replayed.size(); ++i) {
    CHECK(replayed[i].sequence() > replayed[i - 1].sequence());
  }
  CHECK(replayed[0].contract_name() == "OracleAggregator");
  CHECK_FALSE(replayed[0].removed());

  // A new sync reaches the open stream.
  workload.Sync(0, 4242);
  v1::SubscribeResponse live;
  REQUIRE(reader->Read(&live));
  CHECK(live.event().event_name() == "Synced");
  CHECK(live.event().args().fields().at("newBalance").string_value() == "4242");
  context.TryCancel();

  // Resuming after the third event gives exactly the rest.
  grpc::ClientContext resumed_context;
  resumed_context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(30));
  request.set_after_sequence(replayed[2].sequence());
  auto resumed = stub->Subscribe(&resumed_context, request);
  const std::vector<v1::Event> rest = ReadUntilCaughtUp(*resumed);
  REQUIRE(rest.size() == 4);
  CHECK(rest[0].sequence() == replayed[3].sequence());
  CHECK(rest[3].sequence() == live.event().sequence());
  resumed_context.TryCancel();

  grpc::ClientContext bad_context;
  v1::SubscribeRequest bad;
  bad.mutable_filter()->add_account_addresses("0xnot-an-address");
  auto refused = stub->Subscribe(&bad_context, bad);
  v1::SubscribeResponse ignored;
  CHECK_FALSE(refused->Read(&ignored));
  CHECK(refused->Finish().error_code() == grpc::StatusCode::INVALID_ARGUMENT);
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

  auto writer = StartFollowingIndexer(database.url(), deployment_file);
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

  CheckQueries(*writer, *workload, head);
  CheckSubscribe(*writer, *workload);

  // A second process on the same database waits.
  auto standby = StartFollowingIndexer(database.url(), deployment_file);
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

TEST_CASE(
    "a batch that cannot be committed makes the indexer not ready, saying "
    "why, until it commits",
    "[indexer][binary]") {
  BusyChain chain(0);
  testing::ScopedDatabase database;
  auto indexer = StartIndexer(
      database.url(), chain.deployment, chain.rpc(),
      {"--confirmations=1", "--poll_interval=50ms", "--stall_after=1s"});
  const auto serving = testing::WaitForServing(*indexer);
  REQUIRE(serving.has_value());
  REQUIRE(WaitForIndexed(*indexer, database.url(), chain.head));
  // One attempt: a 503 is the answer under test.
  auto client = *HttpClient::Create({.retry = {.max_attempts = 1}});
  const auto admin = [&](const char* path) {
    auto response = client->Send(
        {.url = absl::StrCat("http://127.0.0.1:", serving->admin, path)});
    REQUIRE(response.ok());
    return *response;
  };
  // WaitForReady waits for /readyz to answer `status`, and returns its body.
  const auto wait_for_ready = [&](int status) {
    HttpClientResponse readyz;
    for (int i = 0; i < 300; ++i) {
      readyz = admin("/readyz");
      if (readyz.status == status) break;
      indexer->ReadLine(absl::Milliseconds(100));
    }
    CHECK(readyz.status == status);
    return readyz.body;
  };
  wait_for_ready(200);

  // Postgres refuses every new event: the next batch fails at each attempt.
  auto connection = database.Connect();
  for (const char* sql :
       {"CREATE FUNCTION indexer.refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'events refused by the test'; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON indexer.events FOR EACH ROW "
        "EXECUTE FUNCTION indexer.refuse()"}) {
    REQUIRE(connection->Exec(sql).ok());
  }
  chain.workload->Sync(1, 7'000);
  const std::string blocked = wait_for_ready(503);
  INFO(blocked);
  CHECK(absl::StrContains(
      blocked, absl::StrCat("chain 31337 is not indexed past block ",
                            chain.head, ": every step has failed since ")));
  CHECK(absl::StrContains(blocked, "events refused by the test"));
  CHECK(absl::StrContains(admin("/metrics").body,
                          "chainsync_indexer_blocked{chain_id=\"31337\"} 1"));
  // Said once in the log; the batch retried with backoff, not at full
  // speed.
  const auto logged = [&](const std::string& needle) {
    size_t count = 0;
    for (const std::string& line : indexer->lines()) {
      count += absl::StrContains(line, needle) ? 1 : 0;
    }
    return count;
  };
  if (logged(R"("message":"indexer blocked)") == 0) {
    indexer->WaitForLine(R"("message":"indexer blocked)", absl::Seconds(5));
  }
  CHECK(logged(R"("message":"indexer blocked)") == 1);
  CHECK(logged("indexer step failed; retrying") < 20);

  // The refusal lifted, the batch commits and the indexer is ready again.
  REQUIRE(connection->Exec("DROP TRIGGER refuse ON indexer.events").ok());
  wait_for_ready(200);
  CHECK(absl::StrContains(admin("/metrics").body,
                          "chainsync_indexer_blocked{chain_id=\"31337\"} 0"));
  CHECK(WaitForIndexed(*indexer, database.url(), chain.head + 1));
}

TEST_CASE(
    "on SIGTERM an open Subscribe stream ends at once, saying how to resume",
    "[indexer][binary]") {
  BusyChain chain(0);
  testing::ScopedDatabase database;
  auto indexer = StartIndexer(database.url(), chain.deployment, chain.rpc(),
                              {"--confirmations=1", "--poll_interval=50ms"});
  const int port = GrpcPortWhenReady(*indexer);
  auto stub = v1::IndexerService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto reader = stub->Subscribe(&context, request);
  v1::SubscribeResponse response;
  while (reader->Read(&response) && !response.has_caught_up()) {
  }
  REQUIRE(response.has_caught_up());
  const absl::Time signalled = absl::Now();
  indexer->Signal(SIGTERM);
  while (reader->Read(&response)) {
  }
  const grpc::Status ended = reader->Finish();
  // At once, not when the drain's 10 s run out.
  CHECK(absl::Now() - signalled < absl::Seconds(1));
  CHECK(ended.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(ended.error_message() ==
        "the indexer is shutting down; subscribe again with after_sequence "
        "to resume");
  const auto exited = indexer->Wait(absl::Seconds(20));
  REQUIRE(exited.ok());
  CHECK(*exited == 0);
}

}  // namespace
}  // namespace chainsync::indexer
