// An account's yield standing: eligibility, tier by time held, the rates.
#include "services/oracle/yield_standing.h"

#include <catch2/catch.hpp>

namespace chainsync::oracle {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);
const YieldRules kRules{.minimum_sats = 10'000,
                        .rate_bps = {100, 150, 200, 300}};

TEST_CASE("eligibility needs a mirrored account holding the pool's minimum",
          "[oracle]") {
  const auto reason = [](uint64_t sats, bool mirrored) {
    const YieldStanding standing = YieldStandingOf(
        {.rbtc_sats = evm::Uint256(sats)}, mirrored, kRules, kNow);
    CHECK(standing.eligible == standing.ineligibility_reason.empty());
    CHECK(standing.balance_sats == evm::Uint256(sats));
    return standing.ineligibility_reason;
  };
  CHECK(reason(10'000, true).empty());
  CHECK(reason(2'000'000, true).empty());
  CHECK(reason(0, true) == "no rBTC balance");
  CHECK(reason(9'999, true) ==
        "rBTC balance of 9999 sats is below the pool's minimum of 10000 sats");
  // rBTC bought from someone else is not enough: the oracle must mirror the
  // account's own Bitcoin.
  CHECK(reason(50'000, false) ==
        "the account has registered no Bitcoin address with the oracle");
}

TEST_CASE("a participant's tier grows with the time since it joined",
          "[oracle]") {
  const auto standing = [](absl::Duration held) {
    return YieldStandingOf(
        {.rbtc_sats = evm::Uint256(20'000), .joined_at = kNow - held}, true,
        kRules, kNow);
  };
  const std::vector<std::tuple<absl::Duration, LoyaltyTier, uint32_t>> cases = {
      {absl::ZeroDuration(), LoyaltyTier::kBronze, 100},
      {absl::Hours(30 * 24) - absl::Seconds(1), LoyaltyTier::kBronze, 100},
      {absl::Hours(30 * 24), LoyaltyTier::kSilver, 150},
      {absl::Hours(90 * 24), LoyaltyTier::kGold, 200},
      {absl::Hours(365 * 24) - absl::Seconds(1), LoyaltyTier::kGold, 200},
      {absl::Hours(365 * 24), LoyaltyTier::kPlatinum, 300},
      {absl::Hours(5 * 365 * 24), LoyaltyTier::kPlatinum, 300},
      // A join stamped ahead of the oracle's clock is a new one.
      {-absl::Minutes(1), LoyaltyTier::kBronze, 100}};
  for (const auto& [held, tier, rate] : cases) {
    INFO(absl::FormatDuration(held));
    const YieldStanding standing_now = standing(held);
    CHECK(standing_now.tier == tier);
    CHECK(standing_now.rate_bps == rate);
    CHECK(standing_now.joined_at == kNow - held);
  }
}

TEST_CASE(
    "a non-participant has no tier and no rate; a participant below "
    "the minimum keeps its tier",
    "[oracle]") {
  const YieldStanding outside =
      YieldStandingOf({.rbtc_sats = evm::Uint256(50'000)}, true, kRules, kNow);
  CHECK(outside.eligible);
  CHECK_FALSE(outside.joined_at.has_value());
  CHECK(outside.tier == LoyaltyTier::kNone);
  CHECK(outside.rate_bps == 0);
  // The pool keeps whoever joined; the standing says both.
  const YieldStanding burned = YieldStandingOf(
      {.rbtc_sats = evm::Uint256(0), .joined_at = kNow - absl::Hours(24 * 40)},
      true, kRules, kNow);
  CHECK_FALSE(burned.eligible);
  CHECK(burned.tier == LoyaltyTier::kSilver);
}

TEST_CASE("tier rates are four basis-point figures that never fall",
          "[oracle]") {
  CHECK(*ParseRates("100,150,200,300") ==
        std::array<uint32_t, 4>{100, 150, 200, 300});
  CHECK(*ParseRates("0,0,0,0") == std::array<uint32_t, 4>{0, 0, 0, 0});
  CHECK(ParseRates("100,150,200").status().message() ==
        "needs 4 rates (bronze,silver,gold,platinum), has 3");
  CHECK(ParseRates("100,150,x,300").status().message() ==
        "rate 3 (x) is not a whole number of basis points from 0 to 100000");
  CHECK(ParseRates("100,150,200,100001").status().message() ==
        "rate 4 (100001) is not a whole number of basis points from 0 to "
        "100000");
  CHECK(ParseRates("200,150,250,300").status().message() ==
        "rate 2 is below the tier before it");
}

}  // namespace
}  // namespace chainsync::oracle
