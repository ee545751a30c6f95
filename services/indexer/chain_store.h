#pragma once

#include <optional>

#include "libs/common/postgres/pool.h"
#include "services/indexer/batch.h"

namespace chainsync::indexer {

// Cursor is how far a chain is indexed.
struct Cursor {
  uint64_t indexed_block = 0;
  evm::Hash indexed_hash{};
};

// ChainStore keeps the indexed state of chains.
class ChainStore {
 public:
  virtual ~ChainStore() = default;

  // LoadCursor returns the chain's cursor, or nullopt before its first batch.
  virtual absl::StatusOr<std::optional<Cursor>> LoadCursor(
      uint64_t chain_id) = 0;

  // Commit writes a batch and moves the cursor to its last block, all in one
  // transaction: a crash leaves either all of it or none. A batch that does
  // not start right after the cursor is ABORTED, so that the same blocks can
  // never be written twice.
  virtual absl::Status Commit(const Batch& batch) = 0;
};

// PostgresChainStore is the ChainStore in the indexer's schema. Bulk rows go
// through COPY; balances are read once per batch and written once per
// holder.
class PostgresChainStore final : public ChainStore {
 public:
  explicit PostgresChainStore(PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<Cursor>> LoadCursor(uint64_t chain_id) override;
  absl::Status Commit(const Batch& batch) override;

 private:
  PgPool& pool_;
};

}  // namespace chainsync::indexer
