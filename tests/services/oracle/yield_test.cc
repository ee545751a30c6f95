// The oracle with the indexer behind it: a sync shows in the indexed data
// and through the gateway, and the yield standing is computed from what
// the indexer holds (the reference protocol's pool joins and leaves).
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/services/api-gateway/gateway_test_support.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/services/oracle/oracle_test_support.h"

namespace chainsync::oracle {
namespace {

grpc::Status AskYield(OracleProcess& oracle, const std::string& address,
                      v1::YieldStatus* status) {
  v1::GetYieldStatusRequest request;
  request.set_address(address);
  grpc::ClientContext context;
  return oracle.stub().GetYieldStatus(&context, request, status);
}

v1::YieldStatus YieldOf(OracleProcess& oracle, const evm::Address& account) {
  v1::YieldStatus status;
  const grpc::Status answer = AskYield(oracle, account.ToLowerHex(), &status);
  INFO(answer.error_message());
  REQUIRE(answer.ok());
  return status;
}

TEST_CASE(
    "a sync reaches the indexer and the gateway, and the yield standing "
    "follows the indexed pool",
    "[oracle][binary][indexer][gateway]") {
  // The reference workload on a deployment of the test's own: user 0
  // holds 80,000 rBTC (synced 120,000) and left the pool, user 2 joined
  // and was burned to nothing.
  const OracleChain chain =
      OracleChain::Deploy(testing::GetTestEnvironment().rpc_url);
  chain.workload->Run();
  testing::ScopedDatabase indexed;
  auto indexer = indexer::StartIndexer(indexed.url(), chain.deployment_file,
                                       chain.rpc_url, {"--poll_interval=50ms"});
  const int indexer_port = indexer::GrpcPortWhenReady(*indexer);
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(
      database, sim,
      {"--btc_confirmations=1",
       absl::StrCat("--indexer_address=127.0.0.1:", indexer_port)},
      {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}, chain);
  gateway::EmptyAnswers stand_in;
  gateway::GatewayProcess gateway(
      {absl::StrCat("--indexer_address=127.0.0.1:", indexer_port),
       "--oracle_address=" + oracle.address(),
       "--reconciler_address=" + stand_in.address()});
  const std::vector<evm::Address> users = chain.workload->holders();
  const evm::Address holder = users[0];
  const evm::Address burned = users[2];
  const absl::Time expires = absl::Now() + absl::Hours(1);

  // Bitcoin worth 150,000 sats: the oracle mints the 30,000 missing.
  const std::string address = RegisterAddress(oracle, 81, holder);
  sim.Fund("regtest", address, 150'000);
  sim.Mine("regtest", 1);
  RegisterAddress(oracle, 82, burned);
  for (const evm::Address& account : {holder, burned}) {
    ForceUserSync(oracle, account);
  }
  const std::string token = gateway::Token(holder.ToLowerHex(), "", expires);
  const auto balances = [&] {
    return gateway.Send(
        "GET",
        absl::StrCat("/api/realtime/balances?address=", holder.ToLowerHex()),
        token);
  };
  HttpClientResponse answer;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
       absl::Now() < deadline; absl::SleepFor(absl::Milliseconds(100))) {
    answer = balances();
    if (absl::StrContains(answer.body, R"("balance":"110000")")) break;
  }
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  REQUIRE(absl::StrContains(answer.body, R"("balance":"110000")"));
  const auto activity = gateway.Send(
      "GET",
      absl::StrCat("/api/realtime/transactions?address=", holder.ToLowerHex(),
                   "&kinds=ACTIVITY_KIND_SYNC"),
      token);
  INFO(activity.body);
  CHECK(absl::StrContains(activity.body, R"("newBalance":"150000")"));

  // Eligible, having left the pool: no tier.
  const v1::YieldStatus left = YieldOf(oracle, holder);
  CHECK(left.address() == holder.ToChecksumHex());
  CHECK(left.eligible());
  CHECK(left.ineligibility_reason().empty());
  CHECK_FALSE(left.participant());
  CHECK_FALSE(left.has_join_time());
  CHECK(left.balance_sats() == "110000");
  CHECK(left.tier() == v1::LOYALTY_TIER_UNSPECIFIED);
  CHECK(left.yield_rate_bps() == 0);

  // Still in the pool with nothing left: a bronze participant, not
  // eligible to join again.
  const v1::YieldStatus joined = YieldOf(oracle, burned);
  CHECK_FALSE(joined.eligible());
  CHECK(joined.ineligibility_reason() == "no rBTC balance");
  CHECK(joined.participant());
  CHECK(joined.join_time().seconds() > 0);
  CHECK(joined.balance_sats() == "0");
  CHECK(joined.tier() == v1::LOYALTY_TIER_BRONZE);
  CHECK(joined.yield_rate_bps() == 100);

  // Through the gateway, for the owner only.
  const auto route = [&](const evm::Address& account,
                         const std::string& bearer) {
    return gateway.Send("GET",
                        absl::StrCat("/api/realtime/yield-status?address=",
                                     account.ToLowerHex()),
                        bearer);
  };
  const auto own =
      route(burned, gateway::Token(burned.ToLowerHex(), "", expires));
  INFO(own.body);
  CHECK(own.status == 200);
  CHECK(absl::StrContains(own.body, R"("tier":"LOYALTY_TIER_BRONZE")"));
  CHECK(absl::StrContains(own.body, R"("participant":true)"));
  CHECK(route(burned, token).status == 403);

  // An account the oracle does not mirror is told why.
  const v1::YieldStatus stranger = YieldOf(oracle, kBob);
  CHECK_FALSE(stranger.eligible());
  CHECK(stranger.ineligibility_reason() ==
        "the account has registered no Bitcoin address with the oracle");
}

TEST_CASE("without its indexer the yield standing is unavailable, and says why",
          "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  // A port nothing listens on.
  OracleProcess oracle(database, sim, {"--indexer_address=127.0.0.1:1"});
  v1::YieldStatus status;
  const grpc::Status answer = AskYield(oracle, kAlice.ToLowerHex(), &status);
  CHECK(answer.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(absl::StrContains(answer.error_message(),
                          "the indexer's GetBalances failed"));
  CHECK(AskYield(oracle, "0x12", &status).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace chainsync::oracle
