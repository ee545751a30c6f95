#pragma once

#include <optional>

#include "libs/common/clock.h"
#include "libs/evm/json_rpc_client.h"
#include "libs/evm/transaction.h"

namespace chainsync::evm {

// TransactionSender sends EIP-1559 transactions for one signer and waits for
// them to be mined. It fills in what a transaction needs: the nonce (the
// account's pending count), the fees (twice the latest base fee plus a tip,
// so that a block or two of rising fees does not strand it) and the gas
// limit (the node's estimate plus a fifth). It is for tools and tests that
// send one transaction at a time; the oracle keeps its own journal of
// nonces so that a crash never sends twice.
class TransactionSender {
 public:
  TransactionSender(JsonRpcClient& client, Signer& signer, uint64_t chain_id,
                    Clock& clock = SystemClock());

  struct Call {
    // Absent to create a contract.
    std::optional<Address> to;
    Bytes data;
    Uint256 value = 0;
  };

  // SendAndWait returns the receipt of the mined transaction. A transaction
  // that reverts is FAILED_PRECONDITION naming its hash and block; one not
  // mined within `timeout` is DEADLINE_EXCEEDED.
  absl::StatusOr<Receipt> SendAndWait(
      const Call& call, absl::Duration timeout = absl::Seconds(60));

  // Send signs and broadcasts a transaction and returns its hash; Wait
  // waits for its receipt as SendAndWait does.
  absl::StatusOr<Hash> Send(const Call& call);
  absl::StatusOr<Receipt> Wait(const Hash& hash, absl::Duration timeout);

 private:
  JsonRpcClient& client_;
  Signer& signer_;
  uint64_t chain_id_;
  Clock& clock_;
};

}  // namespace chainsync::evm
