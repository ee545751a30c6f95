#include "services/indexer/ledger.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace chainsync::indexer {

absl::string_view ActivityKindName(ActivityKind kind) {
  switch (kind) {
    case ActivityKind::kMint:
      return "mint";
    case ActivityKind::kBurn:
      return "burn";
    case ActivityKind::kTransfer:
      return "transfer";
    case ActivityKind::kSync:
      return "sync";
    case ActivityKind::kEmergencyBurn:
      return "emergency_burn";
    case ActivityKind::kWrap:
      return "wrap";
    case ActivityKind::kUnwrap:
      return "unwrap";
    case ActivityKind::kYield:
      return "yield";
    case ActivityKind::kFee:
      return "fee";
  }
  return "";
}

absl::string_view DirectionName(Direction direction) {
  switch (direction) {
    case Direction::kIn:
      return "in";
    case Direction::kOut:
      return "out";
    case Direction::kNone:
      return "none";
  }
  return "";
}

BatchLedger::BatchLedger(const std::vector<ActivityRow>& activity)
    : activity_(activity) {
  absl::flat_hash_map<HoldingKey, int> index;
  of_row_.reserve(activity.size());
  for (const ActivityRow& row : activity) {
    if (!row.moves_balance) {
      of_row_.push_back(-1);
      continue;
    }
    const auto [found, added] = index.try_emplace(
        HoldingKey{*row.token, row.account}, static_cast<int>(keys_.size()));
    if (added) {
      keys_.push_back(found->first);
      holdings_.emplace_back();
    }
    of_row_.push_back(found->second);
  }
}

absl::Status BatchLedger::Post() {
  after_.assign(activity_.size(), evm::Uint256(0));
  for (size_t i = 0; i < activity_.size(); ++i) {
    if (of_row_[i] < 0) continue;
    const ActivityRow& row = activity_[i];
    Holding& holding = holdings_[of_row_[i]];
    if (row.direction == Direction::kIn) {
      holding.balance += *row.amount;
    } else if (holding.balance < *row.amount) {
      return absl::FailedPreconditionError(absl::StrCat(
          "block ", row.block_number, " log ", row.log_index, " debits ",
          evm::ToDecimal(*row.amount), " from ", row.account.ToChecksumHex(),
          " of token ", row.token->ToChecksumHex(), " which holds only ",
          evm::ToDecimal(holding.balance),
          ": is the contract indexed from its first block?"));
    } else {
      holding.balance -= *row.amount;
    }
    holding.last_change_block = row.block_number;
    after_[i] = holding.balance;
  }
  return absl::OkStatus();
}

const evm::Uint256* BatchLedger::BalanceAfter(size_t row) const {
  return of_row_[row] < 0 ? nullptr : &after_[row];
}

}  // namespace chainsync::indexer
