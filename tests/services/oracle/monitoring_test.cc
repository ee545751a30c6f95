// Monitoring with the oracle binary, the Bitcoin API simulator and a real
// Postgres: confirmations, mempool amounts apart, a failing API never taken
// for a zero balance, the per-account switch and the background sweep.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/bitcoin/address.h"
#include "tests/services/api-gateway/gateway_test_support.h"
#include "tests/services/api-gateway/tokens.h"
#include "tests/services/oracle/oracle_test_support.h"

namespace chainsync::oracle {
namespace {

using bitcoin::Network;

v1::SweepStatus Sweep(OracleProcess& oracle) {
  v1::SweepStatus status;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().GetSweepStatus(&context, {}, &status).ok());
  return status;
}

grpc::Status Configure(OracleProcess& oracle, const std::string& text_config,
                       const std::vector<std::string>& paths,
                       v1::SweepStatus* status) {
  v1::UpdateSweepConfigRequest request;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(
      text_config, request.mutable_config()));
  for (const std::string& path : paths)
    request.mutable_update_mask()->add_paths(path);
  grpc::ClientContext context;
  return oracle.stub().UpdateSweepConfig(&context, request, status);
}

TEST_CASE(
    "a balance counts once buried under the confirmations, the mempool "
    "apart",
    "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=3"});
  const std::string address = RegisterAddress(oracle, 41, kAlice);

  sim.Fund("regtest", address, 120'000);
  v1::UserSyncStatus status = ForceUserSync(oracle, kAlice);
  CHECK(status.bitcoin_balance_sats() == "0");
  CHECK(status.bitcoin_address_count() == 1);
  // Nothing confirmed, nothing mirrored: in step.
  CHECK(status.state() == v1::USER_SYNC_STATE_SYNCED);
  sim.Mine("regtest", 2);
  CHECK(ForceUserSync(oracle, kAlice).bitcoin_balance_sats() == "0");
  sim.Mine("regtest", 1);
  CHECK(ForceUserSync(oracle, kAlice).bitcoin_balance_sats() == "120000");
  // What is on its way out no longer counts; what comes in waits.
  sim.Spend("regtest", address, 20'000);
  sim.Fund("regtest", address, 7'000);
  status = ForceUserSync(oracle, kAlice);
  CHECK(status.bitcoin_balance_sats() == "0");
  sim.Mine("regtest", 3);
  status = ForceUserSync(oracle, kAlice);
  CHECK(status.bitcoin_balance_sats() != "0");
  CHECK(std::stoll(status.bitcoin_balance_sats()) < 120'000 - 20'000 + 7'000);

  v1::ListBitcoinAddressesRequest list;
  list.set_address(kAlice.ToLowerHex());
  v1::ListBitcoinAddressesResponse listed;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().ListBitcoinAddresses(&context, list, &listed).ok());
  CHECK(listed.bitcoin_addresses(0).confirmed_balance_sats() ==
        status.bitcoin_balance_sats());
  CHECK(listed.bitcoin_addresses(0).has_last_check_time());
}

TEST_CASE("a failing Bitcoin API marks the account stale, never zero",
          "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  const std::string address = RegisterAddress(oracle, 42, kAlice);
  sim.Fund("regtest", address, 50'000);
  sim.Mine("regtest", 1);
  REQUIRE(ForceUserSync(oracle, kAlice).bitcoin_balance_sats() == "50000");

  for (const std::string fault :
       {R"({"route":"utxo","mode":"500"})",
        R"({"route":"utxo","mode":"truncate"})",
        R"({"route":"utxo","mode":"slow","delayMs":3000})",
        R"({"route":"tip","mode":"429"})"}) {
    INFO(fault);
    sim.Control("/sim/faults", fault);
    const v1::UserSyncStatus stale = ForceUserSync(oracle, kAlice);
    CHECK(stale.state() == v1::USER_SYNC_STATE_FAILED);
    CHECK_FALSE(stale.last_error().empty());
    CHECK(stale.consecutive_failures() >= 1);
    // The last whole total stands.
    CHECK(stale.bitcoin_balance_sats() == "50000");
    sim.Control("/sim/faults", "", "DELETE");
  }
  const v1::UserSyncStatus recovered = ForceUserSync(oracle, kAlice);
  CHECK(recovered.state() != v1::USER_SYNC_STATE_FAILED);
  CHECK(recovered.last_error().empty());
  CHECK(recovered.consecutive_failures() == 0);
  CHECK(recovered.bitcoin_balance_sats() == "50000");
}

TEST_CASE(
    "the sweep reads every enabled account in batches, and its switch and "
    "settings survive a restart",
    "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  std::vector<evm::Address> accounts;
  std::vector<std::string> addresses;
  {
    OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
    v1::SweepStatus status;
    REQUIRE(Configure(oracle,
                      "interval { seconds: 1 } batch_size: 2 "
                      "batch_pause { nanos: 0 } retry_delay { nanos: 1000000 }",
                      {"interval", "batch_size", "batch_pause", "retry_delay"},
                      &status)
                .ok());
    CHECK(status.config().batch_size() == 2);
    CHECK(status.config().max_concurrent_users() == 10);
    for (uint8_t i = 0; i < 5; ++i) {
      std::array<uint8_t, 20> bytes{};
      bytes[19] = static_cast<uint8_t>(i + 1);
      accounts.push_back(evm::Address(bytes));
      addresses.push_back(RegisterAddress(oracle, 50 + i, accounts.back()));
      sim.Fund("regtest", addresses.back(), 10'000 * (i + 1));
    }
    sim.Mine("regtest", 1);
    // Account 0 is switched off: the sweep leaves it.
    v1::StopUserSyncRequest stop;
    stop.set_address(accounts[0].ToLowerHex());
    v1::UserSyncStatus stopped;
    grpc::ClientContext context;
    REQUIRE(oracle.stub().StopUserSync(&context, stop, &stopped).ok());
    CHECK(stopped.state() == v1::USER_SYNC_STATE_STOPPED);
    CHECK_FALSE(stopped.enabled());

    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    bool swept = false;
    while (!swept && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(200));
      swept = true;
      for (size_t i = 1; i < accounts.size(); ++i) {
        v1::GetUserSyncStatusRequest request;
        request.set_address(accounts[i].ToLowerHex());
        v1::UserSyncStatus user;
        grpc::ClientContext get;
        REQUIRE(oracle.stub().GetUserSyncStatus(&get, request, &user).ok());
        swept &= user.bitcoin_balance_sats() == absl::StrCat(10'000 * (i + 1));
      }
    }
    CHECK(swept);
    status = Sweep(oracle);
    CHECK(status.running());
    CHECK(status.stats().total_users() == 5);
    CHECK(status.stats().active_users() == 4);
    CHECK(status.stats().sweeps_completed() >= 1);
    CHECK(status.has_next_sweep_time());
    v1::GetUserSyncStatusRequest request;
    request.set_address(accounts[0].ToLowerHex());
    v1::UserSyncStatus first;
    grpc::ClientContext get;
    REQUIRE(oracle.stub().GetUserSyncStatus(&get, request, &first).ok());
    CHECK(first.bitcoin_balance_sats() == "0");

    // Invalid settings change nothing.
    v1::SweepStatus unchanged;
    const grpc::Status invalid =
        Configure(oracle, "batch_size: 0", {"batch_size"}, &unchanged);
    CHECK(invalid.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(absl::StrContains(invalid.error_message(), "batch_size"));
    CHECK(Configure(oracle, "batch_size: 5", {"colour"}, &unchanged)
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Sweep(oracle).config().batch_size() == 2);

    grpc::ClientContext stop_sweep;
    REQUIRE(oracle.stub().StopSweep(&stop_sweep, {}, &status).ok());
    CHECK_FALSE(status.running());
  }
  OracleProcess restarted(database, sim);
  const v1::SweepStatus status = Sweep(restarted);
  CHECK_FALSE(status.running());
  CHECK(status.config().batch_size() == 2);
  CHECK(status.config().interval().seconds() == 1);
  CHECK_FALSE(status.has_next_sweep_time());
}

TEST_CASE("the dashboards' own sync calls work unchanged through the gateway",
          "[oracle][binary][gateway]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  gateway::EmptyAnswers stand_in;
  gateway::GatewayProcess gateway(
      {"--oracle_address=" + oracle.address(),
       "--indexer_address=" + stand_in.address(),
       "--reconciler_address=" + stand_in.address()});
  const absl::Time expires = absl::Now() + absl::Hours(1);
  const std::string alice = gateway::Token(kAlice.ToLowerHex(), "", expires);
  const std::string bob = gateway::Token(kBob.ToLowerHex(), "", expires);
  const std::string admin = gateway::Token("operator", "admin", expires);
  const std::string address = RegisterAddress(oracle, 61, kAlice);
  sim.Fund("regtest", address, 33'000);
  sim.Mine("regtest", 1);

  // The user's dashboard: start on login, status, force, stop on logout.
  const std::string user = kAlice.ToLowerHex();
  const auto post = [&](const std::string& token, const std::string& action) {
    return gateway.Send("POST", "/api/blockchain/sync", token,
                        absl::StrCat(R"({"action":")", action,
                                     R"(","userId":")", user, R"("})"));
  };
  auto started = post(alice, "start");
  INFO(started.body);
  CHECK(started.status == 200);
  CHECK(absl::StrContains(started.body, R"({"status":{)"));
  CHECK(absl::StrContains(started.body, R"("bitcoinBalanceSats":"33000")"));
  const auto got = gateway.Send(
      "GET", absl::StrCat("/api/blockchain/sync?userId=", user), alice);
  CHECK(got.status == 200);
  CHECK(absl::StrContains(got.body, R"("enabled":true)"));
  CHECK(post(alice, "force").status == 200);
  const auto stopped = post(alice, "stop");
  CHECK(stopped.status == 200);
  CHECK(absl::StrContains(stopped.body, "USER_SYNC_STATE_STOPPED"));
  CHECK(post(bob, "start").status == 403);
  const auto bad = post(alice, "pause");
  CHECK(bad.status == 400);
  CHECK(absl::StrContains(bad.body, "pause"));

  // The admin panel: configure, stop, start, force, read with stats.
  const auto admin_post = [&](const std::string& token,
                              const std::string& body) {
    return gateway.Send("POST", "/api/admin/background-sync", token, body);
  };
  const auto configured = admin_post(
      admin,
      R"({"action":"config","config":{"interval":120000,"maxConcurrentUsers":4}})");
  INFO(configured.body);
  CHECK(configured.status == 200);
  CHECK(absl::StrContains(configured.body, R"("interval":"120s")"));
  CHECK(absl::StrContains(configured.body, R"("maxConcurrentUsers":4)"));
  CHECK(absl::StrContains(admin_post(admin, R"({"action":"stop"})").body,
                          R"("running":false)"));
  CHECK(absl::StrContains(admin_post(admin, R"({"action":"start"})").body,
                          R"("running":true)"));
  CHECK(admin_post(admin, R"({"action":"force"})").status == 200);
  CHECK(admin_post(alice, R"({"action":"stop"})").status == 403);
  const auto stats =
      gateway.Send("GET", "/api/admin/background-sync?stats=true", admin);
  CHECK(stats.status == 200);
  CHECK(absl::StrContains(stats.body, R"("totalUsers":"1")"));
}

}  // namespace
}  // namespace chainsync::oracle
