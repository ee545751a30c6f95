#pragma once

// MonitorStore keeps what the oracle learns of its accounts' Bitcoin
// balances, the per-account sync switch and the sweep's configuration, in
// the oracle's schema.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bitcoin/account_reader.h"
#include "libs/bitcoin/address.h"
#include "libs/common/postgres/pool.h"
#include "libs/evm/address.h"

namespace chainsync::oracle {

// SweepSettings configure the background sweep (see SweepConfig in the
// proto, whose defaults these are).
struct SweepSettings {
  bool running = true;
  absl::Duration interval = absl::Seconds(60);
  int max_concurrent_users = 10;
  int batch_size = 3;
  int retry_attempts = 3;
  absl::Duration retry_delay = absl::Seconds(5);
  absl::Duration batch_pause = absl::Seconds(1);
};

// MonitoredAccount is an account with the addresses to read for it.
struct MonitoredAccount {
  evm::Address account;
  std::vector<bitcoin::Address> addresses;
};

// AccountState is what is stored of an account's syncing.
struct AccountState {
  bool enabled = true;
  uint32_t address_count = 0;
  // The last whole confirmed total; absent before the first.
  std::optional<int64_t> bitcoin_sats;
  int64_t pending_sats = 0;
  std::optional<absl::Time> checked_at;
  // The Bitcoin block the last reading was made at.
  std::optional<uint64_t> checked_tip;
  std::string stale_reason;
  uint32_t consecutive_failures = 0;
};

// AccountCounts count the accounts for the sweep's statistics.
struct AccountCounts {
  uint64_t total = 0;
  uint64_t enabled = 0;
  uint64_t stale = 0;
  uint64_t addresses_monitored = 0;
};

class MonitorStore {
 public:
  explicit MonitorStore(PgPool& pool) : pool_(pool) {}

  // EnabledAccounts returns up to `limit` accounts with syncing on, after
  // `after` in address order, each with its monitored addresses (none when
  // all were removed).
  absl::StatusOr<std::vector<MonitoredAccount>> EnabledAccounts(
      const std::optional<evm::Address>& after, int limit);
  // Account returns one account's addresses; NOT_FOUND for an account the
  // oracle does not know.
  absl::StatusOr<MonitoredAccount> Account(const evm::Address& account);

  // SaveReadings stores a batch of readings in one transaction: each
  // address's balance or error, and each account's total — or, when the
  // reading is stale, the last total kept and the reason.
  absl::Status SaveReadings(
      const std::vector<std::pair<evm::Address, bitcoin::AccountReading>>&
          readings);

  // State is an account's state; NOT_FOUND for an account the oracle does
  // not know. States reads many at once, leaving out the unknown ones.
  absl::StatusOr<AccountState> State(const evm::Address& account);
  absl::StatusOr<absl::flat_hash_map<evm::Address, AccountState>> States(
      const std::vector<evm::Address>& accounts);
  // Accounts returns up to `limit` accounts after `after`, in address
  // order.
  absl::StatusOr<std::vector<evm::Address>> Accounts(
      const std::optional<evm::Address>& after, int limit);
  // SetEnabled switches an account's syncing; NOT_FOUND for an unknown one.
  absl::Status SetEnabled(const evm::Address& account, bool enabled);
  absl::StatusOr<AccountCounts> Counts();

  // LoadSettings returns the stored settings, storing the defaults first
  // when there are none.
  absl::StatusOr<SweepSettings> LoadSettings();
  absl::Status SaveSettings(const SweepSettings& settings);

 private:
  PgPool& pool_;
};

}  // namespace chainsync::oracle
