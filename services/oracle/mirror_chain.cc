#include "services/oracle/mirror_chain.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "contracts/deploy/per_account_calls.h"
#include "contracts/deploy/protocol_abi.h"

namespace chainsync::oracle {
namespace {

// The tip the oracle offers: 1 gwei, as wallets default to.
constexpr uint64_t kTipWei = 1'000'000'000;

}  // namespace

absl::StatusOr<std::vector<evm::Uint256>> JsonRpcMirrorChain::SyncedBalances(
    const std::vector<evm::Address>& accounts) {
  return contracts::CallPerAccount(
      *client_, contracts::protocol::SyncedBalance(), aggregator_, accounts,
      evm::BlockRef::Latest());
}

absl::StatusOr<ChainView> JsonRpcMirrorChain::View(
    const std::vector<evm::Hash>& hashes, uint64_t confirmations) {
  ChainView view;
  absl::StatusOr<uint64_t> head = client_->BlockNumber();
  if (!head.ok()) return head.status();
  view.head = *head;
  absl::StatusOr<uint64_t> nonce = client_->GetTransactionCount(
      sender_, evm::BlockRef::Number(*head - std::min(*head, confirmations)));
  if (!nonce.ok()) return nonce.status();
  view.settled_nonce = *nonce;
  for (const evm::Hash& hash : hashes) {
    absl::StatusOr<std::optional<evm::Receipt>> receipt =
        client_->GetTransactionReceipt(hash);
    if (!receipt.ok()) return receipt.status();
    // A receipt from above the head read first belongs to a later view.
    if (receipt->has_value() && (*receipt)->block_number <= view.head) {
      view.receipts.emplace(hash, **receipt);
    }
  }
  absl::StatusOr<uint64_t> pending = PendingNonce();
  if (!pending.ok()) return pending.status();
  view.pending_nonce = *pending;
  return view;
}

absl::StatusOr<uint64_t> JsonRpcMirrorChain::PendingNonce() {
  return client_->GetTransactionCount(sender_, evm::BlockRef::Pending());
}

absl::StatusOr<SuggestedFees> JsonRpcMirrorChain::Fees() {
  absl::StatusOr<evm::FeeHistory> history =
      client_->GetFeeHistory(1, evm::BlockRef::Latest(), {});
  if (!history.ok()) return history.status();
  if (history->base_fee_per_gas.empty()) {
    return absl::UnavailableError("eth_feeHistory returned no base fee");
  }
  // Twice the base fee: a block or two of rising fees does not strand it.
  return SuggestedFees{
      .max_fee_per_gas = history->base_fee_per_gas.back() * 2 + kTipWei,
      .max_priority_fee_per_gas = kTipWei};
}

absl::StatusOr<uint64_t> JsonRpcMirrorChain::EstimateGas(
    const evm::Bytes& data) {
  absl::StatusOr<uint64_t> gas =
      client_->EstimateGas({.from = sender_, .to = aggregator_, .data = data});
  if (!gas.ok()) return gas.status();
  return *gas + *gas / 5;
}

absl::Status JsonRpcMirrorChain::Broadcast(const evm::Bytes& raw) {
  absl::StatusOr<evm::Hash> sent = client_->SendRawTransaction(raw);
  if (sent.ok()) return absl::OkStatus();
  // The node has it, or it was mined: both mean it is out.
  const absl::string_view message = sent.status().message();
  if (absl::StrContains(message, "already known") ||
      absl::StrContains(message, "already imported") ||
      absl::StrContains(message, "nonce too low")) {
    return absl::OkStatus();
  }
  return sent.status();
}

}  // namespace chainsync::oracle
