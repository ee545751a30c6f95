// The Esplora client against a scripted API with the answer shapes of
// Esplora's API.md.
#include "libs/bitcoin/esplora_client.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http_test_server.h"

namespace chainsync::bitcoin {
namespace {

constexpr char kAddress[] = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l";
const std::string kTxid(64, 'a');

std::unique_ptr<EsploraClient> ClientFor(const HttpServer& server,
                                         testing::FakeClock* clock) {
  auto client = EsploraClient::Create(
      {.base_urls = {testing::UrlOf(server, "/api/")}, .clock = clock});
  REQUIRE(client.ok());
  return *std::move(client);
}

TEST_CASE("Esplora answers become typed values", "[esplora]") {
  HttpRouter router;
  const std::string address = absl::StrCat("/api/address/", kAddress);
  router.Handle("GET", address, [](HttpRequest, HttpReply reply) {
    std::move(reply).Send(HttpResponse::Json(
        200,
        absl::StrCat(
            R"({"address":")", kAddress,
            R"(","chain_stats":{"funded_txo_count":2,"funded_txo_sum":150000,)"
            R"("spent_txo_count":1,"spent_txo_sum":50000,"tx_count":3},)"
            R"("mempool_stats":{"funded_txo_count":0,"funded_txo_sum":0,)"
            R"("spent_txo_count":1,"spent_txo_sum":20000,"tx_count":1}})")));
  });
  router.Handle("GET", address + "/utxo", [](HttpRequest, HttpReply reply) {
    std::move(reply).Send(HttpResponse::Json(
        200,
        absl::StrCat(R"([{"txid":")", kTxid,
                     R"(","vout":1,"value":100000,)"
                     R"("status":{"confirmed":true,"block_height":800000,)"
                     R"("block_hash":"00ff","block_time":1700000000}}])")));
  });
  router.Handle(
      "GET", address + "/txs/chain/" + kTxid, [](HttpRequest, HttpReply reply) {
        std::move(reply).Send(HttpResponse::Json(
            200,
            absl::StrCat(
                R"([{"txid":")", std::string(64, 'b'),
                R"(","fee":141,"status":{"confirmed":true,"block_height":7}}])")));
      });
  router.Handle("GET", "/api/blocks/tip/height",
                [](HttpRequest, HttpReply reply) {
                  std::move(reply).Send(HttpResponse::Text(200, "812345"));
                });
  router.Handle("GET", "/api/tx/" + kTxid + "/status",
                [](HttpRequest, HttpReply reply) {
                  std::move(reply).Send(
                      HttpResponse::Json(200, R"({"confirmed":false})"));
                });
  auto server = testing::StartHttpServer(std::move(router));
  testing::FakeClock clock;
  auto client = ClientFor(*server, &clock);
  const Address parsed = *Address::Parse(kAddress);

  const auto stats = client->GetAddressStats(parsed);
  REQUIRE(stats.ok());
  CHECK(stats->confirmed_balance() == 100000);
  CHECK(stats->mempool_delta() == -20000);
  const auto utxos = client->GetUtxos(parsed);
  REQUIRE(utxos.ok());
  REQUIRE(utxos->size() == 1);
  CHECK((*utxos)[0].value_sats == 100000);
  CHECK(*(*utxos)[0].status.block_height == 800000);
  const auto page = client->GetChainTransactions(parsed, kTxid);
  REQUIRE(page.ok());
  CHECK((*page)[0].fee_sats == 141);
  CHECK(*client->GetTipHeight() == 812345);
  CHECK_FALSE(client->GetTransactionStatus(kTxid)->confirmed);
  CHECK(absl::IsInvalidArgument(client->GetTransactionStatus("xyz").status()));
  CHECK(absl::IsNotFound(
      client->GetTransactionStatus(std::string(64, 'c')).status()));
}

TEST_CASE("429 without Retry-After is retried with backoff", "[esplora]") {
  std::atomic<int> calls{0};
  HttpRouter router;
  router.Handle(
      "GET", "/api/blocks/tip/height", [&calls](HttpRequest, HttpReply reply) {
        std::move(reply).Send(calls++ < 2
                                  ? HttpResponse::Text(429, "Too Many Requests")
                                  : HttpResponse::Text(200, "5"));
      });
  auto server = testing::StartHttpServer(std::move(router));
  testing::FakeClock clock;
  auto client = ClientFor(*server, &clock);
  CHECK(*client->GetTipHeight() == 5);
  CHECK(clock.sleeps().size() == 2);
}

TEST_CASE("refusals and garbage name the request", "[esplora]") {
  HttpRouter router;
  router.Handle("GET", absl::StrCat("/api/address/", kAddress),
                [](HttpRequest, HttpReply reply) {
                  std::move(reply).Send(
                      HttpResponse::Text(400, "Invalid Bitcoin address"));
                });
  router.Handle("GET", "/api/blocks/tip/height",
                [](HttpRequest, HttpReply reply) {
                  std::move(reply).Send(
                      HttpResponse::Text(200, "<html>maintenance</html>"));
                });
  auto server = testing::StartHttpServer(std::move(router));
  testing::FakeClock clock;
  auto client = ClientFor(*server, &clock);
  const auto refused = client->GetAddressStats(*Address::Parse(kAddress));
  REQUIRE(absl::IsInvalidArgument(refused.status()));
  CHECK(
      std::string(refused.status().message()) ==
      absl::StrCat("esplora /address/", kAddress, ": Invalid Bitcoin address"));
  const auto garbage = client->GetTipHeight();
  REQUIRE(absl::IsUnavailable(garbage.status()));
  CHECK(std::string(garbage.status().message()) ==
        "esplora /blocks/tip/height: malformed answer: not a height");
}

TEST_CASE("a failing instance hands its requests to the next", "[esplora]") {
  std::atomic<int> failing_calls{0};
  HttpRouter failing;
  failing.Handle("GET", "/api/blocks/tip/height",
                 [&](HttpRequest, HttpReply reply) {
                   ++failing_calls;
                   std::move(reply).Send(HttpResponse::Text(503, "down"));
                 });
  HttpRouter healthy;
  healthy.Handle("GET", "/api/blocks/tip/height",
                 [](HttpRequest, HttpReply reply) {
                   std::move(reply).Send(HttpResponse::Text(200, "42"));
                 });
  auto down = testing::StartHttpServer(std::move(failing));
  auto up = testing::StartHttpServer(std::move(healthy));
  testing::FakeClock clock;
  metrics::Registry registry;
  auto client =
      *EsploraClient::Create({.base_urls = {testing::UrlOf(*down, "/api"),
                                            testing::UrlOf(*up, "/api")},
                              .retry = {.max_attempts = 2},
                              .registry = &registry,
                              .clock = &clock});
  CHECK(*client->GetTipHeight() == 42);
  CHECK(failing_calls == 2);
  // The instance that answered is asked first from then on.
  CHECK(*client->GetTipHeight() == 42);
  CHECK(failing_calls == 2);
  const std::string text = registry.Serialize();
  CHECK(absl::StrContains(text, "chainsync_bitcoin_api_failovers_total 1"));
  CHECK(absl::StrContains(
      text,
      R"(chainsync_bitcoin_api_calls_total{endpoint="tip",outcome="ok"} 2)"));
}

TEST_CASE("requests in flight and their rate are bounded", "[esplora]") {
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  HttpRouter router;
  router.Handle("GET", "/api/blocks/tip/height",
                [&](HttpRequest, HttpReply reply) {
                  const int now = ++in_flight;
                  int seen = most.load();
                  while (now > seen && !most.compare_exchange_weak(seen, now)) {
                  }
                  absl::SleepFor(absl::Milliseconds(20));
                  --in_flight;
                  std::move(reply).Send(HttpResponse::Text(200, "1"));
                });
  auto server = testing::StartHttpServer(std::move(router), {.threads = 8});
  testing::FakeClock clock;
  auto client =
      *EsploraClient::Create({.base_urls = {testing::UrlOf(*server, "/api")},
                              .max_concurrency = 2,
                              .rate_per_second = 10,
                              .rate_burst = 4,
                              .clock = &clock});
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { CHECK(client->GetTipHeight().ok()); });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(most <= 2);
  // A burst of 4, then the rest at 10 a second: waits on the clock.
  absl::Duration waited;
  for (const absl::Duration sleep : clock.sleeps()) waited += sleep;
  CHECK(waited >= absl::Milliseconds(390));
}

}  // namespace
}  // namespace chainsync::bitcoin
