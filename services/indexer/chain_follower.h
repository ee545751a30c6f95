#pragma once

#include "services/indexer/batch.h"
#include "services/indexer/chain_store.h"

namespace chainsync::indexer {

struct FollowerOptions {
  uint64_t chain_id = 0;
  // Blocks at least this deep under the head are final: fetched with sparse
  // headers. Blocks above are fetched with every header, so that a reorg is
  // seen at once.
  uint64_t confirmations = 12;
  uint64_t max_batch_blocks = 5000;
  // Stored headers examined per round when looking for a reorg's fork point.
  int ancestor_page = 256;
};

// ChainFollower moves a chain's cursor forward one batch at a time, and
// undoes what a reorg orphaned before going on.
class ChainFollower {
 public:
  ChainFollower(evm::JsonRpcClient& client, const ContractRegistry& registry,
                ChainStore& store, FollowerOptions options)
      : client_(client),
        registry_(registry),
        store_(store),
        options_(options) {}

  struct StepResult {
    // The node's head and the cursor after the step.
    uint64_t head = 0;
    uint64_t indexed = 0;
    uint64_t blocks_indexed = 0;
    uint64_t events_indexed = 0;
    // Events removed by a reorg found in this step.
    int64_t events_removed = 0;
    uint64_t reorg_depth = 0;
  };

  // Step indexes the next batch up to the node's head. When the node no
  // longer holds the indexed block, it finds the last stored block the node
  // still holds, rolls back to it, and returns; the next step re-indexes the
  // canonical branch.
  absl::StatusOr<StepResult> Step();

 private:
  absl::StatusOr<StepResult> RollBackReorg(uint64_t indexed_block);

  evm::JsonRpcClient& client_;
  const ContractRegistry& registry_;
  ChainStore& store_;
  FollowerOptions options_;
};

}  // namespace chainsync::indexer
