#include "services/oracle/operation_tracker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace chainsync::oracle {
namespace {

Action SetState(const TrackedOperation& op, OperationState state,
                std::string reason,
                std::optional<evm::Receipt> receipt = std::nullopt) {
  return {.kind = Action::Kind::kSetState,
          .id = op.id,
          .state = state,
          .receipt = std::move(receipt),
          .reason = std::move(reason)};
}

evm::Uint256 Bumped(const evm::Uint256& fee) { return fee + fee / 8 + 1; }

// TrackNonce decides for the operations that share one nonce: an original
// and the replacements that raised its fees, oldest first.
void TrackNonce(const std::vector<const TrackedOperation*>& group,
                const ChainView& chain, const TrackerRules& rules,
                absl::Time now, std::vector<Action>* actions) {
  // At most one of them can be mined.
  const TrackedOperation* mined = nullptr;
  const evm::Receipt* receipt = nullptr;
  for (const TrackedOperation* op : group) {
    const auto found = chain.receipts.find(op->tx_hash);
    if (found != chain.receipts.end()) {
      mined = op;
      receipt = &found->second;
    }
  }
  if (mined != nullptr) {
    for (const TrackedOperation* op : group) {
      if (op == mined) continue;
      actions->push_back(SetState(*op, OperationState::kReplaced,
                                  "a transaction with its nonce was mined"));
    }
    if (!receipt->success) {
      actions->push_back(SetState(
          *mined, OperationState::kFailed,
          absl::StrCat("reverted in block ", receipt->block_number), *receipt));
      return;
    }
    const uint64_t depth = chain.head >= receipt->block_number
                               ? chain.head - receipt->block_number + 1
                               : 0;
    if (depth >= rules.confirmations) {
      actions->push_back(
          SetState(*mined, OperationState::kConfirmed, "", *receipt));
    } else if (mined->state != OperationState::kMined) {
      actions->push_back(
          SetState(*mined, OperationState::kMined, "", *receipt));
    }
    return;
  }
  const uint64_t nonce = group.front()->nonce;
  if (nonce < chain.settled_nonce) {
    // The nonce is spent, by none of them: by a transaction the journal
    // does not hold (the key used elsewhere).
    for (const TrackedOperation* op : group) {
      actions->push_back(SetState(
          *op, OperationState::kFailed,
          absl::StrCat("nonce ", nonce,
                       " was used by a transaction the journal does not "
                       "hold")));
    }
    return;
  }
  for (const TrackedOperation* op : group) {
    if (op->state == OperationState::kMined) {
      // Mined before, gone now: a reorg took it out. The same bytes go
      // again.
      actions->push_back(SetState(*op, OperationState::kBroadcast,
                                  "a reorg removed its block"));
      actions->push_back({.kind = Action::Kind::kBroadcast, .id = op->id});
    } else if (op->state == OperationState::kPlanned) {
      actions->push_back({.kind = Action::Kind::kBroadcast, .id = op->id});
    }
  }
  // Only the newest of the nonce is sent again or raised; it replaces the
  // others.
  const TrackedOperation& newest = *group.back();
  if (newest.state == OperationState::kBroadcast &&
      chain.pending_nonce.has_value() && nonce >= *chain.pending_nonce) {
    // Every later nonce waits on this one: sent again now, not after the
    // stuck bound.
    actions->push_back(
        {.kind = Action::Kind::kBroadcast,
         .id = newest.id,
         .reason = absl::StrCat("nonce ", nonce,
                                " is missing from the node's pending pool")});
    return;
  }
  if (newest.state == OperationState::kBroadcast &&
      newest.broadcast_at.has_value() &&
      now - *newest.broadcast_at >= rules.stuck_after) {
    actions->push_back(
        {.kind = Action::Kind::kReplace,
         .id = newest.id,
         .reason = absl::StrCat(
             "not mined ", absl::FormatDuration(now - *newest.broadcast_at),
             " after it was broadcast"),
         .max_fee_per_gas = Bumped(newest.max_fee_per_gas),
         .max_priority_fee_per_gas = Bumped(newest.max_priority_fee_per_gas)});
  }
}

}  // namespace

bool IsFinal(OperationState state) {
  return state == OperationState::kConfirmed ||
         state == OperationState::kFailed || state == OperationState::kReplaced;
}

std::vector<Action> Track(const std::vector<TrackedOperation>& open,
                          const ChainView& chain, const TrackerRules& rules,
                          absl::Time now) {
  std::map<uint64_t, std::vector<const TrackedOperation*>> by_nonce;
  for (const TrackedOperation& op : open) {
    if (!IsFinal(op.state)) by_nonce[op.nonce].push_back(&op);
  }
  std::vector<Action> actions;
  // Lowest nonce first: a later transaction waits for the earlier ones.
  for (auto& [nonce, group] : by_nonce) {
    std::sort(group.begin(), group.end(),
              [](const TrackedOperation* a, const TrackedOperation* b) {
                return a->id < b->id;
              });
    TrackNonce(group, chain, rules, now, &actions);
  }
  return actions;
}

uint64_t NextNonce(const std::optional<uint64_t>& highest_journaled,
                   uint64_t pending_nonce) {
  return std::max(highest_journaled.has_value() ? *highest_journaled + 1 : 0,
                  pending_nonce);
}

}  // namespace chainsync::oracle
