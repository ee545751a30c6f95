#pragma once

// An account's standing in the yield pool, decided without touching the
// indexer: given what the indexed chain says of the account (its rBTC
// balance, whether it joined the pool and when) and whether the oracle
// mirrors it, YieldStandingOf says whether it may join, its loyalty tier
// and the rate of that tier. PoolView is the port to the indexed data.
//
// The rules, which the proto documents for clients:
// - eligible: the oracle mirrors the account (it registered a Bitcoin
//   address) and its indexed rBTC balance is at least the pool's minimum,
//   the contract's own `minimumBalance`;
// - participant: its newest pool event is a join;
// - tier, by the time since that join: bronze from the start, silver from
//   30 days, gold from 90, platinum from 365; none for a non-participant,
//   whose rate is 0.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/evm/address.h"
#include "libs/evm/uint256.h"

namespace chainsync::oracle {

enum class LoyaltyTier { kNone, kBronze, kSilver, kGold, kPlatinum };

// PoolFacts is what the indexed chain says of an account.
struct PoolFacts {
  evm::Uint256 rbtc_sats = 0;
  // When it joined the pool, if its newest pool event is a join.
  std::optional<absl::Time> joined_at;
};

struct YieldRules {
  // The pool's minimum rBTC balance to join, satoshis.
  uint64_t minimum_sats = 0;
  // Yearly rate of each tier, bronze to platinum, in basis points.
  std::array<uint32_t, 4> rate_bps{};
};

struct YieldStanding {
  bool eligible = false;
  // Why not, when not eligible.
  std::string ineligibility_reason;
  std::optional<absl::Time> joined_at;
  evm::Uint256 balance_sats = 0;
  LoyaltyTier tier = LoyaltyTier::kNone;
  uint32_t rate_bps = 0;
};

YieldStanding YieldStandingOf(const PoolFacts& facts, bool mirrored,
                              const YieldRules& rules, absl::Time now);

// ParseRates reads four comma-separated basis-point rates, bronze to
// platinum, each not below the one before.
absl::StatusOr<std::array<uint32_t, 4>> ParseRates(absl::string_view text);

class PoolView {
 public:
  virtual ~PoolView() = default;
  // Facts of `account` as indexed; UNAVAILABLE when the indexer cannot say.
  virtual absl::StatusOr<PoolFacts> Facts(const evm::Address& account) = 0;
};

}  // namespace chainsync::oracle
