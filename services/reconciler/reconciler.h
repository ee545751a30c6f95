#pragma once

// Reconciler runs reconciliations: it takes a snapshot of the three views
// at a pinned block (ViewSource), evaluates the rules, scores the health
// and records the run — on a schedule and on demand, one run at a time
// across replicas (a Postgres advisory lock held for the run).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/postgres/connection.h"
#include "libs/common/server/backend.h"
#include "services/reconciler/discrepancy_store.h"
#include "services/reconciler/health.h"
#include "services/reconciler/proof_store.h"
#include "services/reconciler/rules.h"
#include "services/reconciler/snapshot.h"

namespace chainsync::reconciler {

// ViewSource is the port to the three views.
class ViewSource {
 public:
  virtual ~ViewSource() = default;
  // Take pins a block final by the indexer's rule and reads the chain, the
  // indexer and the oracle at it; `taken` is left to the caller.
  virtual absl::StatusOr<Snapshot> Take() = 0;
};

// Repairer is the port to the oracle's one safe repair: read an account's
// Bitcoin addresses again and sync it if its mirror differs.
class Repairer {
 public:
  virtual ~Repairer() = default;
  // ForceSync returns what the oracle found, in words.
  virtual absl::StatusOr<std::string> ForceSync(
      const evm::Address& account) = 0;
};

// IndexRepairer is the port to the indexer's repair: find where its data
// departs from the chain, and have it read the chain again from there.
class IndexRepairer {
 public:
  virtual ~IndexRepairer() = default;
  // Divergence is the first block, at or below `block`, from which
  // `account`'s rBTC balance in the indexer differs from the chain's; NOT_FOUND
  // when they agree at `block`.
  virtual absl::StatusOr<uint64_t> Divergence(const evm::Address& account,
                                              uint64_t block) = 0;
  // Reread asks the indexer to read the chain again from `from_block`, and
  // returns what it answered, in words.
  virtual absl::StatusOr<std::string> Reread(uint64_t from_block,
                                             const std::string& reason) = 0;
};

// ProofPublisher is the port to the chain the roots of proofs of reserves
// are published on.
class ProofPublisher {
 public:
  virtual ~ProofPublisher() = default;
  // Publish commits `proof`'s root, its totals and its blocks on chain,
  // once: a proof published already (by a run that died after sending) is
  // found, not sent again.
  virtual absl::StatusOr<Publication> Publish(const ReserveProof& proof) = 0;
};

struct ReconcilerOptions {
  RuleSettings rules;
  // Repairs a run may make (each re-read's search for where the indexer's
  // data departs counts as one), and how long before a subject is repaired
  // again.
  int max_repairs_per_run = 20;
  absl::Duration repair_backoff = absl::Minutes(30);
  Weights weights = DefaultWeights();
  // Between scheduled runs.
  absl::Duration interval = absl::Minutes(5);
  // Between two proofs of reserves: a run makes one when the last is at
  // least this old (zero: every run).
  absl::Duration proof_interval = absl::ZeroDuration();
  // The session the run lock is held on.
  PgConnectOptions lock_connection;
};

class Reconciler final : public BackgroundWorker {
 public:
  // Each run also makes a proof of reserves into `proofs` and publishes
  // its root through `publisher` (none: proofs stay unpublished).
  Reconciler(std::unique_ptr<ViewSource> views,
             std::shared_ptr<Repairer> repairer,
             std::shared_ptr<IndexRepairer> index_repairer,
             std::shared_ptr<DiscrepancyStore> store,
             std::shared_ptr<ProofStore> proofs,
             std::shared_ptr<ProofPublisher> publisher,
             ReconcilerOptions options, Clock& clock = SystemClock(),
             metrics::Registry& registry = metrics::DefaultRegistry());
  ~Reconciler() override;

  // RunNow runs a reconciliation at once and returns what it found.
  // ABORTED when another replica is running one.
  absl::StatusOr<RunSummary> RunNow();

  // Start runs the schedule on a thread; Stop finishes the run in progress.
  void Start() override;
  void Stop() override;

 private:
  absl::StatusOr<RunSummary> Run();
  // Repair makes the safe repairs the outcomes of a run at `block` call
  // for, within the run's budget and the backoff per subject; it returns
  // how many findings were repaired. Every finding the indexer repairs
  // shares one re-read, from the lowest block any of them needs.
  absl::StatusOr<uint64_t> Repair(std::vector<RuleOutcome>& outcomes,
                                  uint64_t block);
  // Noted counts and logs a repair written in `finding`.
  void Noted(const RuleOutcome& outcome, const Finding& finding);
  // Prove stores a proof of reserves of the snapshot: liabilities the rBTC
  // balances at its block, reserves the oracle's confirmed totals.
  absl::Status Prove(const Snapshot& snapshot);
  // PublishLatest publishes the newest proof when it is not yet.
  absl::Status PublishLatest();
  void Publish(const RunSummary& run, const std::vector<RuleOutcome>& outcomes);

  const std::unique_ptr<ViewSource> views_;
  const std::shared_ptr<Repairer> repairer_;
  const std::shared_ptr<IndexRepairer> index_repairer_;
  const std::shared_ptr<DiscrepancyStore> store_;
  const std::shared_ptr<ProofStore> proofs_;
  const std::shared_ptr<ProofPublisher> publisher_;
  const ReconcilerOptions options_;
  Clock& clock_;
  metrics::Family<metrics::Counter>& runs_;
  metrics::Histogram& duration_;
  metrics::Family<metrics::Gauge>& checked_;
  metrics::Family<metrics::Gauge>& failing_;
  metrics::Gauge& score_;
  metrics::Family<metrics::Gauge>& components_;
  metrics::Gauge& open_;
  metrics::Family<metrics::Counter>& repairs_;
  metrics::Gauge& backing_;
  metrics::Histogram& proof_duration_;
  metrics::Family<metrics::Counter>& publications_;

  // One run at a time in this process; the lock does it across replicas.
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chainsync::reconciler
