// Judge, the disputes' verdict from what was read: hermetic.
#include <catch2/catch.hpp>

#include "services/reconciler/disputes.h"

namespace chainsync::reconciler {
namespace {

DisputeReading Reading(int64_t claimed, int64_t recorded,
                       std::optional<int64_t> confirmed, int64_t pending = 0,
                       size_t addresses = 2) {
  DisputeReading reading{.claimed_sats = claimed, .recorded_sats = recorded};
  reading.bitcoin.tip = 800'000;
  reading.bitcoin.addresses.resize(addresses);
  reading.bitcoin.confirmed_sats = confirmed;
  reading.bitcoin.pending_sats = pending;
  if (!confirmed.has_value()) {
    reading.bitcoin.stale_reason = "bc1qexample: HTTP 503";
  }
  return reading;
}

TEST_CASE("a mirror that differs from the addresses is corrected",
          "[reconciler][disputes]") {
  const auto verdict = Judge(Reading(74'000, 64'000, 74'000));
  REQUIRE(verdict.ok());
  CHECK(verdict->correct);
  CHECK(verdict->verified_sats == 74'000);
  CHECK(verdict->evidence ==
        "its 2 Bitcoin addresses hold 74000 sats with at least 6 "
        "confirmations at Bitcoin block 800000; the chain records 64000 "
        "sats, so the mirror is wrong and a sync to 74000 sats is due, as "
        "claimed");
  // Even when the claim itself is off, the mirror is set to what is there.
  const auto off = Judge(Reading(90'000, 64'000, 74'000));
  REQUIRE(off.ok());
  CHECK(off->correct);
  CHECK(off->verified_sats == 74'000);
  CHECK(off->evidence.ends_with("(the claim said 90000 sats)"));
}

TEST_CASE("a mirror that matches rejects the claim, naming what is pending",
          "[reconciler][disputes]") {
  const auto verdict = Judge(Reading(70'000, 64'000, 64'000, 6'000, 1));
  REQUIRE(verdict.ok());
  CHECK_FALSE(verdict->correct);
  CHECK(verdict->evidence ==
        "its Bitcoin address holds 64000 sats with at least 6 confirmations "
        "at Bitcoin block 800000, and 6000 sats not yet that deep, which "
        "are mirrored once they are; the chain records 64000 sats, so the "
        "recorded balance stands and the claim of 70000 sats does not");
  // Within the tolerance the mirror is right.
  DisputeReading close = Reading(64'010, 64'000, 64'010);
  close.tolerance_sats = 10;
  CHECK_FALSE(Judge(close)->correct);
  close.tolerance_sats = 9;
  CHECK(Judge(close)->correct);
}

TEST_CASE("an account without addresses holds nothing",
          "[reconciler][disputes]") {
  const auto verdict = Judge(Reading(5'000, 0, 0, 0, 0));
  REQUIRE(verdict.ok());
  CHECK_FALSE(verdict->correct);
  CHECK(verdict->evidence.starts_with(
      "the account has no Bitcoin address registered, so it holds 0 sats"));
}

TEST_CASE("a reading with a hole decides nothing", "[reconciler][disputes]") {
  const auto verdict = Judge(Reading(74'000, 64'000, std::nullopt));
  CHECK(verdict.status().code() == absl::StatusCode::kUnavailable);
  CHECK(verdict.status().message() ==
        "the account's Bitcoin addresses could not all be read (bc1qexample: "
        "HTTP 503); the dispute is validated once they are");
}

}  // namespace
}  // namespace chainsync::reconciler
