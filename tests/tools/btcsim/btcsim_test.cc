// The Bitcoin API simulator: its chain model (hermetic), its fault plan,
// and the binary read by our Esplora client and by mempool.space's own
// client, @mempool/mempool.js.
#include <catch2/catch.hpp>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/esplora_client.h"
#include "libs/crypto/hashes.h"
#include "simdjson.h"
#include "tests/support/btcsim_process.h"
#include "tests/support/fake_clock.h"
#include "tools/btcsim/fault_plan.h"
#include "tools/btcsim/simulated_chain.h"

namespace chainsync::btcsim {
namespace {

using bitcoin::Network;

// AddressesOf returns an address of every type on `network`, from one key's
// hash (the simulator checks no signature).
std::vector<std::string> AddressesOf(Network network) {
  const absl::string_view hrp = network == Network::kMainnet   ? "bc"
                                : network == Network::kTestnet ? "tb"
                                                               : "bcrt";
  std::array<uint8_t, 33> key{};
  key[0] = 0x02;
  key[32] = 7;
  const crypto::Digest32 program = crypto::Sha256(key);
  return {bitcoin::P2pkhAddress(key, network),
          bitcoin::P2shP2wpkhAddress(key, network),
          bitcoin::P2wpkhAddress(key, network),
          bitcoin::EncodeSegwit(hrp, 0, program),
          bitcoin::EncodeSegwit(hrp, 1, program)};
}

int64_t Confirmed(const SimulatedChain& chain, absl::string_view text) {
  const auto summary = chain.Summary(*chain.ParseAddress(text));
  return summary.chain.funded_sum - summary.chain.spent_sum;
}

int64_t Pending(const SimulatedChain& chain, absl::string_view text) {
  const auto summary = chain.Summary(*chain.ParseAddress(text));
  return summary.mempool.funded_sum - summary.mempool.spent_sum;
}

TEST_CASE("funds wait in the mempool until mined, and txids are real",
          "[btcsim]") {
  testing::FakeClock clock;
  SimulatedChain chain(Network::kRegtest, clock);
  const std::string address = AddressesOf(Network::kRegtest)[2];
  const Hash256 txid = *chain.Fund({{.address = address, .sats = 50'000}});
  CHECK(Pending(chain, address) == 50'000);
  CHECK(Confirmed(chain, address) == 0);
  // A txid is the double SHA-256 of the serialized transaction.
  const ChainTx* tx = chain.FindTx(txid);
  REQUIRE(tx != nullptr);
  CHECK(crypto::Sha256d(tx->tx.Serialize()) == txid);
  CHECK(tx->fee_sats > 0);

  clock.SleepFor(absl::Minutes(10));
  chain.Mine(1);
  CHECK(chain.tip().height == 1);
  CHECK(chain.FindTx(txid)->height == 1u);
  CHECK(Confirmed(chain, address) == 50'000);
  CHECK(Pending(chain, address) == 0);
  // The block links to its parent and commits to its transactions.
  CHECK(chain.tip().header.previous == chain.BlockAt(0)->hash);
  CHECK(chain.tip().header.merkle_root ==
        bitcoin::MerkleRoot(chain.tip().txids));
  CHECK(chain.tip().hash == crypto::Sha256d(chain.tip().header.Serialize()));
  CHECK(chain.Unspents(*chain.ParseAddress(address)).size() == 1);
}

TEST_CASE("every address type of every network is funded and spent",
          "[btcsim]") {
  testing::FakeClock clock;
  for (const Network network :
       {Network::kMainnet, Network::kTestnet, Network::kRegtest}) {
    SimulatedChain chain(network, clock);
    for (const std::string& address : AddressesOf(network)) {
      INFO(address);
      REQUIRE(chain.Fund({{.address = address, .sats = 100'000}}).ok());
      chain.Mine(1);
      const Hash256 spent = *chain.Spend(address, 30'000, "");
      CHECK(Confirmed(chain, address) == 100'000);
      // The change comes back; the fee is paid on top.
      const int64_t fee = chain.FindTx(spent)->fee_sats;
      CHECK(Pending(chain, address) == -30'000 - fee);
      chain.Mine(1);
      CHECK(Confirmed(chain, address) == 70'000 - fee);
    }
  }
}

TEST_CASE("bad control input is refused and changes nothing", "[btcsim]") {
  testing::FakeClock clock;
  SimulatedChain chain(Network::kMainnet, clock);
  const std::string testnet = AddressesOf(Network::kTestnet)[2];
  CHECK(absl::IsInvalidArgument(
      chain.Fund({{.address = testnet, .sats = 1000}}).status()));
  const std::string address = AddressesOf(Network::kMainnet)[2];
  CHECK(absl::IsInvalidArgument(
      chain.Fund({{.address = address, .sats = 1}}).status()));
  CHECK(absl::IsFailedPrecondition(chain.Spend(address, 1000, "").status()));
  CHECK(absl::IsInvalidArgument(chain.Reorg(1, false)));
  CHECK(chain.Mempool().empty());
  CHECK(chain.tip().height == 0);
}

TEST_CASE(
    "a reorg mines its transactions again, or drops them and their "
    "spenders",
    "[btcsim]") {
  testing::FakeClock clock;
  SimulatedChain chain(Network::kRegtest, clock);
  const std::vector<std::string> addresses = AddressesOf(Network::kRegtest);
  const Hash256 funded =
      *chain.Fund({{.address = addresses[2], .sats = 80'000}});
  chain.Mine(3);
  const Hash256 old_tip = chain.tip().hash;
  const Hash256 old_first = chain.BlockAt(1)->hash;

  SECTION("kept: confirmed again in the new branch") {
    REQUIRE(chain.Reorg(3, false).ok());
    CHECK(chain.tip().height == 4);
    CHECK(chain.IsStale(old_tip));
    CHECK(chain.FindBlock(old_tip) != nullptr);
    CHECK(chain.FindTx(funded)->height == 1u);
    CHECK(chain.BlockAt(1)->hash != old_first);
    CHECK(Confirmed(chain, addresses[2]) == 80'000);
  }
  SECTION("dropped: gone, with what spent it") {
    const Hash256 funded_later =
        *chain.Fund({{.address = addresses[3], .sats = 5'000}});
    chain.Mine(1);
    const Hash256 spend = *chain.Spend(addresses[2], 10'000, addresses[4]);
    REQUIRE(chain.Reorg(4, true).ok());
    CHECK(chain.FindTx(funded) == nullptr);
    CHECK(chain.FindTx(funded_later) == nullptr);
    CHECK(chain.FindTx(spend) == nullptr);
    CHECK(Confirmed(chain, addresses[2]) == 0);
    CHECK(Pending(chain, addresses[2]) == 0);
    CHECK(Confirmed(chain, addresses[4]) == 0);
    // The faucet still pays.
    REQUIRE(chain.Fund({{.address = addresses[2], .sats = 1'000}}).ok());
  }
}

TEST_CASE("a fault applies as often as asked, per route or everywhere",
          "[btcsim]") {
  FaultPlan plan;
  auto parsed = ParseFault(R"({"route":"utxo","mode":"429","count":2,
                               "retryAfterSeconds":3})");
  REQUIRE(parsed.ok());
  plan.Set(parsed->first, parsed->second);
  CHECK_FALSE(plan.Take("address").has_value());
  const auto first = plan.Take("utxo");
  REQUIRE(first.has_value());
  CHECK(first->mode == FaultMode::kTooManyRequests);
  CHECK(first->retry_after_seconds == 3);
  CHECK(plan.Take("utxo").has_value());
  CHECK_FALSE(plan.Take("utxo").has_value());

  plan.Set("*", ParseFault(R"({"mode":"500"})")->second);
  CHECK(plan.Take("tip").has_value());
  CHECK(plan.Take("tip").has_value());
  plan.Clear();
  CHECK_FALSE(plan.Take("tip").has_value());

  CHECK(absl::StrContains(ParseFault(R"({"mode":"teapot"})").status().message(),
                          "teapot"));
  CHECK(absl::StrContains(
      ParseFault(R"({"route":"nowhere","mode":"500"})").status().message(),
      "nowhere"));
  CHECK(absl::StrContains(ParseFault("[").status().message(), "JSON"));
}

std::unique_ptr<bitcoin::EsploraClient> ClientOf(const std::string& base_url,
                                                 int attempts = 1) {
  return *bitcoin::EsploraClient::Create(
      {.base_urls = {base_url},
       .timeout = absl::Seconds(2),
       .retry = {.max_attempts = attempts,
                 .backoff = {.initial_delay = absl::Milliseconds(10),
                             .max_delay = absl::Milliseconds(50)}}});
}

TEST_CASE("the simulator answers our Esplora client on every network",
          "[btcsim][binary]") {
  testing::BtcsimProcess sim;
  for (const auto& [name, network] :
       {std::pair{"mainnet", Network::kMainnet},
        std::pair{"testnet", Network::kTestnet},
        std::pair{"regtest", Network::kRegtest}}) {
    auto client = ClientOf(sim.api(name));
    const uint64_t tip = *client->GetTipHeight();
    for (const std::string& text : AddressesOf(network)) {
      INFO(name << " " << text);
      const auto address = *bitcoin::Address::Parse(text, network);
      const std::string txid = sim.Fund(name, text, 25'000);
      REQUIRE_FALSE(txid.empty());
      CHECK(client->GetAddressStats(address)->mempool_delta() == 25'000);
      sim.Mine(name, 6);
      const auto stats = *client->GetAddressStats(address);
      CHECK(stats.confirmed_balance() == 25'000);
      CHECK(stats.mempool_delta() == 0);
      const auto utxos = *client->GetUtxos(address);
      REQUIRE(utxos.size() == 1);
      CHECK(utxos[0].txid == txid);
      CHECK(utxos[0].value_sats == 25'000);
      CHECK(utxos[0].status.confirmed);
      const auto status = *client->GetTransactionStatus(txid);
      CHECK(status.confirmed);
      CHECK(*status.block_height + 5 == *client->GetTipHeight());
      CHECK(client->GetChainTransactions(address)->size() == 1);
    }
    CHECK(*client->GetTipHeight() == tip + 6 * AddressesOf(network).size());
  }
  auto mainnet = ClientOf(sim.api("mainnet"));
  // Another network's address, and an unknown transaction.
  CHECK(absl::IsInvalidArgument(
      mainnet
          ->GetAddressStats(*bitcoin::Address::Parse(
              AddressesOf(Network::kTestnet)[2], Network::kTestnet))
          .status()));
  CHECK(absl::IsNotFound(
      mainnet->GetTransactionStatus(std::string(64, 'a')).status()));
}

TEST_CASE("the simulator's faults reach the client as an API misbehaves",
          "[btcsim][binary]") {
  testing::BtcsimProcess sim;
  const std::string text = AddressesOf(Network::kRegtest)[2];
  const auto address = *bitcoin::Address::Parse(text, Network::kRegtest);
  sim.Fund("regtest", text, 40'000);
  sim.Mine("regtest", 1);

  // Two 429s with Retry-After, then answers: the retrying client gets
  // through.
  REQUIRE(sim.Control("/sim/faults",
                      R"({"route":"address","mode":"429","count":2,
                          "retryAfterSeconds":0})")
              .status == 200);
  CHECK(ClientOf(sim.api("regtest"), 3)
            ->GetAddressStats(address)
            ->confirmed_balance() == 40'000);
  // 500s that outlast the retries are an error, never a balance.
  sim.Control("/sim/faults", R"({"route":"utxo","mode":"500"})");
  CHECK_FALSE(ClientOf(sim.api("regtest"), 2)->GetUtxos(address).ok());
  // A body cut short is an error too.
  sim.Control("/sim/faults", R"({"route":"address","mode":"truncate"})");
  const auto truncated = ClientOf(sim.api("regtest"))->GetAddressStats(address);
  CHECK(absl::IsUnavailable(truncated.status()));
  // A slow answer outlasts the client's timeout.
  sim.Control("/sim/faults", R"({"route":"tip","mode":"slow","delayMs":3000})");
  CHECK_FALSE(ClientOf(sim.api("regtest"))->GetTipHeight().ok());
  // Cleared, everything answers.
  sim.Control("/sim/faults", "", "DELETE");
  CHECK(ClientOf(sim.api("regtest"))->GetUtxos(address)->size() == 1);
  // Bad control input names the problem.
  const auto bad = sim.Control("/sim/faults", R"({"mode":"teapot"})");
  CHECK(bad.status == 400);
  CHECK(absl::StrContains(bad.body, "teapot"));
  CHECK(sim.Control("/sim/dogecoin/mine", "{}").status == 404);
}

TEST_CASE("mempool.space's own client reads every route", "[btcsim][binary]") {
  testing::BtcsimProcess sim;
  for (const auto& [name, js_network, network] :
       {std::tuple{"mainnet", "main", Network::kMainnet},
        std::tuple{"testnet", "testnet", Network::kTestnet},
        std::tuple{"regtest", "regtest", Network::kRegtest}}) {
    INFO(name);
    const std::string address = AddressesOf(network)[4];
    const std::string confirmed = sim.Fund(name, address, 60'000);
    sim.Mine(name, 2);
    const std::string pending = sim.Spend(name, address, 10'000);
    const std::string command =
        absl::StrCat("node ", CHAINSYNC_SOURCE_DIR,
                     "/tests/tools/btcsim/mempool_js_read.js ", sim.url(), " ",
                     js_network, " ", address, " ", confirmed, " ", pending);
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) {
      output.append(buffer, n);
    }
    CHECK(pclose(pipe) == 0);
    INFO(output.substr(0, 2000));
    simdjson::dom::parser parser;
    simdjson::dom::element out;
    REQUIRE(parser.parse(output).get(out) == simdjson::SUCCESS);
    CHECK(out["getAddress"]["chain_stats"]["funded_txo_sum"]
              .get_int64()
              .value() == 60'000);
    CHECK(out["getAddress"]["mempool_stats"]["tx_count"].get_int64().value() ==
          1);
    CHECK(out["getAddressTxs"].get_array().value().size() == 2);
    CHECK(out["getAddressTxsChain"].get_array().value().size() == 1);
    CHECK(out["getAddressTxsMempool"].get_array().value().size() == 1);
    CHECK(out["getAddressTxsUtxo"].get_array().value().size() == 1);
    const uint64_t tip = out["getBlocksTipHeight"].get_uint64().value();
    CHECK(out["getBlock"]["height"].get_uint64().value() == tip);
    CHECK(out["getBlockStatus"]["in_best_chain"].get_bool().value());
    CHECK(out["getBlockTxids"].get_array().value().size() == 1);
    CHECK(out["getBlockHeader"].get_string().value().size() == 160);
    CHECK(out["getBlocks"].get_array().value().size() ==
          std::min<uint64_t>(10, tip + 1));
    CHECK(std::string(out["getTx"]["txid"].get_string().value()) == confirmed);
    CHECK(out["getTxStatus"]["confirmed"].get_bool().value());
    CHECK(out["getTxMerkleProof"]["block_height"].get_uint64().value() ==
          tip - 1);
    CHECK(out["getTxOutspend"]["spent"].get_bool().value());
    CHECK(out["getMempoolTx"]["status"]["confirmed"].get_bool().value() ==
          false);
    CHECK(out["getMempool"]["count"].get_int64().value() == 1);
    CHECK(out["getMempoolTxids"].get_array().value().size() == 1);
    CHECK(out["getFeesRecommended"]["fastestFee"].get_int64().value() >= 1);
    CHECK(out["getBlockRaw"].get_int64().value() > 80);
  }
}

}  // namespace
}  // namespace chainsync::btcsim
