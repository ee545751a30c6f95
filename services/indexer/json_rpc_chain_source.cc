#include "services/indexer/json_rpc_chain_source.h"

namespace chainsync::indexer {

absl::StatusOr<uint64_t> JsonRpcChainSource::Head() {
  return client_.BlockNumber();
}

absl::StatusOr<std::optional<uint64_t>> JsonRpcChainSource::Finalized() {
  absl::StatusOr<std::optional<evm::BlockHeader>> finalized =
      client_.GetBlockByNumber(evm::BlockRef::Finalized());
  if (!finalized.ok()) return finalized.status();
  if (!finalized->has_value()) return std::nullopt;
  return (*finalized)->number;
}

absl::StatusOr<std::vector<std::optional<BlockRecord>>>
JsonRpcChainSource::Headers(const std::vector<uint64_t>& numbers) {
  std::vector<absl::StatusOr<std::optional<evm::BlockHeader>>> headers =
      client_.GetBlocksByNumber(numbers);
  std::vector<std::optional<BlockRecord>> records;
  records.reserve(headers.size());
  for (absl::StatusOr<std::optional<evm::BlockHeader>>& header : headers) {
    if (!header.ok()) return header.status();
    if (!header->has_value()) {
      records.emplace_back();
      continue;
    }
    const evm::BlockHeader& block = **header;
    records.push_back(BlockRecord{.number = block.number,
                                  .hash = block.hash,
                                  .parent_hash = block.parent_hash,
                                  .timestamp = block.timestamp});
  }
  return records;
}

absl::StatusOr<std::vector<evm::Log>> JsonRpcChainSource::Logs(
    uint64_t from, uint64_t to, const std::vector<evm::Address>& addresses) {
  return client_.GetLogs(
      {.from_block = from, .to_block = to, .addresses = addresses});
}

}  // namespace chainsync::indexer
