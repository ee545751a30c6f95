#pragma once

#include <deque>
#include <future>
#include <memory>
#include <optional>

#include "libs/common/clock.h"
#include "services/indexer/batch.h"
#include "services/indexer/chain_source.h"
#include "services/indexer/chain_store.h"

namespace chainsync::indexer {

struct FollowerOptions {
  uint64_t chain_id = 0;
  // Blocks at least this deep under the head are final: fetched with sparse
  // headers. Blocks above are fetched with every header, so that a reorg is
  // seen at once.
  uint64_t confirmations = 12;
  // Final blocks are those at or below the node's `finalized` block instead
  // (chains with finality gadgets: Ethereum, OP Stack).
  bool finalized_tag = false;
  uint64_t max_batch_blocks = 5000;
  // A batch with more events narrows the span for the next ones, so that a
  // busy stretch of the chain is committed in pieces of about this size.
  uint64_t max_batch_events = 5000;
  // Batches answered whole before a span cut by a provider's range limit
  // doubles again.
  int grow_after = 8;
  // Stored headers examined per round when looking for a reorg's fork point.
  int ancestor_page = 256;
  // Batches of final blocks fetched ahead, concurrently, while earlier ones
  // commit in order.
  size_t fetch_ahead = 4;
};

// ChainFollower moves a chain's cursor forward one batch at a time, and
// undoes what a reorg orphaned before going on. It sees the chain through
// a ChainSource and the database through a ChainStore, and reads time
// from `clock`.
class ChainFollower {
 public:
  ChainFollower(ChainSource& source, const ContractRegistry& registry,
                ChainStore& store, FollowerOptions options,
                Clock& clock = SystemClock())
      : source_(source),
        registry_(registry),
        store_(store),
        clock_(clock),
        options_(options),
        span_(std::min<uint64_t>(options.max_batch_blocks, kFirstSpan)),
        provider_limit_(options.max_batch_blocks) {}

  struct StepResult {
    // The node's head, its last final block and the cursor after the step.
    uint64_t head = 0;
    uint64_t finalized = 0;
    uint64_t indexed = 0;
    // The timestamp of the last block committed, when the step committed.
    std::optional<absl::Time> indexed_time;
    uint64_t blocks_indexed = 0;
    uint64_t events_indexed = 0;
    // Events removed by a reorg found in this step.
    int64_t events_removed = 0;
    uint64_t reorg_depth = 0;
    // A block the follower had taken as final was orphaned: the chain's
    // finality did not hold (too few confirmations for it). The rollback
    // repairs it like any reorg; it is reported as an incident.
    bool below_final = false;
    // Then, the lowest orphaned block found among the stored headers.
    uint64_t lowest_orphan = 0;
    // Blocks the next batch may span.
    uint64_t span = 0;
    // How long the commit waited for the batch's fetch (all of the fetch
    // when it was not fetched ahead), and the commit itself.
    absl::Duration fetch_wait;
    absl::Duration commit;
  };

  // Step indexes the next batch up to the node's head. When the node no
  // longer holds the indexed block, it finds the last stored block the node
  // still holds, rolls back to it, and returns; the next step re-indexes the
  // canonical branch. A step that commits a batch of final blocks may leave
  // the next one staged, to be committed by the next step.
  absl::StatusOr<StepResult> Step();

  // Reread rolls the chain back to the last block stored below
  // `from_block` (to before the first contract when none is), as a reorg
  // would, so that the next steps index the blocks above it again from the
  // node. The step says where the cursor went and what was removed.
  absl::StatusOr<StepResult> Reread(uint64_t from_block);

  // Abandon rolls back the batch staged and drops those fetched ahead: after
  // a failed commit, or when the follower stops writing.
  void Abandon();

 private:
  // A batch fetched, and prepared for its commit when it was fetched ahead.
  struct ReadyBatch {
    Batch batch;
    std::unique_ptr<PreparedBatch> prepared;
  };
  // A batch of final blocks fetched, and prepared for its commit, on a
  // thread of its own.
  struct Ahead {
    uint64_t from = 0;
    uint64_t to = 0;
    std::future<Fetched> fetched;
    // Set by the fetch's thread when the fetch succeeded.
    std::unique_ptr<PreparedBatch> prepared;
  };

  // StageNext finds the next batch from the cursor and stages it; or
  // returns the step, when it found nothing to index or rolled back a reorg.
  absl::StatusOr<std::optional<StepResult>> StageNext();
  // StageBatch stages a batch fetched from `fetching` on, `final` when its
  // blocks are.
  absl::Status StageBatch(ReadyBatch ready, absl::Time fetching, bool final);
  // CommitStaged commits the staged batch and, meanwhile, stages the next
  // one when it is fetched ahead.
  absl::StatusOr<StepResult> CommitStaged();
  // StageAhead stages the batch fetched ahead from block `from`, if any.
  void StageAhead(uint64_t from);
  // TakeAhead waits for the first batch fetched ahead and takes it from the
  // queue, which fetches one more behind the rest.
  absl::StatusOr<ReadyBatch> TakeAhead();
  absl::StatusOr<StepResult> RollBackReorg(uint64_t indexed_block);
  // FetchAhead starts fetches of the final blocks after those queued
  // (from `next` when none are) until fetch_ahead are in flight.
  void FetchAhead(uint64_t next, uint64_t final_block);
  // StartFetch starts fetching blocks [from, to] on a thread of its own.
  std::unique_ptr<Ahead> StartFetch(uint64_t from, uint64_t to);
  // FinalBlock is the highest final block when the head is `head`.
  absl::StatusOr<uint64_t> FinalBlock(uint64_t head);
  // AdaptSpan sets the span of the next batches from a fetch of `blocks`.
  void AdaptSpan(uint64_t blocks, const Fetched& fetched);

  // Blocks of the first batches: one, doubling while the chain's density
  // is learnt, so that dense blocks never make a first batch far over
  // max_batch_events (64 blocks of 500 logs each made one of 32,000).
  static constexpr uint64_t kFirstSpan = 1;

  ChainSource& source_;
  const ContractRegistry& registry_;
  ChainStore& store_;
  Clock& clock_;
  FollowerOptions options_;
  // The span aims at max_batch_events per batch, at the density of the last
  // batch, doubling at most per batch, within max_batch_blocks and the
  // widest range the provider accepts.
  uint64_t span_;
  // Drops to the range a provider accepts, and doubles again after
  // grow_after whole batches: providers' limits count results as well as
  // blocks, so a limit met in a busy stretch of the chain need not hold
  // after it.
  uint64_t provider_limit_;
  int whole_batches_ = 0;
  // The head and the last final block the last batch was staged under.
  uint64_t head_ = 0;
  uint64_t final_block_ = 0;
  // The batch staged and not committed, whether its blocks are final, how
  // long it waited for its fetch and how long staging took.
  std::unique_ptr<StagedBatch> staged_;
  bool staged_final_ = false;
  absl::Duration fetch_wait_;
  absl::Duration staging_;
  // In block order, without gaps. Declared last: its fetches use the
  // members above until they finish.
  std::deque<std::unique_ptr<Ahead>> ahead_;
};

}  // namespace chainsync::indexer
