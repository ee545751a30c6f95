#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/postgres/session_lock.h"
#include "libs/common/server/backend.h"
#include "services/indexer/chain_follower.h"
#include "services/indexer/rereads.h"

namespace chainsync::indexer {

// ChainState says what the worker is doing on its chain.
enum class ChainState {
  kStarting,
  kStandby,
  kBackfilling,
  kFollowing,
  kStalled
};

// ChainStatus is the worker's view of its chain, for sync status.
struct ChainStatus {
  ChainState state = ChainState::kStarting;
  uint64_t head = 0;
  uint64_t finalized = 0;
  uint64_t indexed = 0;
  // The timestamp of the last block committed, once one was.
  std::optional<absl::Time> indexed_time;
  // Events committed per second, over the last progress period.
  double events_per_second = 0;
  // The last error, cleared by the next step that succeeds.
  std::string last_error;
  absl::Time last_error_time = absl::InfinitePast();
  // The last reorg below the final line, in words, and when.
  std::string last_final_reorg;
  absl::Time last_final_reorg_time = absl::InfinitePast();
};

struct IndexerWorkerOptions {
  FollowerOptions follower;
  // How often to look for new blocks at the head.
  absl::Duration poll_interval = absl::Milliseconds(200);
  BackoffPolicy retry = {.initial_delay = absl::Milliseconds(100),
                         .max_delay = absl::Seconds(10)};
  // How long steps may fail in a row before the chain counts as blocked:
  // the service is then not ready, and the log and a metric say why.
  absl::Duration stall_after = absl::Minutes(1);
  // The dedicated connection that holds the chain's writer lock.
  PgConnectOptions lock_connection;
  metrics::Registry* registry = &metrics::DefaultRegistry();
  Clock* clock = &SystemClock();
};

// IndexerWorker follows one chain on a thread of its own. Only one process
// writes a chain: the one holding a Postgres advisory lock, taken on a
// dedicated connection, so that a standby process takes over within a
// second of the writer dying. (The lock keeps a second writer idle; the
// cursor check in every commit is what makes a double write impossible.)
// Errors are retried with backoff; Stop returns after the batch in flight.
// Between two batches, the writer takes the chain's pending re-read from
// `rereads`, if any.
class IndexerWorker final : public BackgroundWorker {
 public:
  IndexerWorker(ChainFollower& follower, RereadQueue& rereads,
                IndexerWorkerOptions options);
  ~IndexerWorker() override;

  void Start() override;
  void Stop() override;

  ChainStatus status() const;
  std::string Blocked() const override;

  // Wake ends the wait at the head at once (a new block was announced).
  void Wake();
  // RereadRequested has the pending re-read looked for at once, rather
  // than within the second.
  void RereadRequested();

 private:
  // Gauge, Counter and Histogram register a metric of this worker's chain,
  // labelled with its chain id.
  metrics::Gauge& Gauge(absl::string_view name, absl::string_view help) const;
  metrics::Counter& Counter(absl::string_view name,
                            absl::string_view help) const;
  metrics::Histogram& Histogram(absl::string_view name, absl::string_view help,
                                std::vector<double> bounds) const;
  void Run();
  // Waits until `delay` passes or Stop is called; false when stopping.
  bool Wait(absl::Duration delay);
  bool HoldsWriterLock();
  // Unblock clears what failing steps marked, when a step succeeds or
  // another process takes over.
  void Unblock();
  // NextStep takes the pending re-read when there is one, and otherwise
  // indexes the next batch.
  absl::StatusOr<ChainFollower::StepResult> NextStep();
  void Record(ChainState state, const ChainFollower::StepResult* step);
  // LagTime is how old the last committed block is.
  absl::Duration LagTime() const;

  ChainFollower& follower_;
  RereadQueue& rereads_;
  IndexerWorkerOptions options_;
  SessionLock lock_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  bool reread_requested_ = false;
  // When the steps started failing, while they fail; whether that has lasted
  // stall_after.
  std::optional<absl::Time> failing_since_;
  bool blocked_ = false;
  absl::Time rereads_looked_at_ = absl::InfinitePast();
  ChainStatus status_;
  std::thread thread_;

  metrics::Gauge& head_;
  metrics::Gauge& finalized_;
  metrics::Gauge& indexed_;
  metrics::Gauge& lag_blocks_;
  metrics::Gauge& lag_seconds_;
  metrics::Gauge& writer_;
  metrics::Counter& blocks_;
  metrics::Counter& events_;
  metrics::Counter& reorgs_;
  metrics::Counter& final_reorgs_;
  metrics::Counter& rereads_done_;
  metrics::Histogram& reorg_depth_;
  metrics::Histogram& step_seconds_;
  metrics::Histogram& fetch_wait_seconds_;
  metrics::Histogram& commit_seconds_;
  metrics::Histogram& batch_events_;
  metrics::Gauge& span_;
  metrics::Counter& errors_;
  metrics::Gauge& blocked_gauge_;
};

}  // namespace chainsync::indexer
