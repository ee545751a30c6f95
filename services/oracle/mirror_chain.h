#pragma once

// MirrorChain is the oracle's port to the EVM chain it mirrors balances to:
// what the oracle contract holds, the state of the sender's transactions,
// fees, and broadcasting. JsonRpcMirrorChain is the adapter on a node.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/evm/address.h"
#include "libs/evm/json_rpc_client.h"
#include "libs/evm/uint256.h"
#include "services/oracle/operation_tracker.h"

namespace chainsync::oracle {

struct SuggestedFees {
  evm::Uint256 max_fee_per_gas = 0;
  evm::Uint256 max_priority_fee_per_gas = 0;
};

class MirrorChain {
 public:
  virtual ~MirrorChain() = default;

  // SyncedBalances are OracleAggregator.syncedBalance of each account at
  // the latest block, in order.
  virtual absl::StatusOr<std::vector<evm::Uint256>> SyncedBalances(
      const std::vector<evm::Address>& accounts) = 0;
  // View reads the head, the sender's transaction count `confirmations`
  // blocks below it, and then the receipts of `hashes` that the chain holds.
  virtual absl::StatusOr<ChainView> View(const std::vector<evm::Hash>& hashes,
                                         uint64_t confirmations) = 0;
  // PendingNonce counts the sender's transactions, the node's pending
  // included.
  virtual absl::StatusOr<uint64_t> PendingNonce() = 0;
  virtual absl::StatusOr<SuggestedFees> Fees() = 0;
  // EstimateGas of a call from the sender to the oracle contract.
  virtual absl::StatusOr<uint64_t> EstimateGas(const evm::Bytes& data) = 0;
  // Broadcast sends a signed transaction; one the node already has, or
  // already mined, is no error.
  virtual absl::Status Broadcast(const evm::Bytes& raw) = 0;
};

class JsonRpcMirrorChain final : public MirrorChain {
 public:
  JsonRpcMirrorChain(std::shared_ptr<evm::JsonRpcClient> client,
                     evm::Address aggregator, evm::Address sender)
      : client_(std::move(client)), aggregator_(aggregator), sender_(sender) {}

  absl::StatusOr<std::vector<evm::Uint256>> SyncedBalances(
      const std::vector<evm::Address>& accounts) override;
  absl::StatusOr<ChainView> View(const std::vector<evm::Hash>& hashes,
                                 uint64_t confirmations) override;
  absl::StatusOr<uint64_t> PendingNonce() override;
  absl::StatusOr<SuggestedFees> Fees() override;
  absl::StatusOr<uint64_t> EstimateGas(const evm::Bytes& data) override;
  absl::Status Broadcast(const evm::Bytes& raw) override;

 private:
  std::shared_ptr<evm::JsonRpcClient> client_;
  const evm::Address aggregator_;
  const evm::Address sender_;
};

}  // namespace chainsync::oracle
