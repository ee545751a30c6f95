#pragma once

// LiveViews is the ViewSource of a running reconciler: it pins the newest
// block the indexer holds final, and reads the indexer, the oracle and the
// chain (for every account either knows) at it.

#include <memory>

#include "services/reconciler/chain_reader.h"
#include "services/reconciler/indexer_reader.h"
#include "services/reconciler/oracle_reader.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class LiveViews final : public ViewSource {
 public:
  LiveViews(std::unique_ptr<ChainReader> chain,
            std::unique_ptr<IndexerReader> indexer,
            std::shared_ptr<OracleReader> oracle)
      : chain_(std::move(chain)),
        indexer_(std::move(indexer)),
        oracle_(std::move(oracle)) {}

  absl::StatusOr<Snapshot> Take() override;

 private:
  const std::unique_ptr<ChainReader> chain_;
  const std::unique_ptr<IndexerReader> indexer_;
  const std::shared_ptr<OracleReader> oracle_;
};

}  // namespace chainsync::reconciler
