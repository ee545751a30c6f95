#pragma once

// Sweeper is the oracle's background sweep: at every interval it reads
// every account with syncing on, in batches, several accounts at once,
// retrying an account's read with backoff, and stores what it found. Its
// switch and configuration are stored, so they survive restarts; it can be
// forced to sweep now, and one account can be read at once.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "libs/bitcoin/balance_source.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/backend.h"
#include "services/oracle/monitor_store.h"

namespace chainsync::oracle {

// SweepReport is the sweep's state and statistics since the start.
struct SweepReport {
  SweepSettings settings;
  bool sweeping = false;
  // Another replica sends and sweeps; this one's periodic sweep waits until
  // it takes over.
  bool standby = false;
  uint64_t sweeps_completed = 0;
  std::optional<absl::Time> last_start;
  absl::Duration last_duration;
  // Accounts the last sweep read.
  uint64_t last_accounts = 0;
  std::optional<absl::Time> next_start;
  AccountCounts counts;
};

// ValidateSweepSettings checks settings before they are stored:
// INVALID_ARGUMENT names the field.
absl::Status ValidateSweepSettings(const SweepSettings& settings);

class Sweeper final : public BackgroundWorker {
 public:
  // `confirmations` bury an output deep enough to count.
  Sweeper(std::shared_ptr<MonitorStore> store,
          std::shared_ptr<bitcoin::BitcoinSource> source, int confirmations,
          Clock& clock = SystemClock(),
          metrics::Registry& registry = metrics::DefaultRegistry());
  ~Sweeper() override;

  // OnRead has `read` called with the accounts each batch (or ReadNow) read
  // whole, once their readings are stored: the mirror checks them. Call
  // before Start.
  void OnRead(std::function<void(const std::vector<evm::Address>&)> read) {
    on_read_ = std::move(read);
  }

  // LeadWhile has the periodic sweep run only while `leading` holds: the
  // replica that sends sweeps, a standby keeps the schedule and sweeps once
  // it takes over, so the Bitcoin API is read once per interval however
  // many replicas run. Forced sweeps and ReadNow run on any replica. Call
  // before Start.
  void LeadWhile(std::function<bool()> leading) {
    leading_ = std::move(leading);
  }

  // Start loads the stored settings and sweeps on its thread while they
  // say running. A store that cannot be read is retried on the thread.
  void Start() override;
  // Stop finishes the batch in flight and returns.
  void Stop() override;

  absl::StatusOr<SweepReport> Report();
  // NextStart is when the next periodic sweep starts, while they run: a
  // user's status shows it, without the counts Report reads from Postgres.
  std::optional<absl::Time> NextStart();
  // SetRunning switches the periodic sweep, storing the switch.
  absl::StatusOr<SweepReport> SetRunning(bool running);
  // Force starts a sweep now, periodic or not: one in progress may have
  // read accounts before what the caller wants seen, so another follows it.
  absl::StatusOr<SweepReport> Force();
  // Update stores new settings (validated) and applies them from the next
  // batch.
  absl::StatusOr<SweepReport> Update(const SweepSettings& settings);

  // ReadNow reads one account at the current tip and stores the reading.
  absl::StatusOr<bitcoin::AccountReading> ReadNow(const evm::Address& account);

 private:
  void Run();
  // Sweep reads every enabled account once; false when stopped midway.
  bool Sweep();
  // ReadWithRetries reads at `tip`, which it moves forward when the chain
  // moved under the read.
  bitcoin::AccountReading ReadWithRetries(const MonitoredAccount& account,
                                          std::atomic<uint64_t>& tip,
                                          const SweepSettings& settings);
  absl::StatusOr<uint64_t> Tip(const SweepSettings& settings);
  // Announce hands the accounts read whole to on_read_.
  void Announce(
      const std::vector<std::pair<evm::Address, bitcoin::AccountReading>>&
          readings);
  // Wait waits `duration` or until stopped; false when stopped.
  bool Wait(absl::Duration duration);
  SweepSettings settings();

  const std::shared_ptr<MonitorStore> store_;
  const std::shared_ptr<bitcoin::BitcoinSource> source_;
  const int confirmations_;
  Clock& clock_;
  metrics::Counter& sweeps_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Gauge& accounts_swept_;
  metrics::Gauge& stale_;
  metrics::Gauge& monitored_;
  metrics::Counter& reads_failed_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<SweepSettings> settings_;
  bool stopping_ = false;
  bool forced_ = false;
  bool sweeping_ = false;
  uint64_t sweeps_completed_ = 0;
  std::optional<absl::Time> last_start_;
  absl::Duration last_duration_;
  uint64_t last_accounts_ = 0;
  std::optional<absl::Time> next_start_;
  std::function<void(const std::vector<evm::Address>&)> on_read_;
  std::function<bool()> leading_ = [] { return true; };
  std::thread thread_;
};

}  // namespace chainsync::oracle
