#pragma once

// The ledger: accounts' histories and token balances as the indexed events
// make them. The projector turns events into activity rows; the ledger
// holds the kinds of those rows, and posts a batch's rows to the balances
// they move — the arithmetic, and the rule that no balance goes below zero.
// It knows nothing of where balances are stored.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/evm/address.h"
#include "libs/evm/uint256.h"

namespace chainsync::indexer {

// ActivityKind is what an entry of an account's history records.
enum class ActivityKind {
  kMint,
  kBurn,
  kTransfer,
  kSync,
  kEmergencyBurn,
  kWrap,
  kUnwrap,
  kYield,
  kFee,
};

// kActivityKinds lists every kind, for tables keyed by kind.
inline constexpr ActivityKind kActivityKinds[] = {
    ActivityKind::kMint,          ActivityKind::kBurn,
    ActivityKind::kTransfer,      ActivityKind::kSync,
    ActivityKind::kEmergencyBurn, ActivityKind::kWrap,
    ActivityKind::kUnwrap,        ActivityKind::kYield,
    ActivityKind::kFee,
};

// ActivityKindName is the kind's name where it is stored and queried:
// "mint", "burn", "transfer", "sync", "emergency_burn", "wrap", "unwrap",
// "yield", "fee".
absl::string_view ActivityKindName(ActivityKind kind);

// Direction says which way an entry moves value for its account.
enum class Direction { kIn, kOut, kNone };

// DirectionName is "in", "out" or "none".
absl::string_view DirectionName(Direction direction);

// ActivityRow is one entry of an account's history.
struct ActivityRow {
  evm::Address account;
  uint64_t block_number = 0;
  uint32_t log_index = 0;
  ActivityKind kind = ActivityKind::kTransfer;
  Direction direction = Direction::kNone;
  std::optional<evm::Address> token;
  std::optional<evm::Uint256> amount;
  std::optional<evm::Address> counterparty;
  evm::Hash transaction_hash{};
  // Kind-specific values as a JSON object.
  std::string details_json = "{}";
  // The row moves the account's balance of `token` by `amount`: credited
  // when the direction is in, debited when out.
  bool moves_balance = false;
};

// HoldingKey names one balance: a holder's balance of a token.
struct HoldingKey {
  evm::Address token;
  evm::Address holder;

  bool operator==(const HoldingKey& other) const = default;
  template <typename H>
  friend H AbslHashValue(H state, const HoldingKey& key) {
    return H::combine(std::move(state), key.token.bytes(), key.holder.bytes());
  }
};

// Holding is one balance a batch moves: before Post, as it stood before
// the batch (zero and not `stored` for a holder the token never credited);
// after, as the batch leaves it.
struct Holding {
  evm::Uint256 balance = 0;
  bool stored = false;
  // The block of the last row that moved it, once one did.
  uint64_t last_change_block = 0;
};

// BatchLedger is the balances one batch's activity moves, in the order it
// first moves them. Whoever stores balances fills in the opening ones, then
// posts the rows.
class BatchLedger {
 public:
  // The rows must outlive the ledger, unchanged.
  explicit BatchLedger(const std::vector<ActivityRow>& activity);

  const std::vector<HoldingKey>& keys() const { return keys_; }
  // The holdings, by the index of their key.
  std::vector<Holding>& holdings() { return holdings_; }
  const std::vector<Holding>& holdings() const { return holdings_; }

  // Post applies each balance-moving row, in order, to its holding. A debit
  // of more than the holding holds is FAILED_PRECONDITION naming the block,
  // log, account, token and both amounts; the holdings are then part-way
  // and the batch must be dropped.
  absl::Status Post();

  // BalanceAfter is the balance row `row` leaves its holding with, once
  // posted; null for a row that moves no balance.
  const evm::Uint256* BalanceAfter(size_t row) const;

 private:
  const std::vector<ActivityRow>& activity_;
  std::vector<HoldingKey> keys_;
  std::vector<Holding> holdings_;
  // Per activity row, its holding's index; -1 for a row that moves none.
  std::vector<int> of_row_;
  // Per activity row that moves a balance, the balance after it.
  std::vector<evm::Uint256> after_;
};

}  // namespace chainsync::indexer
