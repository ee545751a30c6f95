#pragma once

// ChainReader reads the chain's side of a snapshot at a pinned block, with
// eth_call and eth_getLogs at that block: the code of every contract of the
// deployment, the rBTC balance and the oracle's synced balance of each
// account compared, rBTC's total supply, and the oracle contract's Synced
// and EmergencyBurn events. A pinned block is final, so the events read up
// to it never change: they are kept, and the next run asks only for newer
// blocks.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "contracts/deploy/deployment.h"
#include "libs/evm/json_rpc_client.h"
#include "services/reconciler/snapshot.h"

namespace chainsync::reconciler {

class ChainReader {
 public:
  // FromDeployment needs the deployment's RBTCSynth and OracleAggregator.
  static absl::StatusOr<std::unique_ptr<ChainReader>> FromDeployment(
      std::shared_ptr<evm::JsonRpcClient> client,
      const contracts::Deployment& deployment);

  absl::StatusOr<uint64_t> Head();

  // Read reads the view at `block` (not above the head) for `accounts`.
  // Not safe to call from two threads at once: runs take turns.
  absl::StatusOr<ChainView> Read(uint64_t block,
                                 const std::vector<evm::Address>& accounts);

 private:
  ChainReader(std::shared_ptr<evm::JsonRpcClient> client,
              contracts::Deployment deployment);

  // ReadEventsTo extends the kept events to `block`.
  absl::Status ReadEventsTo(uint64_t block);

  const std::shared_ptr<evm::JsonRpcClient> client_;
  const contracts::Deployment deployment_;
  evm::Address token_;
  evm::Address aggregator_;
  // Events of blocks [aggregator's start, next_block_).
  std::vector<MirrorEvent> events_;
  uint64_t next_block_ = 0;
};

}  // namespace chainsync::reconciler
