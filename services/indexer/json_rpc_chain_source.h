#pragma once

#include "libs/evm/json_rpc_client.h"
#include "services/indexer/chain_source.h"

namespace chainsync::indexer {

// JsonRpcChainSource is the ChainSource of a node's JSON-RPC API: headers
// in one batch per call, logs with eth_getLogs. Retries and fail-over are
// the client's connection's.
class JsonRpcChainSource final : public ChainSource {
 public:
  explicit JsonRpcChainSource(evm::JsonRpcClient client)
      : client_(std::move(client)) {}

  absl::StatusOr<uint64_t> Head() override;
  absl::StatusOr<std::optional<uint64_t>> Finalized() override;
  absl::StatusOr<std::vector<std::optional<BlockRecord>>> Headers(
      const std::vector<uint64_t>& numbers) override;
  absl::StatusOr<std::vector<evm::Log>> Logs(
      uint64_t from, uint64_t to,
      const std::vector<evm::Address>& addresses) override;

 private:
  evm::JsonRpcClient client_;
};

}  // namespace chainsync::indexer
