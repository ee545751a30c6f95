#include "services/reconciler/live_views.h"

#include <algorithm>
#include <set>

#include "absl/time/clock.h"
#include "libs/common/logging/log.h"

namespace chainsync::reconciler {

absl::StatusOr<Snapshot> LiveViews::Take() {
  absl::StatusOr<IndexerProgress> progress = indexer_->Progress();
  if (!progress.ok()) return progress.status();
  absl::StatusOr<uint64_t> head = chain_->Head();
  if (!head.ok()) return head.status();
  // Final by the indexer's rule, and stored: nothing at or below it changes.
  const uint64_t block = std::min(progress->finalized, progress->indexed);
  if (block == 0) {
    return absl::FailedPreconditionError(
        "the indexer holds no final block yet");
  }
  Snapshot snapshot;
  const absl::Time start = absl::Now();
  absl::StatusOr<IndexerView> indexed = indexer_->Read(block);
  if (!indexed.ok()) return indexed.status();
  snapshot.indexer = *std::move(indexed);
  snapshot.indexer.head = progress->indexed;
  const absl::Time indexer_read = absl::Now();
  absl::StatusOr<OracleView> oracle = oracle_->Read();
  if (!oracle.ok()) return oracle.status();
  snapshot.oracle = *std::move(oracle);
  const absl::Time oracle_read = absl::Now();
  std::set<evm::Address> accounts;
  for (const auto& [account, balance] : snapshot.indexer.balances) {
    accounts.insert(account);
  }
  for (const OracleAccount& account : snapshot.oracle.accounts) {
    accounts.insert(account.account);
  }
  absl::StatusOr<ChainView> chain = chain_->Read(
      block, std::vector<evm::Address>(accounts.begin(), accounts.end()));
  if (!chain.ok()) return chain.status();
  snapshot.chain = *std::move(chain);
  snapshot.chain.head = *head;
  // Which view a slow run waited for.
  log::Info(
      "reconciliation views read",
      {{"block", block},
       {"accounts", accounts.size()},
       {"indexer_seconds", absl::ToDoubleSeconds(indexer_read - start)},
       {"oracle_seconds", absl::ToDoubleSeconds(oracle_read - indexer_read)},
       {"chain_seconds", absl::ToDoubleSeconds(absl::Now() - oracle_read)}});
  return snapshot;
}

}  // namespace chainsync::reconciler
