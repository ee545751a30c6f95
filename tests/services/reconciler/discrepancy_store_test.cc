// The discrepancy store on a real Postgres: a run is recorded whole, a
// discrepancy seen again keeps its first sighting, one no longer found is
// resolved, and the latest run carries its health.
#include "services/reconciler/discrepancy_store.h"

#include <catch2/catch.hpp>

#include "libs/common/postgres/migrations.h"
#include "reconciler_migrations.h"
#include "tests/support/test_env.h"

namespace chainsync::reconciler {
namespace {

std::unique_ptr<PgPool> MigratedPool(const testing::ScopedDatabase& database) {
  auto pool = PgPool::Create({.connect = {.url = database.url()}});
  REQUIRE(pool.ok());
  auto connection = (*pool)->Acquire();
  REQUIRE(connection.ok());
  REQUIRE(
      ApplyMigrations(**connection, "reconciler", ReconcilerMigrations()).ok());
  return *std::move(pool);
}

const Rule& RuleNamed(absl::string_view name) {
  for (const Rule& rule : Rules()) {
    if (rule.name == name) return rule;
  }
  FAIL("no rule " << name);
  return Rules().front();
}

evm::Address AccountOf(uint8_t seed) {
  std::array<uint8_t, 20> bytes{};
  bytes[19] = seed;
  return evm::Address(bytes);
}

RuleOutcome Outcome(absl::string_view rule, std::vector<Finding> findings) {
  RuleOutcome outcome{.rule = &RuleNamed(rule)};
  for (const Finding& finding : findings) {
    outcome.checked.push_back(finding.subject);
  }
  outcome.findings = std::move(findings);
  return outcome;
}

Finding BalanceFinding(uint8_t seed, const std::string& indexed) {
  return {.subject = "account:" + AccountOf(seed).ToLowerHex(),
          .account = AccountOf(seed),
          .chain_value = "100",
          .indexer_value = indexed,
          .detail = "differs"};
}

RunSummary RunAt(absl::Time when, uint64_t block) {
  RunSummary run{.started = when - absl::Seconds(1),
                 .finished = when,
                 .block = block,
                 .accounts_checked = 2};
  run.health = Score({}, DefaultWeights());
  return run;
}

TEST_CASE("a run's discrepancies open, are seen again, and resolve",
          "[reconciler][store]") {
  testing::ScopedDatabase database;
  auto pool = MigratedPool(database);
  DiscrepancyStore store(*pool);
  const absl::Time first = absl::FromUnixSeconds(1'800'000'000);
  CHECK_FALSE(store.LatestRun()->has_value());

  RunSummary run = RunAt(first, 10);
  Finding settling = BalanceFinding(3, "7");
  settling.settling = true;
  REQUIRE(store
              .Record(run, {Outcome("balance_chain_indexer",
                                    {BalanceFinding(1, "90"),
                                     BalanceFinding(2, "80")}),
                            Outcome("mirror_matches_bitcoin", {settling})})
              .ok());
  CHECK(run.id > 0);
  CHECK(run.found == 2);
  CHECK(*store.OpenCount() == 2);
  const FirstSeen open = *store.OpenSince();
  CHECK(open.size() == 3);
  CHECK(open.at({"balance_chain_indexer",
                 "account:" + AccountOf(1).ToLowerHex()}) == first);

  // The next run finds the first again, with another value, not the second.
  RunSummary next = RunAt(first + absl::Minutes(1), 11);
  REQUIRE(store
              .Record(next, {Outcome("balance_chain_indexer",
                                     {BalanceFinding(1, "95")})})
              .ok());
  const auto listed = store.List({.include_settling = true});
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 3);
  // Newest first: the settling one, the second, the first.
  const StoredDiscrepancy& seen_again = listed->back();
  CHECK(seen_again.status == "open");
  CHECK(seen_again.finding.indexer_value == "95");
  CHECK(seen_again.block == 11);
  CHECK(seen_again.times_seen == 2);
  CHECK(seen_again.first_seen == first);
  CHECK(seen_again.last_seen == first + absl::Minutes(1));
  CHECK(seen_again.kind == "balance_mismatch");
  CHECK(seen_again.severity == "critical");
  CHECK(seen_again.finding.account == AccountOf(1));
  const StoredDiscrepancy& gone = (*listed)[1];
  CHECK(gone.status == "resolved");
  CHECK(gone.resolved_at == first + absl::Minutes(1));
  CHECK((*listed)[0].status == "resolved");
  CHECK(*store.OpenCount() == 1);

  // Filters and pages.
  CHECK(store.List({.statuses = {"open"}})->size() == 1);
  CHECK(store.List({.kinds = {"supply_mismatch"}})->empty());
  CHECK(store.List({.account = AccountOf(2)})->front().id == gone.id);
  CHECK(store.List({.before_id = gone.id})->front().id == seen_again.id);
  // Settling differences are not listed unless asked for.
  CHECK(store.List({})->size() == 2);

  // A finding that comes back after it resolved is a new discrepancy.
  RunSummary third = RunAt(first + absl::Minutes(2), 12);
  REQUIRE(store
              .Record(third, {Outcome("balance_chain_indexer",
                                      {BalanceFinding(1, "95"),
                                       BalanceFinding(2, "80")})})
              .ok());
  CHECK(store.List({.account = AccountOf(2)})->size() == 2);
}

TEST_CASE("the latest run carries its health, component by component",
          "[reconciler][store]") {
  testing::ScopedDatabase database;
  auto pool = MigratedPool(database);
  DiscrepancyStore store(*pool);
  RunSummary run = RunAt(absl::FromUnixSeconds(1'800'000'000), 42);
  RuleOutcome missing = Outcome("user_indexed", {BalanceFinding(1, "")});
  missing.checked.push_back("account:other");
  run.health = Score({missing}, DefaultWeights());
  REQUIRE(store.Record(run, {missing}).ok());
  const auto latest = store.LatestRun();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  const RunSummary& stored = **latest;
  CHECK(stored.id == run.id);
  CHECK(stored.block == 42);
  CHECK(stored.health.score == Approx(90));
  REQUIRE(stored.health.components.size() == 6);
  const ComponentScore& users = stored.health.components[2];
  CHECK(users.name == "user_management");
  CHECK(users.score == Approx(50));
  CHECK(users.contribution == Approx(10));
  CHECK(users.checked == 2);
  CHECK(users.failing == 1);
  CHECK(users.detail == "user_indexed fails for 1 of 2");
}

}  // namespace
}  // namespace chainsync::reconciler
