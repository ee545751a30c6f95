#include "services/oracle/yield_standing.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace chainsync::oracle {

YieldStanding YieldStandingOf(const PoolFacts& facts, bool mirrored,
                              const YieldRules& rules, absl::Time now) {
  YieldStanding standing{.joined_at = facts.joined_at,
                         .balance_sats = facts.rbtc_sats};
  if (!mirrored) {
    standing.ineligibility_reason =
        "the account has registered no Bitcoin address with the oracle";
  } else if (facts.rbtc_sats == evm::Uint256(0)) {
    standing.ineligibility_reason = "no rBTC balance";
  } else if (facts.rbtc_sats < evm::Uint256(rules.minimum_sats)) {
    standing.ineligibility_reason = absl::StrCat(
        "rBTC balance of ", evm::ToDecimal(facts.rbtc_sats),
        " sats is below the pool's minimum of ", rules.minimum_sats, " sats");
  } else {
    standing.eligible = true;
  }
  if (!facts.joined_at.has_value()) return standing;
  // A join stamped after `now` (clocks apart) counts as just made.
  const absl::Duration held = now - *facts.joined_at;
  standing.tier = held >= absl::Hours(365 * 24)  ? LoyaltyTier::kPlatinum
                  : held >= absl::Hours(90 * 24) ? LoyaltyTier::kGold
                  : held >= absl::Hours(30 * 24) ? LoyaltyTier::kSilver
                                                 : LoyaltyTier::kBronze;
  standing.rate_bps = rules.rate_bps[static_cast<int>(standing.tier) - 1];
  return standing;
}

absl::StatusOr<std::array<uint32_t, 4>> ParseRates(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "needs 4 rates (bronze,silver,gold,platinum), has ", parts.size()));
  }
  std::array<uint32_t, 4> rates{};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!absl::SimpleAtoi(parts[i], &rates[i]) || rates[i] > 100'000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rate ", i + 1, " (", parts[i],
          ") is not a whole number of basis points from 0 to 100000"));
    }
    if (i > 0 && rates[i] < rates[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("rate ", i + 1, " is below the tier before it"));
    }
  }
  return rates;
}

}  // namespace chainsync::oracle
