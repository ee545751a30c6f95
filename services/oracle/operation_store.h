#pragma once

// OperationStore is the oracle's journal of on-chain actions (the
// operations log), in the oracle's schema.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/postgres/pool.h"
#include "libs/evm/address.h"
#include "libs/evm/uint256.h"
#include "services/oracle/operation_tracker.h"

namespace chainsync::oracle {

enum class OperationKind { kSync, kEmergencyBurn };

// OperationItem is one account an operation acts on.
struct OperationItem {
  evm::Address account;
  evm::Uint256 previous_sats = 0;
  evm::Uint256 new_sats = 0;
  evm::Uint256 fee_wei = 0;
};

// JournaledOperation is an operation as the journal holds it.
struct JournaledOperation {
  TrackedOperation tracked;
  OperationKind kind = OperationKind::kSync;
  evm::Bytes raw_tx;
  std::vector<OperationItem> items;
};

class OperationStore {
 public:
  explicit OperationStore(PgPool& pool) : pool_(pool) {}

  // Journal records a signed operation, planned, with its items, in one
  // transaction, and returns its id.
  absl::StatusOr<int64_t> Journal(const JournaledOperation& operation);

  // Open returns the operations not final, lowest nonce first.
  absl::StatusOr<std::vector<JournaledOperation>> Open();

  // Apply records a decision of the tracker (kSetState).
  absl::Status Apply(const Action& action);
  // MarkBroadcast records that a node accepted the operation now.
  absl::Status MarkBroadcast(int64_t id);

  // Candidates returns, of `accounts`, those with syncing on, a whole
  // confirmed total (not stale) and no operation waiting to be mined, with
  // that total. A mined operation does not hold an account back: syncs set
  // absolute balances and are applied in nonce order, so even if a reorg
  // takes the mined one out and it is sent again, the later one wins.
  absl::StatusOr<std::vector<std::pair<evm::Address, int64_t>>> Candidates(
      const std::vector<evm::Address>& accounts);

  // ReadSince returns up to `limit` accounts whose balance was stored after
  // `since` (by any replica), oldest read first, with when it was stored.
  absl::StatusOr<std::vector<std::pair<evm::Address, absl::Time>>> ReadSince(
      absl::Time since, int limit);

  // HighestNonce is the highest nonce journaled, if any.
  absl::StatusOr<std::optional<uint64_t>> HighestNonce();

 private:
  PgPool& pool_;
};

absl::string_view StateName(OperationState state);

}  // namespace chainsync::oracle
