#include "services/indexer/indexer_worker.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/logging/log.h"

namespace chainsync::indexer {

IndexerWorker::IndexerWorker(ChainFollower& follower, RereadQueue& rereads,
                             IndexerWorkerOptions options)
    : follower_(follower),
      rereads_(rereads),
      options_(std::move(options)),
      lock_(options_.lock_connection, absl::StrCat("chainsync.indexer.writer:",
                                                   options_.follower.chain_id)),
      head_(Gauge("chainsync_indexer_head_block", "The node's latest block.")),
      finalized_(Gauge("chainsync_indexer_finalized_block",
                       "The last block the indexer takes as final.")),
      indexed_(Gauge("chainsync_indexer_indexed_block",
                     "The last block committed to Postgres.")),
      lag_blocks_(Gauge("chainsync_indexer_lag_blocks",
                        "Blocks between the head and the cursor.")),
      lag_seconds_(
          Gauge("chainsync_indexer_lag_seconds",
                "Seconds since the timestamp of the last block committed.")),
      writer_(Gauge("chainsync_indexer_writer",
                    "1 while this process holds the chain's writer lock.")),
      blocks_(Counter("chainsync_indexer_blocks_indexed_total",
                      "Blocks committed.")),
      events_(Counter("chainsync_indexer_events_indexed_total",
                      "Events committed.")),
      reorgs_(Counter("chainsync_indexer_reorgs_total", "Reorgs rolled back.")),
      final_reorgs_(Counter("chainsync_indexer_final_reorgs_total",
                            "Reorgs that orphaned a block taken as final: "
                            "the configured finality did not hold.")),
      rereads_done_(Counter("chainsync_indexer_rereads_total",
                            "Requests to read the chain again from a block "
                            "(RereadBlocks) carried out.")),
      reorg_depth_(Histogram("chainsync_indexer_reorg_depth_blocks",
                             "Depth of the reorgs rolled back, in blocks.",
                             {1, 2, 3, 5, 8, 13, 21, 34, 64, 128})),
      step_seconds_(Histogram("chainsync_indexer_step_seconds",
                              "Fetching, decoding and committing one batch.",
                              metrics::LatencyBuckets())),
      fetch_wait_seconds_(Histogram(
          "chainsync_indexer_fetch_wait_seconds",
          "How long a batch's commit waited for its fetch: the part of "
          "fetching that batches fetched ahead did not hide.",
          metrics::LatencyBuckets())),
      commit_seconds_(Histogram("chainsync_indexer_commit_seconds",
                                "Committing one batch to Postgres.",
                                metrics::LatencyBuckets())),
      batch_events_(Histogram("chainsync_indexer_batch_events",
                              "Events in each committed batch.",
                              {0, 1, 10, 100, 1000, 5000, 10000, 50000})),
      span_(Gauge("chainsync_indexer_batch_span_blocks",
                  "Blocks the next batch may span: max_batch_blocks, or less "
                  "while the provider limits eth_getLogs.")),
      errors_(Counter("chainsync_indexer_errors_total",
                      "Steps that failed and were retried.")),
      blocked_gauge_(Gauge("chainsync_indexer_blocked",
                           "1 while steps have failed in a row for longer "
                           "than --stall_after: the chain is not indexed "
                           "and the service is not ready.")) {}

metrics::Gauge& IndexerWorker::Gauge(absl::string_view name,
                                     absl::string_view help) const {
  return options_.registry->AddGauge(name, help, {"chain_id"})
      .WithLabels({absl::StrCat(options_.follower.chain_id)});
}

metrics::Counter& IndexerWorker::Counter(absl::string_view name,
                                         absl::string_view help) const {
  return options_.registry->AddCounter(name, help, {"chain_id"})
      .WithLabels({absl::StrCat(options_.follower.chain_id)});
}

metrics::Histogram& IndexerWorker::Histogram(absl::string_view name,
                                             absl::string_view help,
                                             std::vector<double> bounds) const {
  return options_.registry
      ->AddHistogram(name, help, {"chain_id"}, std::move(bounds))
      .WithLabels({absl::StrCat(options_.follower.chain_id)});
}

IndexerWorker::~IndexerWorker() { Stop(); }

void IndexerWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void IndexerWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IndexerWorker::Unblock() {
  bool was_blocked = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_blocked = blocked_;
    blocked_ = false;
    failing_since_.reset();
  }
  if (!was_blocked) return;
  blocked_gauge_.Set(0);
  log::Info("indexer unblocked: indexing again",
            {{"chain_id", options_.follower.chain_id}});
}

std::string IndexerWorker::Blocked() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!blocked_) return "";
  return absl::StrCat(
      "chain ", options_.follower.chain_id, " is not indexed past block ",
      status_.indexed, ": every step has failed since ",
      absl::FormatTime(*failing_since_), "; the last: ", status_.last_error);
}

ChainStatus IndexerWorker::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void IndexerWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void IndexerWorker::RereadRequested() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reread_requested_ = true;
    woken_ = true;
  }
  wake_.notify_all();
}

bool IndexerWorker::Wait(absl::Duration delay) {
  std::unique_lock<std::mutex> lock(mu_);
  options_.clock->WaitFor(wake_, lock, delay,
                          [this] { return stopping_ || woken_; });
  woken_ = false;
  return !stopping_;
}

bool IndexerWorker::HoldsWriterLock() {
  switch (lock_.Hold()) {
    case SessionLock::Change::kAcquired:
      writer_.Set(1);
      log::Info("indexer writer lock acquired",
                {{"chain_id", options_.follower.chain_id}});
      break;
    case SessionLock::Change::kLost:
      writer_.Set(0);
      log::Warning("indexer writer lock lost",
                   {{"chain_id", options_.follower.chain_id}});
      break;
    case SessionLock::Change::kNone:
      break;
  }
  return lock_.held();
}

absl::StatusOr<ChainFollower::StepResult> IndexerWorker::NextStep() {
  // A request made on another replica is seen within a second; one made
  // here, at once.
  const absl::Time now = options_.clock->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!reread_requested_ && now - rereads_looked_at_ < absl::Seconds(1)) {
      return follower_.Step();
    }
    reread_requested_ = false;
    rereads_looked_at_ = now;
  }
  absl::StatusOr<std::optional<Reread>> pending =
      rereads_.Pending(options_.follower.chain_id);
  if (!pending.ok()) return pending.status();
  if (!pending->has_value()) return follower_.Step();
  const Reread& request = **pending;
  absl::StatusOr<ChainFollower::StepResult> step =
      follower_.Reread(request.from_block);
  if (!step.ok()) return step.status();
  if (absl::Status done =
          rereads_.Done(request, step->indexed, step->events_removed);
      !done.ok()) {
    return done;
  }
  rereads_done_.Increment();
  log::Warning("indexer reading blocks again",
               {{"chain_id", options_.follower.chain_id},
                {"request", request.id},
                {"from_block", request.from_block},
                {"rolled_back_to", step->indexed},
                {"events_removed", step->events_removed},
                {"reason", request.reason}});
  return step;
}

absl::Duration IndexerWorker::LagTime() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_.indexed_time.has_value()
             ? options_.clock->Now() - *status_.indexed_time
             : absl::ZeroDuration();
}

void IndexerWorker::Record(ChainState state,
                           const ChainFollower::StepResult* step) {
  std::lock_guard<std::mutex> lock(mu_);
  status_.state = state;
  if (step != nullptr) {
    status_.head = step->head;
    status_.finalized = step->finalized;
    status_.indexed = step->indexed;
    if (step->indexed_time.has_value())
      status_.indexed_time = step->indexed_time;
    status_.last_error.clear();
  }
}

void IndexerWorker::Run() {
  Backoff backoff(options_.retry);
  absl::Time last_progress;
  uint64_t progress_blocks = 0;
  uint64_t progress_events = 0;
  bool standby_logged = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    if (!HoldsWriterLock()) {
      // A batch left staged must not hold its rows against the new writer.
      follower_.Abandon();
      // Another process writes: what failed here is not this chain's state.
      Unblock();
      Record(ChainState::kStandby, nullptr);
      if (!standby_logged) {
        log::Info("indexer on standby: another process writes this chain",
                  {{"chain_id", options_.follower.chain_id}});
        standby_logged = true;
      }
      if (!Wait(absl::Seconds(1))) break;
      continue;
    }
    standby_logged = false;
    const absl::Time start = options_.clock->Now();
    absl::StatusOr<ChainFollower::StepResult> step = NextStep();
    if (!step.ok()) {
      errors_.Increment();
      bool blocking = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.state = ChainState::kStalled;
        status_.last_error = step.status().ToString();
        status_.last_error_time = options_.clock->Now();
        if (!failing_since_.has_value())
          failing_since_ = status_.last_error_time;
        blocking = !blocked_ && status_.last_error_time - *failing_since_ >=
                                    options_.stall_after;
        blocked_ = blocked_ || blocking;
      }
      if (blocking) {
        blocked_gauge_.Set(1);
        log::Error("indexer blocked: the chain is not indexed further",
                   {{"chain_id", options_.follower.chain_id},
                    {"next_block", status().indexed + 1},
                    {"since", absl::FormatTime(*failing_since_)},
                    {"error", step.status()}});
      }
      const absl::Duration delay = backoff.NextDelay();
      log::Warning("indexer step failed; retrying",
                   {{"chain_id", options_.follower.chain_id},
                    {"error", step.status()},
                    {"retry_in_seconds", delay}});
      if (!Wait(delay)) break;
      continue;
    }
    backoff.Reset();
    Unblock();
    step_seconds_.Observe(absl::ToDoubleSeconds(options_.clock->Now() - start));
    if (step->blocks_indexed > 0) {
      fetch_wait_seconds_.Observe(absl::ToDoubleSeconds(step->fetch_wait));
      commit_seconds_.Observe(absl::ToDoubleSeconds(step->commit));
      batch_events_.Observe(static_cast<double>(step->events_indexed));
    }
    head_.Set(static_cast<double>(step->head));
    finalized_.Set(static_cast<double>(step->finalized));
    indexed_.Set(static_cast<double>(step->indexed));
    const uint64_t lag =
        step->head > step->indexed ? step->head - step->indexed : 0;
    lag_blocks_.Set(static_cast<double>(lag));
    blocks_.Increment(static_cast<double>(step->blocks_indexed));
    events_.Increment(static_cast<double>(step->events_indexed));
    if (step->span > 0) span_.Set(static_cast<double>(step->span));
    if (step->reorg_depth > 0) {
      reorgs_.Increment();
      reorg_depth_.Observe(static_cast<double>(step->reorg_depth));
    }
    if (step->below_final) {
      final_reorgs_.Increment();
      std::lock_guard<std::mutex> lock(mu_);
      status_.last_final_reorg =
          absl::StrCat("block ", step->lowest_orphan,
                       ", which was final, was orphaned; rolled back to block ",
                       step->indexed);
      status_.last_final_reorg_time = options_.clock->Now();
    }
    // A rollback (a reorg's, a re-read's) goes on at once.
    const bool at_head = step->blocks_indexed == 0 && step->reorg_depth == 0 &&
                         step->indexed >= step->head;
    Record(lag == 0 ? ChainState::kFollowing : ChainState::kBackfilling,
           &*step);
    lag_seconds_.Set(absl::ToDoubleSeconds(LagTime()));
    // A window of progress starts with a step that indexes: time idle at
    // the head, or before the first batch, is no part of a rate.
    if (progress_blocks == 0) last_progress = start;
    progress_blocks += step->blocks_indexed;
    progress_events += step->events_indexed;
    const absl::Duration since = options_.clock->Now() - last_progress;
    if (since >= absl::Seconds(5) && progress_blocks > 0) {
      const double seconds = absl::ToDoubleSeconds(since);
      const double rate = static_cast<double>(progress_blocks) / seconds;
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.events_per_second =
            static_cast<double>(progress_events) / seconds;
      }
      log::Info(
          "indexer progress",
          {{"chain_id", options_.follower.chain_id},
           {"indexed", step->indexed},
           {"head", step->head},
           {"blocks_per_second", rate},
           {"events_per_second",
            static_cast<double>(progress_events) / seconds},
           {"seconds_left",
            rate > 0 ? static_cast<double>(step->head - step->indexed) / rate
                     : 0.0}});
      last_progress = options_.clock->Now();
      progress_blocks = 0;
      progress_events = 0;
    }
    if (at_head && !Wait(options_.poll_interval)) break;
  }
  writer_.Set(0);
  lock_.Release();
}

}  // namespace chainsync::indexer
