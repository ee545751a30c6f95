#include "libs/evm/transaction_sender.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"

namespace chainsync::evm {

TransactionSender::TransactionSender(JsonRpcClient& client, Signer& signer,
                                     uint64_t chain_id, Clock& clock)
    : client_(client), signer_(signer), chain_id_(chain_id), clock_(clock) {}

absl::StatusOr<Receipt> TransactionSender::SendAndWait(const Call& call,
                                                       absl::Duration timeout) {
  absl::StatusOr<Hash> hash = Send(call);
  if (!hash.ok()) return hash.status();
  return Wait(*hash, timeout);
}

absl::StatusOr<Hash> TransactionSender::Send(const Call& call) {
  constexpr uint64_t kTipWei = 1'000'000'000;
  absl::StatusOr<uint64_t> nonce =
      client_.GetTransactionCount(signer_.address(), BlockRef::Pending());
  if (!nonce.ok()) return nonce.status();
  absl::StatusOr<FeeHistory> fees =
      client_.GetFeeHistory(1, BlockRef::Latest(), {});
  if (!fees.ok()) return fees.status();
  if (fees->base_fee_per_gas.empty()) {
    return absl::UnavailableError("eth_feeHistory returned no base fee");
  }
  CallRequest estimate{.from = signer_.address(),
                       .to = call.to,
                       .data = call.data,
                       .value = call.value};
  absl::StatusOr<uint64_t> gas = client_.EstimateGas(estimate);
  if (!gas.ok()) return gas.status();

  Eip1559Transaction transaction;
  transaction.chain_id = chain_id_;
  transaction.nonce = *nonce;
  transaction.max_priority_fee_per_gas = kTipWei;
  transaction.max_fee_per_gas = fees->base_fee_per_gas.back() * 2 + kTipWei;
  transaction.gas_limit = *gas + *gas / 5;
  transaction.to = call.to;
  transaction.value = call.value;
  transaction.data = call.data;
  absl::StatusOr<SignedTransaction> signed_transaction =
      Sign(transaction, signer_);
  if (!signed_transaction.ok()) return signed_transaction.status();
  return client_.SendRawTransaction(signed_transaction->raw);
}

absl::StatusOr<Receipt> TransactionSender::Wait(const Hash& hash,
                                                absl::Duration timeout) {
  const absl::Time deadline = clock_.Now() + timeout;
  for (absl::Duration wait = absl::Milliseconds(10);;
       wait = std::min(wait * 2, absl::Seconds(1))) {
    absl::StatusOr<std::optional<Receipt>> receipt =
        client_.GetTransactionReceipt(hash);
    if (!receipt.ok()) return receipt.status();
    if (receipt->has_value()) {
      if (!(*receipt)->success) {
        return absl::FailedPreconditionError(
            absl::StrCat("transaction ", ToHex(hash), " reverted in block ",
                         (*receipt)->block_number));
      }
      return **receipt;
    }
    if (clock_.Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("transaction ", ToHex(hash), " not mined within ",
                       absl::FormatDuration(timeout)));
    }
    clock_.SleepFor(wait);
  }
}

}  // namespace chainsync::evm
