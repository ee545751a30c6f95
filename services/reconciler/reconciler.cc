#include "services/reconciler/reconciler.h"

#include <openssl/rand.h>

#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/common/postgres/session_lock.h"

namespace chainsync::reconciler {

Reconciler::Reconciler(std::unique_ptr<ViewSource> views,
                       std::shared_ptr<Repairer> repairer,
                       std::shared_ptr<IndexRepairer> index_repairer,
                       std::shared_ptr<DiscrepancyStore> store,
                       std::shared_ptr<ProofStore> proofs,
                       std::shared_ptr<ProofPublisher> publisher,
                       ReconcilerOptions options, Clock& clock,
                       metrics::Registry& registry)
    : views_(std::move(views)),
      repairer_(std::move(repairer)),
      index_repairer_(std::move(index_repairer)),
      store_(std::move(store)),
      proofs_(std::move(proofs)),
      publisher_(std::move(publisher)),
      options_(std::move(options)),
      clock_(clock),
      runs_(registry.AddCounter("chainsync_reconciler_runs_total",
                                "Reconciliation runs by outcome: ok, failed "
                                "(a view could not be read) or busy (another "
                                "replica was running one).",
                                {"outcome"})),
      duration_(registry
                    .AddHistogram("chainsync_reconciler_run_seconds",
                                  "How long a run took, views read to run "
                                  "recorded.",
                                  {}, {0.1, 0.5, 1, 2, 5, 10, 30, 60, 120})
                    .WithLabels({})),
      checked_(registry.AddGauge("chainsync_reconciler_rule_checked",
                                 "What each rule checked at the last run.",
                                 {"rule"})),
      failing_(registry.AddGauge("chainsync_reconciler_rule_failing",
                                 "What each rule found failing at the last "
                                 "run (settling differences aside).",
                                 {"rule"})),
      score_(registry
                 .AddGauge("chainsync_reconciler_health_score",
                           "The weighted health score of the last run, 0 to "
                           "100.")
                 .WithLabels({})),
      components_(registry.AddGauge("chainsync_reconciler_component_score",
                                    "Each health component's score at the "
                                    "last run, 0 to 100.",
                                    {"component"})),
      open_(registry
                .AddGauge("chainsync_reconciler_open_discrepancies",
                          "Discrepancies open after the last run.")
                .WithLabels({})),
      repairs_(registry.AddCounter("chainsync_reconciler_repairs_total",
                                   "Repairs by outcome: done or failed.",
                                   {"outcome"})),
      backing_(registry
                   .AddGauge("chainsync_reconciler_backing_ratio",
                             "Reserves over liabilities at the last proof "
                             "of reserves.")
                   .WithLabels({})),
      proof_duration_(
          registry
              .AddHistogram("chainsync_reconciler_proof_seconds",
                            "How long a proof of reserves took to build and "
                            "store.",
                            {}, {0.01, 0.1, 0.5, 1, 2, 5, 10, 30})
              .WithLabels({})),
      publications_(registry.AddCounter(
          "chainsync_reconciler_proof_publications_total",
          "Roots of proofs of reserves published on chain, by outcome: done "
          "(or found published already) or failed.",
          {"outcome"})) {}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      absl::StatusOr<RunSummary> run = RunNow();
      if (!run.ok() && run.status().code() != absl::StatusCode::kAborted) {
        log::Warning("reconciliation failed; retrying at the next interval",
                     {{"error", run.status()}});
      }
      lock.lock();
      clock_.WaitFor(wake_, lock, options_.interval, [&] { return stopping_; });
    }
  });
}

void Reconciler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<RunSummary> Reconciler::RunNow() {
  std::lock_guard<std::mutex> one_here(run_mu_);
  SessionLock across(options_.lock_connection, "chainsync.reconciler.run");
  if (across.Hold() != SessionLock::Change::kAcquired) {
    runs_.WithLabels({"busy"}).Increment();
    return absl::AbortedError(
        "another replica is running a reconciliation; try again when it "
        "ends");
  }
  absl::StatusOr<RunSummary> run = Run();
  runs_.WithLabels({run.ok() ? "ok" : "failed"}).Increment();
  return run;
}

absl::StatusOr<RunSummary> Reconciler::Run() {
  RunSummary run;
  run.started = clock_.Now();
  absl::StatusOr<FirstSeen> first_seen = store_->OpenSince();
  if (!first_seen.ok()) return first_seen.status();
  absl::StatusOr<Snapshot> snapshot = views_->Take();
  if (!snapshot.ok()) return snapshot.status();
  snapshot->taken = run.started;
  std::vector<RuleOutcome> outcomes =
      Evaluate(*snapshot, options_.rules, *first_seen);
  run.block = snapshot->chain.block;
  run.accounts_checked = snapshot->chain.balances.size();
  // The score is of what the run found, before its repairs land.
  run.health = Score(outcomes, options_.weights);
  absl::StatusOr<uint64_t> repaired = Repair(outcomes, run.block);
  if (!repaired.ok()) return repaired.status();
  run.repaired = *repaired;
  run.finished = clock_.Now();
  if (absl::Status recorded = store_->Record(run, outcomes); !recorded.ok()) {
    return recorded;
  }
  Publish(run, outcomes);
  // A proof that cannot be made or published leaves the run recorded: the
  // last proof stands, and the log says why.
  absl::StatusOr<std::optional<ReserveProof>> latest = proofs_->Latest();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value() ||
      run.started - (*latest)->made >= options_.proof_interval) {
    if (absl::Status proved = Prove(*snapshot); !proved.ok()) {
      log::Warning("proof of reserves not made",
                   {{"run", run.id}, {"error", proved}});
    }
  }
  if (absl::Status published = PublishLatest(); !published.ok()) {
    log::Warning("proof of reserves not published; the next run tries again",
                 {{"run", run.id}, {"error", published}});
  }
  return run;
}

absl::Status Reconciler::Prove(const Snapshot& snapshot) {
  const absl::Time start = clock_.Now();
  std::vector<crypto::SumLeaf> leaves;
  for (const auto& [account, balance] : snapshot.chain.balances) {
    if (balance == 0) continue;
    if (balance > std::numeric_limits<uint64_t>::max()) {
      return absl::OutOfRangeError(
          absl::StrCat(account.ToChecksumHex(), " holds ",
                       evm::ToDecimal(balance), " rBTC sats, beyond 64 bits"));
    }
    crypto::SumLeaf& leaf = leaves.emplace_back();
    leaf.account = account.bytes();
    leaf.balance = static_cast<uint64_t>(balance);
    // A salt of the account's own in this proof: its leaf tells nobody else
    // who it is.
    if (RAND_bytes(leaf.salt.data(), static_cast<int>(leaf.salt.size())) != 1) {
      return absl::InternalError("no random bytes for the salts");
    }
  }
  if (leaves.empty()) return absl::OkStatus();
  absl::StatusOr<crypto::MerkleSumTree> tree =
      crypto::MerkleSumTree::Build(leaves);
  if (!tree.ok()) return tree.status();
  // The oracle's readings are of different Bitcoin blocks; the proof names
  // the oldest, so that every reserve it counts is as of that block or
  // newer.
  uint64_t reserves = 0;
  std::optional<uint64_t> bitcoin_tip;
  for (const OracleAccount& account : snapshot.oracle.accounts) {
    if (!account.confirmed_sats.has_value()) continue;
    reserves += *account.confirmed_sats;
    bitcoin_tip = std::min(bitcoin_tip.value_or(account.bitcoin_tip),
                           account.bitcoin_tip);
  }
  absl::StatusOr<int64_t> id =
      proofs_->Save({.made = start,
                     .block = snapshot.chain.block,
                     .bitcoin_tip = bitcoin_tip.value_or(0),
                     .reserves_sats = reserves,
                     .liabilities_sats = tree->root().sum,
                     .account_count = leaves.size(),
                     .root = tree->root()},
                    *tree, leaves);
  if (!id.ok()) return id.status();
  const double ratio =
      static_cast<double>(reserves) / static_cast<double>(tree->root().sum);
  backing_.Set(ratio);
  proof_duration_.Observe(absl::ToDoubleSeconds(clock_.Now() - start));
  log::Info("proof of reserves", {{"proof", *id},
                                  {"block", snapshot.chain.block},
                                  {"accounts", leaves.size()},
                                  {"reserves_sats", reserves},
                                  {"liabilities_sats", tree->root().sum},
                                  {"backing_ratio", ratio}});
  return absl::OkStatus();
}

absl::Status Reconciler::PublishLatest() {
  if (publisher_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::optional<ReserveProof>> latest = proofs_->Latest();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value() || (*latest)->publication.has_value()) {
    return absl::OkStatus();
  }
  absl::StatusOr<Publication> published = publisher_->Publish(**latest);
  publications_.WithLabels({published.ok() ? "done" : "failed"}).Increment();
  if (!published.ok()) return published.status();
  if (absl::Status recorded = proofs_->Published((*latest)->id, *published);
      !recorded.ok()) {
    return recorded;
  }
  log::Info("proof of reserves published",
            {{"proof", (*latest)->id},
             {"contract", published->contract.ToChecksumHex()},
             {"transaction", evm::ToHex(published->transaction)},
             {"block", published->block}});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Reconciler::Repair(std::vector<RuleOutcome>& outcomes,
                                            uint64_t block) {
  absl::StatusOr<absl::flat_hash_set<std::pair<std::string, std::string>>>
      recent = store_->RepairedSince(clock_.Now() - options_.repair_backoff);
  if (!recent.ok()) return recent.status();
  int budget = options_.max_repairs_per_run;
  uint64_t repaired = 0;
  // Findings the indexer repairs, with the block each needs read again.
  std::vector<std::pair<const RuleOutcome*, Finding*>> rereads;
  std::optional<uint64_t> reread_from;
  for (RuleOutcome& outcome : outcomes) {
    const Remedy remedy = outcome.rule->remedy;
    if (remedy == Remedy::kNone) continue;
    for (Finding& finding : outcome.findings) {
      if (finding.settling || budget == 0 ||
          (!finding.account.has_value() && !finding.from_block.has_value()) ||
          recent->contains(
              {std::string(outcome.rule->name), finding.subject})) {
        continue;
      }
      --budget;
      if (remedy == Remedy::kSync) {
        absl::StatusOr<std::string> synced =
            repairer_->ForceSync(*finding.account);
        finding.repaired = synced.ok();
        finding.repair =
            absl::StrCat("asked the oracle to force-sync the account: ",
                         synced.ok() ? *synced : synced.status().message());
        Noted(outcome, finding);
        if (synced.ok()) ++repaired;
        continue;
      }
      absl::StatusOr<uint64_t> from =
          finding.from_block.has_value()
              ? *finding.from_block
              : index_repairer_->Divergence(*finding.account, block);
      if (!from.ok()) {
        finding.repair = absl::StrCat(
            "could not find the block the indexer's data departs from: ",
            from.status().message());
        Noted(outcome, finding);
        continue;
      }
      reread_from = std::min(reread_from.value_or(*from), *from);
      rereads.emplace_back(&outcome, &finding);
    }
  }
  if (rereads.empty()) return repaired;
  const std::string reason = absl::StrCat(
      "reconciliation at block ", block, ": ", rereads.size(),
      " discrepancies, the first ", rereads.front().second->detail);
  absl::StatusOr<std::string> asked =
      index_repairer_->Reread(*reread_from, reason);
  for (auto& [outcome, finding] : rereads) {
    finding->repaired = asked.ok();
    finding->repair = absl::StrCat(
        "asked the indexer to read the chain again from block ", *reread_from,
        ": ", asked.ok() ? *asked : asked.status().message());
    Noted(*outcome, *finding);
    if (asked.ok()) ++repaired;
  }
  return repaired;
}

void Reconciler::Noted(const RuleOutcome& outcome, const Finding& finding) {
  const absl::string_view result = finding.repaired ? "done" : "failed";
  repairs_.WithLabels({std::string(result)}).Increment();
  log::Info("reconciler repair", {{"rule", std::string(outcome.rule->name)},
                                  {"subject", finding.subject},
                                  {"outcome", result},
                                  {"action", finding.repair}});
}

void Reconciler::Publish(const RunSummary& run,
                         const std::vector<RuleOutcome>& outcomes) {
  duration_.Observe(absl::ToDoubleSeconds(run.finished - run.started));
  score_.Set(run.health.score);
  for (const ComponentScore& component : run.health.components) {
    components_.WithLabels({component.name}).Set(component.score);
  }
  for (const RuleOutcome& outcome : outcomes) {
    const std::string rule(outcome.rule->name);
    size_t failing = 0;
    const Finding* first = nullptr;
    for (const Finding& finding : outcome.findings) {
      if (finding.settling) continue;
      if (first == nullptr) first = &finding;
      ++failing;
    }
    // One line a rule, however many subjects fail it: the list is in the
    // discrepancies.
    if (first != nullptr) {
      log::Warning("reconciliation rule failed",
                   {{"run", run.id},
                    {"rule", rule},
                    {"severity", SeverityName(outcome.rule->severity)},
                    {"failing", failing},
                    {"first", first->detail}});
    }
    checked_.WithLabels({rule}).Set(
        static_cast<double>(outcome.checked.size()));
    failing_.WithLabels({rule}).Set(static_cast<double>(failing));
  }
  if (absl::StatusOr<uint64_t> open = store_->OpenCount(); open.ok()) {
    open_.Set(static_cast<double>(*open));
  }
  log::Info("reconciliation run",
            {{"run", run.id},
             {"block", run.block},
             {"accounts", run.accounts_checked},
             {"found", run.found},
             {"score", run.health.score},
             {"seconds", absl::ToDoubleSeconds(run.finished - run.started)}});
}

}  // namespace chainsync::reconciler
