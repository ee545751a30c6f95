#pragma once

// The life of the oracle's on-chain actions, decided without touching the
// chain or the journal: given the journaled operations that are not
// finished and what the chain says of them, Track says what to do with each
// — broadcast it, record that it was mined, confirmed, failed or replaced,
// send it again after a reorg, or replace it with higher fees when it is
// stuck. The sender carries the actions out, journal first.
//
// Why this never sends an action twice: every operation is journaled with
// its nonce and its signed transaction before it is broadcast, operations
// have distinct nonces except a replacement, which reuses its original's
// nonce — so at most one of them can ever be mined — and broadcasting again
// sends the very same signed bytes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/evm/bytes.h"
#include "libs/evm/json_rpc_types.h"

namespace chainsync::oracle {

enum class OperationState {
  // Journaled with its signed transaction, not yet accepted by a node.
  kPlanned,
  // Accepted by a node, not yet mined.
  kBroadcast,
  // Mined with a successful receipt, not yet under enough blocks.
  kMined,
  // Final: mined under enough blocks.
  kConfirmed,
  // Final: reverted, or its nonce went to a transaction not its own.
  kFailed,
  // Final: another transaction with its nonce (a fee bump of it, or the
  // original it bumped) was mined.
  kReplaced,
};

bool IsFinal(OperationState state);

// TrackedOperation is what Track needs of a journaled operation.
struct TrackedOperation {
  int64_t id = 0;
  OperationState state = OperationState::kPlanned;
  uint64_t nonce = 0;
  evm::Hash tx_hash{};
  // When it was last broadcast; unset while planned.
  std::optional<absl::Time> broadcast_at;
  // Its fees, which a replacement raises.
  evm::Uint256 max_fee_per_gas = 0;
  evm::Uint256 max_priority_fee_per_gas = 0;
  // A replacement names the operation it replaces.
  std::optional<int64_t> replaces;
};

// ChainView is what the chain says, read just before Track runs.
struct ChainView {
  // The block the view was read at.
  uint64_t head = 0;
  // The sender's transaction count at the block `confirmations` below the
  // head: every nonce below it is spent, in a block deep enough that its
  // receipt, read after the count, is surely there. (At the head itself a
  // node may answer the count of a block it is still storing.)
  uint64_t settled_nonce = 0;
  // Receipts of the tracked transactions the chain holds, by hash.
  std::map<evm::Hash, evm::Receipt> receipts;
  // The sender's transaction count with the node's pending pool, read
  // after the receipts; unset when not read. A broadcast nonce at or above
  // it is a gap: the node lost the transaction (a restart, an eviction).
  std::optional<uint64_t> pending_nonce;
};

struct TrackerRules {
  // Blocks, the receipt's own included, that make an operation final.
  uint64_t confirmations = 12;
  // How long a broadcast transaction may wait before it is replaced; a
  // replacement raises both fees by 12.5 % (nodes require at least 10 %
  // more to take a transaction with the same nonce).
  absl::Duration stuck_after = absl::Minutes(2);
};

struct Action {
  enum class Kind {
    // Send the journaled transaction (again: the same bytes). With a
    // reason, it fills a nonce gap.
    kBroadcast,
    // Record a new state (with the receipt's block for kMined and later).
    kSetState,
    // Sign a transaction with the same nonce and the fees given, journal it
    // as a new operation replacing this one, then broadcast it.
    kReplace,
  };
  Kind kind = Kind::kBroadcast;
  int64_t id = 0;
  OperationState state = OperationState::kPlanned;
  std::optional<evm::Receipt> receipt;
  std::string reason;
  evm::Uint256 max_fee_per_gas = 0;
  evm::Uint256 max_priority_fee_per_gas = 0;
};

// Track decides the actions for `open` (every operation not final) at
// `now`, in the order to carry them out.
std::vector<Action> Track(const std::vector<TrackedOperation>& open,
                          const ChainView& chain, const TrackerRules& rules,
                          absl::Time now);

// NextNonce is the nonce of the next new operation: above every nonce the
// journal holds and every nonce the chain has used.
uint64_t NextNonce(const std::optional<uint64_t>& highest_journaled,
                   uint64_t pending_nonce);

}  // namespace chainsync::oracle
