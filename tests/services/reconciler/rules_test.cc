// The reconciliation rules and the health score on snapshots built by hand:
// a consistent system scores 100, each fault fires its rule, and the
// ReserveBTC report's situation scores what its weights say.
#include "services/reconciler/rules.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "services/reconciler/health.h"

namespace chainsync::reconciler {
namespace {

evm::Address AccountOf(uint8_t seed) {
  std::array<uint8_t, 20> bytes{};
  bytes[0] = 0xac;
  bytes[19] = seed;
  return evm::Address(bytes);
}

evm::Hash TransactionOf(uint8_t seed) {
  evm::Hash hash{};
  hash[0] = 0x7e;
  hash[31] = seed;
  return hash;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// Consistent: three accounts mirrored by three journaled syncs, indexed,
// every contract with code.
Snapshot Consistent() {
  Snapshot snapshot;
  snapshot.taken = kNow;
  snapshot.chain.block = 100;
  snapshot.chain.head = 102;
  snapshot.indexer.head = 102;
  const char* names[] = {"RBTCSynth", "WrappedRBTC", "FeeVault",
                         "OracleAggregator", "YieldScalesPool"};
  for (uint8_t i = 0; i < 5; ++i) {
    snapshot.chain.contracts.push_back(
        {.name = names[i], .address = AccountOf(200 + i), .has_code = true});
  }
  for (uint8_t i = 1; i <= 3; ++i) {
    const evm::Address account = AccountOf(i);
    const uint64_t sats = 10'000 * i;
    snapshot.chain.balances[account] = sats;
    snapshot.chain.synced[account] = sats;
    snapshot.chain.total_supply += sats;
    snapshot.indexer.balances[account] = sats;
    const MirrorEvent synced{.kind = MirrorEvent::Kind::kSynced,
                             .transaction = TransactionOf(i),
                             .block = 90u + i,
                             .account = account,
                             .amount = sats};
    snapshot.chain.events.push_back(synced);
    snapshot.indexer.events.push_back(synced);
    snapshot.oracle.accounts.push_back(
        {.account = account, .confirmed_sats = sats});
    snapshot.oracle.operations.push_back({.id = i,
                                          .confirmed = true,
                                          .transaction = TransactionOf(i),
                                          .block = 90u + i,
                                          .accounts = {account}});
  }
  return snapshot;
}

const RuleOutcome& OutcomeOf(const std::vector<RuleOutcome>& outcomes,
                             absl::string_view rule) {
  for (const RuleOutcome& outcome : outcomes) {
    if (outcome.rule->name == rule) return outcome;
  }
  FAIL("no rule " << rule);
  return outcomes.front();
}

// Failing lists "rule subject" of every counted finding.
std::vector<std::string> Failing(const std::vector<RuleOutcome>& outcomes) {
  std::vector<std::string> failing;
  for (const RuleOutcome& outcome : outcomes) {
    for (const Finding& finding : outcome.findings) {
      if (!finding.settling) {
        failing.push_back(
            absl::StrCat(outcome.rule->name, " ", finding.subject));
      }
    }
  }
  return failing;
}

TEST_CASE("a consistent system passes every rule and scores 100",
          "[reconciler]") {
  const auto outcomes = Evaluate(Consistent(), {}, {});
  CHECK(Failing(outcomes).empty());
  CHECK(OutcomeOf(outcomes, "balance_chain_indexer").checked.size() == 3);
  CHECK(OutcomeOf(outcomes, "sync_logged").checked.size() == 3);
  const HealthScore health = Score(outcomes, DefaultWeights());
  CHECK(health.score == Approx(100));
  CHECK(health.status == HealthStatus::kHealthy);
  for (const ComponentScore& component : health.components) {
    CHECK(component.detail.empty());
  }
}

TEST_CASE("each fault fires its rule, naming what disagrees", "[reconciler]") {
  Snapshot snapshot = Consistent();
  const evm::Address second = AccountOf(2);
  std::string expected;
  SECTION("a balance edited in the indexer") {
    snapshot.indexer.balances[second] = 1;
    expected = "balance_chain_indexer account:" + second.ToLowerHex();
    const auto outcomes = Evaluate(snapshot, {}, {});
    const Finding& finding =
        OutcomeOf(outcomes, "balance_chain_indexer").findings.at(0);
    CHECK(finding.chain_value == "20000");
    CHECK(finding.indexer_value == "1");
    CHECK(finding.detail ==
          "rBTC balance at block 100: 20000 on chain, 1 indexed");
    // The indexed sum no longer matches the supply either.
    CHECK(Failing(outcomes) ==
          std::vector<std::string>{expected, "supply_sum supply"});
    return;
  }
  SECTION("a burn on chain the oracle did not record") {
    snapshot.chain.events.push_back({.kind = MirrorEvent::Kind::kEmergencyBurn,
                                     .transaction = TransactionOf(9),
                                     .log_index = 4,
                                     .block = 99,
                                     .account = second,
                                     .amount = 20'000});
    expected = "burn_recorded event:" + evm::ToHex(TransactionOf(9)) + ":4";
  }
  SECTION("a sync with no operation in the journal") {
    snapshot.oracle.operations.erase(snapshot.oracle.operations.begin() + 1);
    expected = "sync_logged event:" + evm::ToHex(TransactionOf(2)) + ":0";
  }
  SECTION("an operation whose event the indexer lacks") {
    snapshot.indexer.events.erase(snapshot.indexer.events.begin());
    expected = "operation_indexed operation:1";
    // The indexer is to read the chain again from the operation's block.
    CHECK(OutcomeOf(Evaluate(snapshot, {}, {}), "operation_indexed")
              .findings.at(0)
              .from_block == 91);
  }
  SECTION("a contract without code") {
    snapshot.chain.contracts[1].has_code = false;
    expected = "contract_code contract:" + AccountOf(201).ToLowerHex();
  }
  SECTION("the indexer stopped") {
    snapshot.chain.head = 200;
    expected = "indexer_lag indexer";
  }
  SECTION("the indexer does not answer") {
    snapshot.indexer = {.unavailable = "connection refused"};
    expected = "indexer_lag indexer";
    const auto outcomes = Evaluate(snapshot, {}, {});
    CHECK(OutcomeOf(outcomes, "indexer_lag").findings.at(0).detail ==
          "the indexer does not answer: connection refused");
    // What compares with the indexer checks nothing; the chain and the
    // oracle are still compared.
    CHECK(OutcomeOf(outcomes, "balance_chain_indexer").checked.empty());
    CHECK(OutcomeOf(outcomes, "user_in_oracle").checked.empty());
    CHECK(OutcomeOf(outcomes, "sync_logged").checked.size() == 3);
  }
  SECTION("an indexed holder the oracle does not know") {
    snapshot.oracle.accounts.erase(snapshot.oracle.accounts.begin() + 1);
    expected = "user_in_oracle account:" + second.ToLowerHex();
  }
  const auto outcomes = Evaluate(snapshot, {}, {});
  CHECK(Failing(outcomes) == std::vector<std::string>{expected});
  CHECK(Score(outcomes, DefaultWeights()).score < 100);
}

TEST_CASE("a mirror that differs counts once it has lasted", "[reconciler]") {
  Snapshot snapshot = Consistent();
  const evm::Address third = AccountOf(3);
  snapshot.oracle.accounts[2].confirmed_sats = 31'000;
  const std::string subject = "account:" + third.ToLowerHex();
  // First seen now: settling, recorded but not counted.
  auto outcomes = Evaluate(snapshot, {}, {});
  const Finding& fresh =
      OutcomeOf(outcomes, "mirror_matches_bitcoin").findings.at(0);
  CHECK(fresh.settling);
  CHECK(fresh.chain_value == "30000");
  CHECK(fresh.oracle_value == "31000");
  CHECK(Failing(outcomes).empty());
  // Seen for longer than settle_after: it counts.
  const FirstSeen old = {
      {{"mirror_matches_bitcoin", subject}, kNow - absl::Minutes(5)}};
  outcomes = Evaluate(snapshot, {}, old);
  CHECK(Failing(outcomes) ==
        std::vector<std::string>{"mirror_matches_bitcoin " + subject});
  // Within the tolerance, or with a sync on its way, it passes.
  CHECK(
      Failing(Evaluate(snapshot, {.sync_tolerance_sats = 1'000}, old)).empty());
  snapshot.oracle.accounts[2].in_flight = true;
  CHECK(Failing(Evaluate(snapshot, {}, old)).empty());
}

TEST_CASE("the report's situation scores what its weights say",
          "[reconciler]") {
  // Three users tracked by the oracle, one of them with a sync pending for
  // long and unknown to the database; three emergency burns and every sync
  // on chain, none of them in an operations log.
  Snapshot snapshot = Consistent();
  const evm::Address pending = AccountOf(3);
  snapshot.chain.total_supply -= snapshot.chain.balances[pending];
  snapshot.chain.balances.erase(pending);
  snapshot.chain.synced.erase(pending);
  snapshot.indexer.balances.erase(pending);
  snapshot.chain.events.pop_back();
  snapshot.indexer.events.pop_back();
  snapshot.oracle.accounts[2].in_flight = true;
  snapshot.oracle.operations.clear();
  for (uint8_t i = 0; i < 3; ++i) {
    snapshot.chain.events.push_back({.kind = MirrorEvent::Kind::kEmergencyBurn,
                                     .transaction = TransactionOf(50 + i),
                                     .block = 95,
                                     .account = AccountOf(1),
                                     .amount = 1});
  }
  const FirstSeen old = {{{"user_indexed", "account:" + pending.ToLowerHex()},
                          kNow - absl::Hours(24)}};
  const HealthScore health =
      Score(Evaluate(snapshot, {}, old), DefaultWeights());
  std::map<std::string, double> scores;
  for (const ComponentScore& component : health.components) {
    scores[component.name] = component.score;
  }
  CHECK(scores["contract_deployment"] == Approx(100));
  CHECK(scores["transaction_logging"] == Approx(100));
  CHECK(scores["user_management"] == Approx(200.0 / 3));
  CHECK(scores["emergency_burn_sync"] == Approx(0));
  CHECK(scores["oracle_operations_log"] == Approx(0));
  CHECK(scores["yield_readiness"] == Approx(100));
  // 25 + 20 + 20 × 2/3 + 0 + 0 + 10; the report rounds 2/3 to 67 %: 68.4.
  CHECK(health.score == Approx(68.333).epsilon(1e-4));
  CHECK(health.status == HealthStatus::kUnhealthy);
  CHECK(health.components[2].detail == "user_indexed fails for 1 of 3");
}

TEST_CASE("health weights are read strictly", "[reconciler]") {
  const auto weights = ParseWeights(
      "contract_deployment=0.5,transaction_logging=0.1,user_management=0.1,"
      "emergency_burn_sync=0.1,oracle_operations_log=0.1,yield_readiness=0.1");
  REQUIRE(weights.ok());
  CHECK(weights->front().weight == 0.5);
  CHECK(ParseWeights("contract_deployment=1").status().message() ==
        "health weights: missing transaction_logging, user_management, "
        "emergency_burn_sync, oracle_operations_log, yield_readiness");
  CHECK(ParseWeights("uptime=1").status().message() ==
        "health weights: unknown component \"uptime\"");
  CHECK(ParseWeights(
            "contract_deployment=0.5,transaction_logging=0.5,user_management="
            "0.5,emergency_burn_sync=0,oracle_operations_log=0,yield_"
            "readiness=0")
            .status()
            .message() == "health weights: they sum to 1.5, not 1");
  CHECK(ParseWeights("contract_deployment=-1").status().message() ==
        "health weights: contract_deployment must be from 0 to 1, got \"-1\"");
}

}  // namespace
}  // namespace chainsync::reconciler
