#pragma once

#include <optional>
#include <vector>

#include "services/indexer/chain_source.h"
#include "services/indexer/contract_registry.h"
#include "services/indexer/ledger.h"

namespace chainsync::indexer {

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
};

struct FetchOptions {
  // Fetch the header of every block of the range and check that each links
  // to the one before, and the first to `parent` when given: for blocks
  // above the confirmation depth, where reorgs happen.
  bool contiguous = false;
  std::optional<evm::Hash> parent;
};

// Fetched is a fetch's batch, and what the fetch learnt of the provider.
struct Fetched {
  absl::StatusOr<Batch> batch;
  // The widest range one request for logs answered — less than the batch
  // when the provider refused larger ranges — also when the batch failed
  // afterwards; 0 when none answered.
  uint64_t widest_log_range = 0;
};

// FetchBatch reads blocks [from, to] of the registry's contracts from
// `source`: their logs (ranges a provider refuses as too large are split),
// and the headers of the blocks with logs and of `to` (of every block when
// contiguous), and projects the events onto accounts. A first block that
// does not link to `parent` is ABORTED: the chain reorganised under the
// cursor. A log whose block hash differs from the header fetched for its
// block — a node behind a load balancer answering from another head, or a
// reorg in between — is UNAVAILABLE, so that the caller fetches the range
// again.
Fetched FetchBatch(ChainSource& source, const ContractRegistry& registry,
                   uint64_t chain_id, uint64_t from, uint64_t to,
                   const FetchOptions& options = {});

}  // namespace chainsync::indexer
