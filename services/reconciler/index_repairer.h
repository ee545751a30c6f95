#pragma once

// LiveIndexRepairer is the IndexRepairer of a running reconciler: it finds
// where an account's indexed rBTC balance departs from the chain's by
// bisection over blocks — the indexer's balance at a block (GetBalances)
// against balanceOf by eth_call at it — and asks the indexer to read the
// chain again with RereadBlocks.

#include <memory>

#include "libs/evm/json_rpc_client.h"
#include "services/reconciler/indexer_reader.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class LiveIndexRepairer final : public IndexRepairer {
 public:
  // `token` is rBTC, deployed at `token_start`: no block before it holds a
  // balance.
  LiveIndexRepairer(std::shared_ptr<IndexerReader> indexer,
                    std::shared_ptr<evm::JsonRpcClient> chain,
                    const evm::Address& token, uint64_t token_start)
      : indexer_(std::move(indexer)),
        chain_(std::move(chain)),
        token_(token),
        token_start_(token_start) {}

  absl::StatusOr<uint64_t> Divergence(const evm::Address& account,
                                      uint64_t block) override;
  absl::StatusOr<std::string> Reread(uint64_t from_block,
                                     const std::string& reason) override;

 private:
  // Differs says whether the indexer and the chain disagree on `account`'s
  // balance at `block`.
  absl::StatusOr<bool> Differs(const evm::Address& account, uint64_t block);

  const std::shared_ptr<IndexerReader> indexer_;
  const std::shared_ptr<evm::JsonRpcClient> chain_;
  const evm::Address token_;
  const uint64_t token_start_;
};

}  // namespace chainsync::reconciler
