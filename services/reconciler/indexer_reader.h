#pragma once

// IndexerReader reads the indexer's side of a snapshot over its gRPC API:
// how far it has indexed and what it holds final, the rBTC holders with
// their balances at the pinned block (ListHolders), and the oracle
// contract's Synced and EmergencyBurn events up to it (ListEvents).

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "libs/evm/address.h"
#include "services/reconciler/snapshot.h"

namespace chainsync::reconciler {

struct IndexerProgress {
  uint64_t head = 0;
  uint64_t indexed = 0;
  uint64_t finalized = 0;
};

class IndexerReader {
 public:
  // `token` is rBTC, `aggregator` the oracle contract; each call may take
  // `timeout`.
  IndexerReader(std::shared_ptr<grpc::ChannelInterface> channel,
                evm::Address token, evm::Address aggregator,
                absl::Duration timeout);

  absl::StatusOr<IndexerProgress> Progress();

  // Read reads the view at `block`, which the indexer must have indexed;
  // its head is left to the caller, who read the Progress the block was
  // pinned by.
  absl::StatusOr<IndexerView> Read(uint64_t block);

  // BalanceAt is `account`'s indexed rBTC balance at `block`.
  absl::StatusOr<evm::Uint256> BalanceAt(const evm::Address& account,
                                         uint64_t block);

  // Reread asks the indexer to read the chain again from `from_block`.
  absl::StatusOr<indexer::v1::RereadBlocksResponse> Reread(
      uint64_t from_block, const std::string& reason);

 private:
  std::unique_ptr<indexer::v1::IndexerService::Stub> stub_;
  const evm::Address token_;
  const evm::Address aggregator_;
  const absl::Duration timeout_;
};

}  // namespace chainsync::reconciler
