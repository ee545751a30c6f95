#pragma once

// Mirror sends the oracle's on-chain actions, exactly once. While it holds
// the sender lock (one oracle of several sends; the others stand by), it
// plans a sync for every account read whole whose total differs from what
// the oracle contract holds for it, journals each signed transaction before
// it broadcasts it, and follows the journal's open operations to their end
// with the OperationTracker: after a crash, a takeover or a reorg it sends
// again only the very bytes it journaled.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/postgres/session_lock.h"
#include "libs/common/server/backend.h"
#include "libs/evm/signer.h"
#include "services/oracle/mirror_chain.h"
#include "services/oracle/operation_store.h"

namespace chainsync::oracle {

struct MirrorOptions {
  evm::Address aggregator;
  uint64_t chain_id = 0;
  TrackerRules rules;
  // How often open operations are followed.
  absl::Duration poll_interval = absl::Milliseconds(500);
  // The fee each sync charges from the account's FeeVault deposit.
  evm::Uint256 sync_fee_wei = 0;
  // Accounts one transaction syncs at most (syncBatch).
  size_t max_accounts_per_transaction = 100;
  // The session the sender lock is held on.
  PgConnectOptions lock_connection;
};

class Mirror final : public BackgroundWorker {
 public:
  Mirror(std::shared_ptr<OperationStore> store,
         std::shared_ptr<MirrorChain> chain,
         std::shared_ptr<evm::Signer> signer, MirrorOptions options,
         Clock& clock = SystemClock(),
         metrics::Registry& registry = metrics::DefaultRegistry());
  ~Mirror() override;

  void Start() override;
  void Stop() override;

  // Request has the accounts checked for a sync at once — or, when another
  // replica sends, queued in the store for it.
  void Request(const std::vector<evm::Address>& accounts);

  // sending says whether this process holds the sender lock.
  bool sending() const;

 private:
  void Run();
  // Due collects the accounts to check: those requested, and those read
  // since the watermark.
  absl::StatusOr<std::vector<evm::Address>> Due();
  // Plan journals the syncs `accounts` need.
  absl::Status Plan(const std::vector<evm::Address>& accounts);
  // Follow carries out the tracker's actions for the open operations.
  absl::Status Follow();
  absl::Status JournalSync(std::vector<OperationItem> items);
  // JournalBurns journals the emergency burns admins asked for.
  absl::Status JournalBurns();
  // Journal journals `operation` (its kind, items and burn reason) signed
  // with a new nonce and the current fees.
  absl::StatusOr<int64_t> Journal(JournaledOperation operation,
                                  std::optional<int64_t> request);
  // SignAndJournal signs `operation` with its tracked nonce and fees and
  // journals it, planned; its `replaces` names the operation a fee bump
  // replaces, `request` the burn request it carries out.
  absl::StatusOr<int64_t> SignAndJournal(JournaledOperation operation,
                                         std::optional<int64_t> request);
  // RecordBurned stores what a mined operation's receipt says it burned.
  absl::Status RecordBurned(int64_t operation, const evm::Receipt& receipt);
  absl::Status Replace(const JournaledOperation& original,
                       const Action& action);
  absl::StatusOr<evm::Bytes> CallData(
      const JournaledOperation& operation) const;

  const std::shared_ptr<OperationStore> store_;
  const std::shared_ptr<MirrorChain> chain_;
  const std::shared_ptr<evm::Signer> signer_;
  const MirrorOptions options_;
  Clock& clock_;
  SessionLock lock_;
  metrics::Family<metrics::Counter>& operations_;
  metrics::Counter& replacements_;
  metrics::Counter& gaps_repaired_;
  metrics::Gauge& open_;
  metrics::Gauge& oldest_open_;
  metrics::Gauge& sender_;
  metrics::Counter& burns_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::set<evm::Address> requested_;
  // Set when the lock is acquired: every account is checked once.
  bool check_all_ = false;
  bool stopping_ = false;
  bool sending_ = false;
  std::thread thread_;
};

}  // namespace chainsync::oracle
