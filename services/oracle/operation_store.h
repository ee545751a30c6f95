#pragma once

// OperationStore is the oracle's journal of on-chain actions (the
// operations log), in the oracle's schema.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  // For an emergency burn: the reason it carries on chain.
  std::string burn_reason;
};

// BurnRequest is an emergency burn an admin asked for, not yet journaled.
struct BurnRequest {
  int64_t id = 0;
  evm::Address account;
  std::string reason;
};

// BurnStats are the totals GetEmergencyBurnStats reports.
struct BurnStats {
  uint64_t confirmed = 0;
  uint64_t pending = 0;
  evm::Uint256 burned_sats = 0;
  uint64_t accounts = 0;
  std::optional<absl::Time> last;
};

// OperationRecord is one account's part in an operation, as listed.
struct OperationRecord {
  int64_t operation_id = 0;
  int64_t item_id = 0;
  OperationKind kind = OperationKind::kSync;
  OperationState state = OperationState::kPlanned;
  OperationItem item;
  uint64_t nonce = 0;
  evm::Hash tx_hash{};
  uint64_t block_number = 0;
  std::string reason;
  std::string error;
  absl::Time created_at;
  absl::Time updated_at;
};

// OperationFilter selects records for a list, newest first.
struct OperationFilter {
  std::optional<evm::Address> account;
  std::vector<OperationState> states;
  // Records before this (operation id, item id); none for the first page.
  std::optional<std::pair<int64_t, int64_t>> before;
  // Only this operation.
  std::optional<int64_t> operation;
  int limit = 100;
};

class OperationStore {
 public:
  explicit OperationStore(PgPool& pool) : pool_(pool) {}

  // Journal records a signed operation, planned, with its items, in one
  // transaction, and returns its id; with `request`, the burn request it
  // carries out is linked to it in the same transaction.
  absl::StatusOr<int64_t> Journal(
      const JournaledOperation& operation,
      std::optional<int64_t> request = std::nullopt);

  // RequestBurn records an admin's emergency burn and returns its id.
  absl::StatusOr<int64_t> RequestBurn(const evm::Address& account,
                                      absl::string_view reason);
  // OpenBurnRequests are the requests not journaled yet, oldest first.
  absl::StatusOr<std::vector<BurnRequest>> OpenBurnRequests();
  // BurnOperation is the operation a request was journaled as, if yet.
  absl::StatusOr<std::optional<int64_t>> BurnOperation(int64_t request);
  // RecordBurned stores what a mined operation burned of each account, and
  // stops syncing those accounts.
  absl::Status RecordBurned(
      int64_t operation,
      const std::vector<std::pair<evm::Address, evm::Uint256>>& burned);
  absl::StatusOr<BurnStats> Burns();

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

  // QueueRequests asks the sending oracle, whichever replica it is, to
  // check `accounts` at its next round: what a standby read reaches it so.
  absl::Status QueueRequests(const std::vector<evm::Address>& accounts);
  // TakeRequests returns the queued accounts and empties the queue.
  absl::StatusOr<std::vector<evm::Address>> TakeRequests();
  // ReadAccounts returns every account with a whole reading, for a new
  // sender to check all: what its predecessor had in hand died with it.
  absl::StatusOr<std::vector<evm::Address>> ReadAccounts();

  // List returns the records the filter selects, newest first.
  absl::StatusOr<std::vector<OperationRecord>> List(
      const OperationFilter& filter);

  // LastMirrored is each account's latest sync that was mined (its new
  // balance is what the chain holds), and Pending its operation waiting to
  // be mined; accounts without one are left out.
  absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>>
  LastMirrored(const std::vector<evm::Address>& accounts);
  absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>> Pending(
      const std::vector<evm::Address>& accounts);

  // HighestNonce is the highest nonce journaled, if any.
  absl::StatusOr<std::optional<uint64_t>> HighestNonce();

 private:
  // Newest is each account's newest record meeting `condition`, by
  // `order`.
  absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>> Newest(
      const std::vector<evm::Address>& accounts, absl::string_view condition,
      absl::string_view order);
  PgPool& pool_;
};

absl::string_view StateName(OperationState state);

}  // namespace chainsync::oracle
