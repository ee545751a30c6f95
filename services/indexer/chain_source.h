#pragma once

// ChainSource is what the indexer's core asks of a chain: its head, its
// final block, block headers and the logs of a block range. The core reads
// the chain through it alone, so that it runs against a node in production
// (JsonRpcChainSource) and against a scripted chain in its tests.

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/evm/json_rpc_types.h"

namespace chainsync::indexer {

// BlockRecord is a block as the indexer keeps it.
struct BlockRecord {
  uint64_t number = 0;
  evm::Hash hash{};
  evm::Hash parent_hash{};
  uint64_t timestamp = 0;
};

class ChainSource {
 public:
  virtual ~ChainSource() = default;

  // Head returns the number of the chain's latest block.
  virtual absl::StatusOr<uint64_t> Head() = 0;

  // Finalized returns the chain's finalized block (the `finalized` tag),
  // nullopt while nothing is final.
  virtual absl::StatusOr<std::optional<uint64_t>> Finalized() = 0;

  // Headers returns the headers of the blocks `numbers`, in that order,
  // nullopt for a block the chain does not have (yet). One failure fails
  // the call.
  virtual absl::StatusOr<std::vector<std::optional<BlockRecord>>> Headers(
      const std::vector<uint64_t>& numbers) = 0;

  // Logs returns the logs that `addresses` emitted in blocks [from, to],
  // in chain order. A provider's refusal of the range as too large is
  // RESOURCE_EXHAUSTED with evm::IsRangeLimit, perhaps with the range it
  // would answer (evm::SuggestedRange).
  virtual absl::StatusOr<std::vector<evm::Log>> Logs(
      uint64_t from, uint64_t to,
      const std::vector<evm::Address>& addresses) = 0;
};

}  // namespace chainsync::indexer
