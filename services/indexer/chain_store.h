#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/postgres/pool.h"
#include "services/indexer/batch.h"

namespace chainsync::indexer {

// Cursor is how far a chain is indexed.
struct Cursor {
  uint64_t indexed_block = 0;
  evm::Hash indexed_hash{};

  bool operator==(const Cursor& other) const = default;
};

// PreparedBatch is a batch's rows rendered as its store writes them,
// opaque to everyone else; only the store that prepared it stages it.
class PreparedBatch {
 public:
  virtual ~PreparedBatch() = default;
};

// StagedBatch is a batch whose transaction is open with part of it
// written; destroyed uncommitted, it rolls back.
class StagedBatch {
 public:
  virtual ~StagedBatch() = default;
  virtual const Batch& batch() const = 0;
  // Commit waits until the cursor is where the batch was staged on — the
  // batch staged before it committed — writes the rest and commits, moving
  // the cursor to the batch's last block. ABORTED when the cursor is
  // elsewhere.
  virtual absl::Status Commit() = 0;
};

// ChainStore keeps the indexed state of chains. It only persists: what a
// batch holds and what its rows mean is decided before it gets there.
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
  absl::Status Commit(Batch batch);
  // Prepare does what writing `batch` can do without the database —
  // rendering its rows — so that it can run on the thread that fetched the
  // batch rather than the one committing.
  virtual std::unique_ptr<PreparedBatch> Prepare(const Batch& batch) const = 0;
  // Stage opens the batch's transaction and writes the rows that do not
  // depend on the batch before it having committed, so that a batch can be
  // written while the one before commits. The one before may still be
  // staged: staging goes on from the balances it leaves. `prepared` is
  // what this store's Prepare made of `batch`. A batch that starts neither
  // right after the cursor nor right after the last batch staged is
  // ABORTED; one that overdraws a balance is FAILED_PRECONDITION.
  virtual absl::StatusOr<std::unique_ptr<StagedBatch>> Stage(
      Batch batch, std::unique_ptr<PreparedBatch> prepared) = 0;

  // StoredBlocks returns up to `limit` stored headers at or below
  // `at_or_below`, highest first, for finding where a reorg forked.
  virtual absl::StatusOr<std::vector<BlockRecord>> StoredBlocks(
      uint64_t chain_id, uint64_t at_or_below, int limit) = 0;

  // RollbackTo undoes everything above block `ancestor`, in one
  // transaction: events, blocks and activity are deleted, balances are
  // restored from the activity that remains, a removal of every undone
  // event is published on the stream, and the cursor moves back to `ancestor`
  // (`ancestor_hash`). Returns how many events were removed.
  virtual absl::StatusOr<int64_t> RollbackTo(
      uint64_t chain_id, uint64_t ancestor, const evm::Hash& ancestor_hash) = 0;

  // RegisterContracts records the contracts followed on a chain (the
  // registry of indexed contracts), replacing what was recorded before.
  virtual absl::Status RegisterContracts(uint64_t chain_id,
                                         const ContractRegistry& registry) = 0;
};

// PostgresChainStore is the ChainStore in the indexer's schema. Bulk rows go
// through binary COPY; balances are written once per holder and batch.
class PostgresChainStore final : public ChainStore {
 public:
  explicit PostgresChainStore(
      PgPool& pool, metrics::Registry& registry = metrics::DefaultRegistry());

  absl::StatusOr<std::optional<Cursor>> LoadCursor(uint64_t chain_id) override;
  std::unique_ptr<PreparedBatch> Prepare(const Batch& batch) const override;
  absl::StatusOr<std::unique_ptr<StagedBatch>> Stage(
      Batch batch, std::unique_ptr<PreparedBatch> prepared) override;
  absl::StatusOr<std::vector<BlockRecord>> StoredBlocks(uint64_t chain_id,
                                                        uint64_t at_or_below,
                                                        int limit) override;
  absl::StatusOr<int64_t> RollbackTo(uint64_t chain_id, uint64_t ancestor,
                                     const evm::Hash& ancestor_hash) override;
  absl::Status RegisterContracts(uint64_t chain_id,
                                 const ContractRegistry& registry) override;

 private:
  class Staged;

  // Balances as the last batch staged leaves them, so that the next batch
  // need not read them back — nor could it, before that batch commits. A
  // chain's balances follow from its indexed blocks alone: they are true
  // once the cursor is where that batch puts it, whoever held the writer
  // lock meanwhile. A batch staged on them checks that at its commit. A
  // batch that fails, or is dropped uncommitted, forgets them.
  struct KnownBalances {
    uint64_t chain_id = 0;
    // Where the last batch staged leaves the cursor, and where it found it.
    std::optional<Cursor> cursor;
    std::optional<Cursor> before;
    // Every balance the last batch staged moves, and perhaps others.
    absl::flat_hash_map<HoldingKey, evm::Uint256> balances;
  };

  // Forget drops the known balances.
  void Forget();

  PgPool& pool_;
  // Balances a batch started from, by chain and by where they came from:
  // "memory" (KnownBalances) or "database".
  metrics::Family<metrics::Counter>& balance_lookups_;
  std::mutex known_mu_;
  KnownBalances known_;
};

}  // namespace chainsync::indexer
