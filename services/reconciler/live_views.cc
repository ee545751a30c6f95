#include "services/reconciler/live_views.h"

#include <algorithm>
#include <future>
#include <set>

#include "absl/time/clock.h"
#include "libs/common/logging/log.h"

namespace chainsync::reconciler {

absl::StatusOr<Snapshot> LiveViews::Take() {
  absl::StatusOr<uint64_t> head = chain_->Head();
  if (!head.ok()) return head.status();
  absl::StatusOr<IndexerProgress> progress = indexer_->Progress();
  uint64_t block = 0;
  if (progress.ok()) {
    // Final by the indexer's rule, and stored: nothing at or below it
    // changes.
    block = std::min(progress->finalized, progress->indexed);
    if (block == 0) {
      return absl::FailedPreconditionError(
          "the indexer holds no final block yet");
    }
    depth_ = *head > block ? *head - block : 0;
  } else {
    // Without the indexer the chain and the oracle are still compared, as
    // deep under the head as the last pinned block was.
    block = *head > depth_ ? *head - depth_ : *head;
  }
  Snapshot snapshot;
  const absl::Time start = absl::Now();
  // The indexer and the oracle answer from processes of their own: both
  // are read at once.
  absl::Time indexer_read = start;
  std::future<absl::StatusOr<IndexerView>> indexing;
  if (progress.ok()) {
    indexing = std::async(std::launch::async, [&] {
      absl::StatusOr<IndexerView> view = indexer_->Read(block);
      indexer_read = absl::Now();
      return view;
    });
  }
  absl::StatusOr<OracleView> oracle = oracle_->Read();
  const absl::Time oracle_read = absl::Now();
  absl::StatusOr<IndexerView> indexed =
      progress.ok() ? indexing.get()
                    : absl::StatusOr<IndexerView>(progress.status());
  if (!oracle.ok()) return oracle.status();
  snapshot.oracle = *std::move(oracle);
  if (indexed.ok()) {
    snapshot.indexer = *std::move(indexed);
    snapshot.indexer.head = progress->indexed;
  } else {
    snapshot.indexer.unavailable = std::string(indexed.status().message());
    log::Warning(
        "the indexer cannot be read; the run compares the chain and the "
        "oracle",
        {{"block", block}, {"error", indexed.status()}});
  }
  const absl::Time both_read = absl::Now();
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
       {"oracle_seconds", absl::ToDoubleSeconds(oracle_read - start)},
       {"chain_seconds", absl::ToDoubleSeconds(absl::Now() - both_read)}});
  return snapshot;
}

}  // namespace chainsync::reconciler
