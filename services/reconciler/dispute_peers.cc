#include "services/reconciler/dispute_peers.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "contracts/deploy/per_account_calls.h"
#include "contracts/deploy/protocol_abi.h"

namespace chainsync::reconciler {

absl::StatusOr<std::vector<std::string>> LiveDisputePeers::BitcoinAddresses(
    const evm::Address& account) {
  return oracle_->BitcoinAddresses(account);
}

absl::StatusOr<int64_t> LiveDisputePeers::RecordedBalance(
    const evm::Address& account) {
  absl::StatusOr<std::vector<evm::Uint256>> balance =
      contracts::CallPerAccount(*chain_, contracts::protocol::BalanceOf(),
                                token_, {account}, evm::BlockRef::Latest());
  if (!balance.ok()) return balance.status();
  if ((*balance)[0] > std::numeric_limits<int64_t>::max()) {
    return absl::OutOfRangeError(
        absl::StrCat("rBTC's balanceOf(", account.ToChecksumHex(),
                     ") is more satoshis than there can be"));
  }
  return static_cast<int64_t>((*balance)[0]);
}

absl::Status LiveDisputePeers::RequestSync(const evm::Address& account) {
  return oracle_->ForceSync(account).status();
}

absl::StatusOr<std::optional<CorrectiveSync>> LiveDisputePeers::FindSync(
    const evm::Address& account, int64_t balance, absl::Time since) {
  return oracle_->FindSync(account, balance, since);
}

}  // namespace chainsync::reconciler
