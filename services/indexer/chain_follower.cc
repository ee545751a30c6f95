#include "services/indexer/chain_follower.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"

namespace chainsync::indexer {

absl::StatusOr<ChainFollower::StepResult> ChainFollower::Step() {
  if (staged_ == nullptr) {
    absl::StatusOr<std::optional<StepResult>> done = StageNext();
    if (!done.ok()) return done.status();
    if (done->has_value()) return **done;
  }
  return CommitStaged();
}

absl::StatusOr<std::optional<ChainFollower::StepResult>>
ChainFollower::StageNext() {
  absl::StatusOr<std::optional<Cursor>> cursor =
      store_.LoadCursor(options_.chain_id);
  if (!cursor.ok()) return cursor.status();
  const uint64_t start = registry_.start_block();
  // A cursor below the start block marks a chain rolled back to before any
  // data: there is nothing of ours on it to check.
  const bool has_data =
      cursor->has_value() && (*cursor)->indexed_block >= start;
  if (has_data) {
    absl::StatusOr<std::vector<std::optional<BlockRecord>>> block =
        source_.Headers({(*cursor)->indexed_block});
    if (!block.ok()) return block.status();
    if (!block->front().has_value() ||
        block->front()->hash != (*cursor)->indexed_hash) {
      ahead_.clear();
      return RollBackReorg((*cursor)->indexed_block);
    }
  }
  absl::StatusOr<uint64_t> head = source_.Head();
  if (!head.ok()) return head.status();
  const uint64_t from = cursor->has_value()
                            ? std::max((*cursor)->indexed_block + 1, start)
                            : start;
  // What was fetched ahead starts right after the cursor; a batch whose
  // fetch failed is fetched again, ahead of the rest.
  if (!ahead_.empty() && ahead_.front()->from < from) ahead_.clear();
  if (!ahead_.empty() && ahead_.front()->from > from) {
    ahead_.push_front(StartFetch(from, ahead_.front()->from - 1));
  }
  absl::StatusOr<uint64_t> final_block = FinalBlock(*head);
  if (!final_block.ok()) return final_block.status();
  if (from > *head) {
    return StepResult{
        .head = *head, .finalized = *final_block, .indexed = from - 1};
  }

  head_ = *head;
  final_block_ = *final_block;
  const absl::Time fetching = clock_.Now();
  FetchAhead(from, final_block_);
  absl::StatusOr<ReadyBatch> batch;
  const bool final = !ahead_.empty();
  if (final) {
    batch = TakeAhead();
  } else {
    // Blocks above the confirmation depth, one batch at a time, each header
    // linked to the one before.
    const uint64_t to = std::min(*head, from + span_ - 1);
    FetchOptions fetch{.contiguous = true};
    if (has_data) fetch.parent = (*cursor)->indexed_hash;
    Fetched fetched =
        FetchBatch(source_, registry_, options_.chain_id, from, to, fetch);
    AdaptSpan(to - from + 1, fetched);
    if (fetched.batch.ok()) {
      batch = ReadyBatch{.batch = *std::move(fetched.batch)};
    } else {
      batch = fetched.batch.status();
    }
  }
  if (absl::IsAborted(batch.status())) {
    ahead_.clear();
    return RollBackReorg(from - 1);
  }
  if (!batch.ok()) return batch.status();
  if (absl::Status status = StageBatch(*std::move(batch), fetching, final);
      !status.ok()) {
    ahead_.clear();
    return status;
  }
  return std::nullopt;
}

absl::Status ChainFollower::StageBatch(ReadyBatch ready, absl::Time fetching,
                                       bool final) {
  const absl::Time staging = clock_.Now();
  if (ready.prepared == nullptr) ready.prepared = store_.Prepare(ready.batch);
  absl::StatusOr<std::unique_ptr<StagedBatch>> staged =
      store_.Stage(std::move(ready.batch), std::move(ready.prepared));
  if (!staged.ok()) return staged.status();
  staged_ = *std::move(staged);
  staged_final_ = final;
  fetch_wait_ = staging - fetching;
  staging_ = clock_.Now() - staging;
  return absl::OkStatus();
}

absl::StatusOr<ChainFollower::StepResult> ChainFollower::CommitStaged() {
  const std::unique_ptr<StagedBatch> committing = std::move(staged_);
  const Batch& batch = committing->batch();
  StepResult result{.head = head_,
                    .finalized = final_block_,
                    .indexed = batch.to_block,
                    .indexed_time = absl::FromUnixSeconds(
                        static_cast<int64_t>(batch.blocks.back().timestamp)),
                    .blocks_indexed = batch.to_block - batch.from_block + 1,
                    .events_indexed = batch.events.size(),
                    .fetch_wait = fetch_wait_,
                    .commit = staging_};
  absl::Duration finishing;
  std::future<absl::Status> committed =
      std::async(std::launch::async, [this, &committing, &finishing] {
        const absl::Time start = clock_.Now();
        absl::Status status = committing->Commit();
        finishing = clock_.Now() - start;
        return status;
      });
  // Final blocks are committed two batches at a time: while one commits,
  // the next is staged on a connection of its own, and Postgres writes
  // both at once. It is committed by the next step.
  if (staged_final_) StageAhead(batch.to_block + 1);
  const absl::Status status = committed.get();
  if (!status.ok()) {
    // The batch staged meanwhile started from this one's balances.
    Abandon();
    return status;
  }
  result.commit += finishing;
  result.span = span_;
  return result;
}

void ChainFollower::StageAhead(uint64_t from) {
  if (ahead_.empty() || ahead_.front()->from != from) return;
  const absl::Time fetching = clock_.Now();
  absl::StatusOr<ReadyBatch> batch = TakeAhead();
  // A batch that fails here is fetched and staged again by the next step,
  // which reports why it fails.
  if (!batch.ok() || !StageBatch(*std::move(batch), fetching, true).ok()) {
    ahead_.clear();
  }
}

absl::StatusOr<ChainFollower::ReadyBatch> ChainFollower::TakeAhead() {
  const std::unique_ptr<Ahead> next = std::move(ahead_.front());
  ahead_.pop_front();
  FetchAhead(next->to + 1, final_block_);
  Fetched fetched = next->fetched.get();
  AdaptSpan(next->to - next->from + 1, fetched);
  if (!fetched.batch.ok()) return fetched.batch.status();
  return ReadyBatch{.batch = *std::move(fetched.batch),
                    .prepared = std::move(next->prepared)};
}

void ChainFollower::Abandon() {
  staged_.reset();
  ahead_.clear();
}

absl::StatusOr<ChainFollower::StepResult> ChainFollower::Reread(
    uint64_t from_block) {
  Abandon();
  const uint64_t before_start = registry_.start_block() - 1;
  absl::StatusOr<std::vector<BlockRecord>> below =
      from_block > registry_.start_block()
          ? store_.StoredBlocks(options_.chain_id, from_block - 1, 1)
          : std::vector<BlockRecord>{};
  if (!below.ok()) return below.status();
  const uint64_t ancestor =
      below->empty() ? before_start : below->front().number;
  absl::StatusOr<int64_t> removed =
      store_.RollbackTo(options_.chain_id, ancestor,
                        below->empty() ? evm::Hash{} : below->front().hash);
  if (!removed.ok()) return removed.status();
  return StepResult{.head = head_,
                    .finalized = final_block_,
                    .indexed = ancestor,
                    .events_removed = *removed};
}

absl::StatusOr<uint64_t> ChainFollower::FinalBlock(uint64_t head) {
  if (!options_.finalized_tag) {
    return head > options_.confirmations ? head - options_.confirmations : 0;
  }
  absl::StatusOr<std::optional<uint64_t>> finalized = source_.Finalized();
  if (!finalized.ok()) return finalized.status();
  // A node that finalized nothing yet: every block may still be reorged.
  return finalized->has_value() ? std::min(**finalized, head) : 0;
}

void ChainFollower::FetchAhead(uint64_t next, uint64_t final_block) {
  while (ahead_.size() < options_.fetch_ahead) {
    const uint64_t from = ahead_.empty() ? next : ahead_.back()->to + 1;
    if (from > final_block) return;
    ahead_.push_back(StartFetch(from, std::min(final_block, from + span_ - 1)));
  }
}

std::unique_ptr<ChainFollower::Ahead> ChainFollower::StartFetch(uint64_t from,
                                                                uint64_t to) {
  auto ahead = std::make_unique<Ahead>();
  ahead->from = from;
  ahead->to = to;
  Ahead* raw = ahead.get();
  ahead->fetched = std::async(std::launch::async, [this, raw] {
    Fetched fetched =
        FetchBatch(source_, registry_, options_.chain_id, raw->from, raw->to);
    if (fetched.batch.ok()) raw->prepared = store_.Prepare(*fetched.batch);
    return fetched;
  });
  return ahead;
}

void ChainFollower::AdaptSpan(uint64_t blocks, const Fetched& fetched) {
  const uint64_t log_span = fetched.widest_log_range;
  if (log_span == 0) return;
  if (log_span < blocks) {
    provider_limit_ = std::max<uint64_t>(log_span, 1);
    span_ = std::min(span_, provider_limit_);
    whole_batches_ = 0;
    log::Info("provider limits eth_getLogs ranges; batches narrowed",
              {{"chain_id", options_.chain_id}, {"span_blocks", span_}});
    return;
  }
  if (!fetched.batch.ok()) return;
  const uint64_t events = fetched.batch->events.size();
  if (provider_limit_ < options_.max_batch_blocks && blocks >= span_ &&
      span_ == provider_limit_ && ++whole_batches_ >= options_.grow_after) {
    provider_limit_ = std::min(provider_limit_ * 2, options_.max_batch_blocks);
    whole_batches_ = 0;
  }
  const uint64_t dense =
      blocks * options_.max_batch_events / std::max<uint64_t>(events, 1);
  span_ = std::max<uint64_t>(
      std::min({dense, span_ * 2, provider_limit_, options_.max_batch_blocks}),
      1);
}

absl::StatusOr<ChainFollower::StepResult> ChainFollower::RollBackReorg(
    uint64_t indexed_block) {
  // Walk the stored headers down until one is still on the node's chain.
  // Below the final line only some headers are stored, so the rollback may
  // go deeper than the fork; the lowest stored header found orphaned says
  // whether a final block was.
  uint64_t below = indexed_block;
  std::optional<uint64_t> lowest_orphan;
  while (true) {
    absl::StatusOr<std::vector<BlockRecord>> stored =
        store_.StoredBlocks(options_.chain_id, below, options_.ancestor_page);
    if (!stored.ok()) return stored.status();
    if (stored->empty()) break;
    std::vector<uint64_t> numbers;
    for (const BlockRecord& block : *stored) numbers.push_back(block.number);
    absl::StatusOr<std::vector<std::optional<BlockRecord>>> canonical =
        source_.Headers(numbers);
    if (!canonical.ok()) return canonical.status();
    for (size_t i = 0; i < stored->size(); ++i) {
      const BlockRecord& block = (*stored)[i];
      const std::optional<BlockRecord>& held = (*canonical)[i];
      if (held.has_value() && held->hash == block.hash) {
        absl::StatusOr<int64_t> removed =
            store_.RollbackTo(options_.chain_id, block.number, block.hash);
        if (!removed.ok()) return removed.status();
        const uint64_t depth = indexed_block - block.number;
        const bool below_final =
            lowest_orphan.has_value() && *lowest_orphan <= final_block_;
        log::Write(below_final ? log::Level::kError : log::Level::kWarning,
                   below_final ? "chain reorganised below the final line; "
                                 "rolled back"
                               : "chain reorganised; rolled back",
                   {{"chain_id", options_.chain_id},
                    {"ancestor", block.number},
                    {"depth", depth},
                    {"lowest_orphan", lowest_orphan.value_or(0)},
                    {"final_block", final_block_},
                    {"events_removed", *removed}});
        return StepResult{.head = head_,
                          .finalized = final_block_,
                          .indexed = block.number,
                          .events_removed = *removed,
                          .reorg_depth = depth,
                          .below_final = below_final,
                          .lowest_orphan = lowest_orphan.value_or(0)};
      }
      lowest_orphan = block.number;
    }
    if (stored->back().number == 0) break;
    below = stored->back().number - 1;
  }
  // No stored block survived: start over from before the first contract.
  const uint64_t before_start = registry_.start_block() - 1;
  absl::StatusOr<int64_t> removed =
      store_.RollbackTo(options_.chain_id, before_start, evm::Hash{});
  if (!removed.ok()) return removed.status();
  // Every stored block orphaned: final ones too, whenever any was final.
  const bool below_final =
      lowest_orphan.has_value() && *lowest_orphan <= final_block_;
  log::Write(below_final ? log::Level::kError : log::Level::kWarning,
             "chain reorganised below every stored block; indexing again "
             "from the start",
             {{"chain_id", options_.chain_id},
              {"final_block", final_block_},
              {"events_removed", *removed}});
  return StepResult{.head = head_,
                    .finalized = final_block_,
                    .indexed = before_start,
                    .events_removed = *removed,
                    .reorg_depth = indexed_block - before_start,
                    .below_final = below_final,
                    .lowest_orphan = lowest_orphan.value_or(0)};
}

}  // namespace chainsync::indexer
