#pragma once

#include <optional>
#include <vector>

#include "libs/evm/json_rpc_client.h"
#include "services/indexer/contract_registry.h"
#include "services/indexer/projector.h"

namespace chainsync::indexer {

struct BlockRecord {
  uint64_t number = 0;
  evm::Hash hash{};
  evm::Hash parent_hash{};
  uint64_t timestamp = 0;
};

// Batch is what one Postgres transaction commits: blocks from_block to
// to_block of one chain, with everything derived from them, and the cursor
// moved to to_block.
struct Batch {
  uint64_t chain_id = 0;
  uint64_t from_block = 0;
  uint64_t to_block = 0;
  // Headers of the blocks with logs, then of to_block, ascending.
  std::vector<BlockRecord> blocks;
  // In chain order (block, then log index).
  std::vector<DecodedEvent> events;
  // In chain order too; a transfer's debit before its credit.
  std::vector<ActivityRow> activity;
  // The rows as the store writes them (ChainStore::Prepare); empty until
  // prepared.
  std::vector<std::string> prepared;
};

struct FetchOptions {
  // Fetch the header of every block of the range and check that each links
  // to the one before, and the first to `parent` when given: for blocks
  // above the confirmation depth, where reorgs happen.
  bool contiguous = false;
  std::optional<evm::Hash> parent;
  // When set, receives the widest range one eth_getLogs answered — less
  // than the batch when the provider refused larger ranges — also when the
  // batch fails afterwards.
  uint64_t* log_span = nullptr;
};

// FetchBatch reads blocks [from, to] of the registry's contracts: their logs
// (ranges a provider refuses as too large are split), and the headers of the
// blocks with logs and of `to` (of every block when contiguous). A first
// block that does not link to `parent` is ABORTED: the chain reorganised
// under the cursor. A log whose block hash differs from the
// header fetched for its block — a node behind a load balancer answering
// from another head, or a reorg in between — is UNAVAILABLE, so that the
// caller fetches the range again.
absl::StatusOr<Batch> FetchBatch(evm::JsonRpcClient& client,
                                 const ContractRegistry& registry,
                                 uint64_t chain_id, uint64_t from, uint64_t to,
                                 const FetchOptions& options = {});

}  // namespace chainsync::indexer
