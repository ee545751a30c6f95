#pragma once

// Balance disputes. A user who believes their mirrored rBTC balance is
// wrong files a claim; the DisputeDesk validates it on its own thread: it
// reads the account's Bitcoin addresses through the Bitcoin API (the same
// reading the oracle makes, at the configured confirmations) and its rBTC
// balance on chain, and Judge decides. A wrong mirror is corrected by a
// sync the oracle is asked for, and the dispute is RESOLVED once that
// operation is in the oracle's journal; a right one REJECTS the claim with
// the evidence. A reading that cannot be made is never taken for a zero:
// the dispute waits, saying why, and is tried again with backoff.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bitcoin/account_reader.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/backend.h"
#include "libs/evm/address.h"
#include "services/reconciler/dispute_store.h"

namespace chainsync::reconciler {

// What validation read of one account.
struct DisputeReading {
  int64_t claimed_sats = 0;
  // rBTC on chain now.
  int64_t recorded_sats = 0;
  // The account's Bitcoin addresses, read at one tip.
  bitcoin::AccountReading bitcoin;
  int confirmations = 6;
  // By how much the mirror may differ from the Bitcoin total.
  uint64_t tolerance_sats = 0;
};

struct Verdict {
  // Whether the mirror is wrong and a corrective sync is due.
  bool correct = false;
  int64_t verified_sats = 0;
  // What was found, in words a user reads.
  std::string evidence;
};

// Judge decides a dispute from what was read. UNAVAILABLE when the reading
// has no whole total (an address could not be read): nothing is decided
// on part of an account.
absl::StatusOr<Verdict> Judge(const DisputeReading& reading);

// A sync of the oracle's journal that sets an account's balance.
struct CorrectiveSync {
  int64_t operation_id = 0;
  // 0x-hex, empty until signed.
  std::string transaction_hash;
};

// DisputePeers is the port to the oracle and the chain.
class DisputePeers {
 public:
  virtual ~DisputePeers() = default;
  // BitcoinAddresses are the addresses the oracle monitors for `account`.
  virtual absl::StatusOr<std::vector<std::string>> BitcoinAddresses(
      const evm::Address& account) = 0;
  // RecordedBalance is the account's rBTC balance on chain now.
  virtual absl::StatusOr<int64_t> RecordedBalance(
      const evm::Address& account) = 0;
  // RequestSync asks the oracle to read the account and sync what differs.
  virtual absl::Status RequestSync(const evm::Address& account) = 0;
  // FindSync is the newest sync of `account` to `balance` journaled at or
  // after `since`, if there is one.
  virtual absl::StatusOr<std::optional<CorrectiveSync>> FindSync(
      const evm::Address& account, int64_t balance, absl::Time since) = 0;
};

struct DisputeOptions {
  // The Bitcoin network addresses are parsed for.
  bitcoin::Network network = bitcoin::Network::kMainnet;
  int confirmations = 6;
  uint64_t tolerance_sats = 0;
  // How long a replica may work on a dispute before another may take it.
  absl::Duration lease = absl::Minutes(1);
  // Waits after a failed attempt: first, growing to at most.
  absl::Duration retry_first = absl::Seconds(5);
  absl::Duration retry_max = absl::Minutes(5);
  // How often the oracle's journal is looked at for the corrective sync,
  // and after how long without it the oracle is asked again.
  absl::Duration sync_poll = absl::Milliseconds(500);
  absl::Duration sync_ask_again = absl::Minutes(1);
};

// A claim as filed.
struct DisputeClaim {
  evm::Address account;
  int64_t claimed_sats = 0;
  std::string reason;
  std::string bitcoin_address;
};

class DisputeDesk final : public BackgroundWorker {
 public:
  DisputeDesk(std::shared_ptr<DisputeStore> store,
              std::shared_ptr<DisputePeers> peers,
              std::shared_ptr<bitcoin::BitcoinSource> bitcoin,
              DisputeOptions options, Clock& clock = SystemClock(),
              metrics::Registry& registry = metrics::DefaultRegistry());
  ~DisputeDesk() override;

  // File checks a claim, records the balance on chain beside it and stores
  // it FILED; the worker takes it at once. INVALID_ARGUMENT names the field
  // that is wrong; ALREADY_EXISTS when the account has a dispute open.
  absl::StatusOr<StoredDispute> File(const DisputeClaim& claim);

  // Close is an admin's verdict: RESOLVED or REJECTED, with a reason.
  absl::StatusOr<StoredDispute> Close(const std::string& id,
                                      const std::string& status,
                                      const std::string& resolution,
                                      const std::string& by);

  // WorkDue works on every dispute due now, one after the other.
  absl::Status WorkDue();

  void Start() override;
  void Stop() override;

 private:
  // Work takes one claimed dispute one step: judge it, or look for its
  // corrective sync.
  absl::Status Work(const StoredDispute& dispute);
  absl::Status Validate(const StoredDispute& dispute);
  absl::Status FollowCorrection(const StoredDispute& dispute);
  absl::Status Retry(const StoredDispute& dispute, const absl::Status& error);
  absl::Status Closed(const StoredDispute& dispute);
  void PublishOpen();

  const std::shared_ptr<DisputeStore> store_;
  const std::shared_ptr<DisputePeers> peers_;
  const std::shared_ptr<bitcoin::BitcoinSource> bitcoin_;
  const DisputeOptions options_;
  Clock& clock_;
  metrics::Family<metrics::Counter>& outcomes_;
  metrics::Counter& failed_attempts_;
  metrics::Gauge& open_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool filed_ = false;
  std::thread thread_;
};

}  // namespace chainsync::reconciler
