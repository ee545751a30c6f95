#pragma once

// IndexerPoolView is the PoolView adapter on the indexer's gRPC API: the
// account's rBTC balance from GetBalances and its newest pool event from
// ListActivity, as of the indexer's last indexed block.

#include <memory>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "services/oracle/yield_standing.h"

namespace chainsync::oracle {

class IndexerPoolView final : public PoolView {
 public:
  // `rbtc` is the token whose balance counts; each call to the indexer may
  // take `timeout`.
  IndexerPoolView(std::shared_ptr<grpc::ChannelInterface> channel,
                  evm::Address rbtc, absl::Duration timeout);

  absl::StatusOr<PoolFacts> Facts(const evm::Address& account) override;

 private:
  std::unique_ptr<indexer::v1::IndexerService::Stub> stub_;
  const evm::Address rbtc_;
  const absl::Duration timeout_;
};

}  // namespace chainsync::oracle
