#pragma once

// LiveViews is the ViewSource of a running reconciler: it pins the newest
// block the indexer holds final, and reads the indexer, the oracle and the
// chain (for every account either knows) at it. When the indexer cannot be
// read, the snapshot says why and holds the chain and the oracle, at a
// block as deep under the head as the last one pinned.

#include <memory>

#include "services/reconciler/chain_reader.h"
#include "services/reconciler/indexer_reader.h"
#include "services/reconciler/oracle_reader.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class LiveViews final : public ViewSource {
 public:
  LiveViews(std::unique_ptr<ChainReader> chain,
            std::shared_ptr<IndexerReader> indexer,
            std::shared_ptr<OracleReader> oracle)
      : chain_(std::move(chain)),
        indexer_(std::move(indexer)),
        oracle_(std::move(oracle)) {}

  absl::StatusOr<Snapshot> Take() override;

 private:
  const std::unique_ptr<ChainReader> chain_;
  const std::shared_ptr<IndexerReader> indexer_;
  const std::shared_ptr<OracleReader> oracle_;
  // Blocks under the head the last block pinned was; at first, the
  // indexer's default confirmations.
  uint64_t depth_ = 12;
};

}  // namespace chainsync::reconciler
