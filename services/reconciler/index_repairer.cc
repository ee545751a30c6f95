#include "services/reconciler/index_repairer.h"

#include "absl/strings/str_cat.h"
#include "contracts/deploy/per_account_calls.h"
#include "contracts/deploy/protocol_abi.h"

namespace chainsync::reconciler {

absl::StatusOr<bool> LiveIndexRepairer::Differs(const evm::Address& account,
                                                uint64_t block) {
  absl::StatusOr<std::vector<evm::Uint256>> on_chain =
      contracts::CallPerAccount(*chain_, contracts::protocol::BalanceOf(),
                                token_, {account},
                                evm::BlockRef::Number(block));
  if (!on_chain.ok()) return on_chain.status();
  absl::StatusOr<evm::Uint256> indexed = indexer_->BalanceAt(account, block);
  if (!indexed.ok()) return indexed.status();
  return on_chain->front() != *indexed;
}

absl::StatusOr<uint64_t> LiveIndexRepairer::Divergence(
    const evm::Address& account, uint64_t block) {
  absl::StatusOr<bool> differs = Differs(account, block);
  if (!differs.ok()) return differs.status();
  if (!*differs) {
    return absl::NotFoundError(absl::StrCat(
        "the indexer and the chain agree on ", account.ToChecksumHex(),
        "'s balance at block ", block, " now"));
  }
  // They differ at `high`; at `low` they agree, or `low` is the first block
  // there is.
  uint64_t low = token_start_;
  uint64_t high = block;
  if (low >= high) return high;
  differs = Differs(account, low);
  if (!differs.ok()) return differs.status();
  if (*differs) return low;
  while (high - low > 1) {
    const uint64_t middle = low + (high - low) / 2;
    differs = Differs(account, middle);
    if (!differs.ok()) return differs.status();
    if (*differs) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high;
}

absl::StatusOr<std::string> LiveIndexRepairer::Reread(
    uint64_t from_block, const std::string& reason) {
  absl::StatusOr<indexer::v1::RereadBlocksResponse> asked =
      indexer_->Reread(from_block, reason);
  if (!asked.ok()) return asked.status();
  return absl::StrCat("request ", asked->request_id(), " reads blocks ",
                      asked->from_block(), " to ", asked->indexed_block(),
                      " and on to the head again");
}

}  // namespace chainsync::reconciler
