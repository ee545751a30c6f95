#include "services/oracle/monitor_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/oracle/sql_values.h"

namespace chainsync::oracle {
namespace {

// Accounts (u) with their monitored addresses, one row per account: its
// address (hex) and its addresses joined by spaces. Each account's
// addresses are looked up by index, whatever the planner's statistics say.
// An account whose addresses were all removed is read too, as holding
// nothing: its rBTC has no Bitcoin behind it any more.
constexpr char kAccountsWithAddresses[] =
    "SELECT encode(u.address, 'hex'), coalesce(a.addresses, '') FROM %s u "
    "CROSS JOIN LATERAL (SELECT string_agg(b.bitcoin_address, ' ' ORDER BY "
    "b.registered_seq) AS addresses FROM oracle.bitcoin_addresses b WHERE "
    "b.user_address = u.address AND b.monitored) a ORDER BY u.address";

absl::StatusOr<std::vector<MonitoredAccount>> AccountsFromRows(
    const PgResult& rows) {
  std::vector<MonitoredAccount> accounts;
  for (int row = 0; row < rows.rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows.Get(row, 0));
    if (!account.ok()) return account.status();
    MonitoredAccount& monitored = accounts.emplace_back();
    monitored.account = *account;
    for (absl::string_view text :
         absl::StrSplit(rows.Get(row, 1), ' ', absl::SkipEmpty())) {
      // Stored after a parse, so they parse again.
      absl::StatusOr<bitcoin::Address> address = bitcoin::Address::Parse(text);
      if (!address.ok()) return address.status();
      monitored.addresses.push_back(*std::move(address));
    }
  }
  return accounts;
}

int64_t Millis(absl::Duration duration) {
  return absl::ToInt64Milliseconds(duration);
}

}  // namespace

absl::StatusOr<std::vector<MonitoredAccount>> MonitorStore::EnabledAccounts(
    const std::optional<evm::Address>& after, int limit) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrFormat(kAccountsWithAddresses,
                      "(SELECT address FROM oracle.users WHERE sync_enabled "
                      "AND address > $1::bytea ORDER BY address LIMIT $2)"),
      PgParams()
          .Add(after.has_value() ? Bytea(*after) : std::string("\\x"))
          .Add(limit));
  if (!rows.ok()) return rows.status();
  return AccountsFromRows(*rows);
}

absl::StatusOr<MonitoredAccount> MonitorStore::Account(
    const evm::Address& account) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrFormat(kAccountsWithAddresses,
                      "(SELECT address FROM oracle.users WHERE address = "
                      "$1::bytea)"),
      PgParams().Add(Bytea(account)));
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<MonitoredAccount>> accounts =
      AccountsFromRows(*rows);
  if (!accounts.ok()) return accounts.status();
  if (accounts->empty()) {
    return absl::NotFoundError(
        absl::StrCat("account ", account.ToChecksumHex(),
                     " has registered no Bitcoin address with the oracle"));
  }
  return std::move(accounts->front());
}

absl::Status MonitorStore::SaveReadings(
    const std::vector<std::pair<evm::Address, bitcoin::AccountReading>>&
        readings) {
  // Arrays, one element per address and per account, so that a batch is
  // two statements whatever its size.
  std::vector<std::string> addresses, confirmed, pending, errors;
  std::vector<std::string> accounts, totals, account_pending, tips, stale;
  for (const auto& [account, reading] : readings) {
    accounts.push_back(account.ToLowerHex().substr(2));
    totals.push_back(absl::StrCat(reading.confirmed_sats.value_or(-1)));
    account_pending.push_back(absl::StrCat(reading.pending_sats));
    tips.push_back(absl::StrCat(reading.tip));
    stale.push_back(reading.stale_reason.substr(0, 500));
    for (const bitcoin::AddressReading& address : reading.addresses) {
      addresses.push_back(address.bitcoin_address);
      confirmed.push_back(absl::StrCat(
          address.balance.has_value() ? address.balance->confirmed_sats : -1));
      pending.push_back(absl::StrCat(
          address.balance.has_value() ? address.balance->pending_sats : -1));
      errors.push_back(address.error.substr(0, 500));
    }
  }
  return pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> updated = connection.Exec(
        "UPDATE oracle.bitcoin_addresses b SET confirmed_sats = "
        "nullif(r.confirmed, -1), pending_sats = nullif(r.pending, -1), "
        "check_error = nullif(r.error, '') FROM unnest($1::text[], "
        "$2::bigint[], $3::bigint[], $4::text[]) AS r(address, confirmed, "
        "pending, error) WHERE b.bitcoin_address = r.address AND "
        "(b.confirmed_sats, b.pending_sats, b.check_error) IS DISTINCT FROM "
        "(nullif(r.confirmed, -1), nullif(r.pending, -1), nullif(r.error, "
        "''))",
        PgParams()
            .AddArray(addresses)
            .AddArray(confirmed)
            .AddArray(pending)
            .AddArray(errors));
    if (!updated.ok()) return updated.status();
    updated = connection.Exec(
        "UPDATE oracle.users u SET bitcoin_sats = CASE WHEN r.stale = '' THEN "
        "r.total ELSE u.bitcoin_sats END, pending_sats = r.pending, "
        "checked_at = now(), checked_tip = r.tip, stale_reason = "
        "nullif(r.stale, ''), stale_since = CASE WHEN r.stale = '' THEN NULL "
        "ELSE coalesce(u.stale_since, now()) END, consecutive_failures = CASE "
        "WHEN r.stale = '' THEN 0 ELSE u.consecutive_failures + 1 END FROM "
        "unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], "
        "$5::text[]) AS r(account, total, pending, tip, stale) WHERE "
        "u.address = decode(r.account, 'hex')",
        PgParams()
            .AddArray(accounts)
            .AddArray(totals)
            .AddArray(account_pending)
            .AddArray(tips)
            .AddArray(stale));
    return updated.status();
  });
}

absl::StatusOr<AccountState> MonitorStore::State(const evm::Address& account) {
  absl::StatusOr<absl::flat_hash_map<evm::Address, AccountState>> states =
      States({account});
  if (!states.ok()) return states.status();
  const auto found = states->find(account);
  if (found == states->end()) {
    return absl::NotFoundError(
        absl::StrCat("account ", account.ToChecksumHex(),
                     " has registered no Bitcoin address with the oracle"));
  }
  return found->second;
}

absl::StatusOr<absl::flat_hash_map<evm::Address, AccountState>>
MonitorStore::States(const std::vector<evm::Address>& accounts) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT encode(u.address, 'hex'), u.sync_enabled, (SELECT count(*) "
      "FROM oracle.bitcoin_addresses b WHERE b.user_address = u.address), "
      "u.bitcoin_sats, coalesce(u.pending_sats, 0), (extract(epoch FROM "
      "u.checked_at) * 1000000)::bigint, coalesce(u.stale_reason, ''), "
      "u.consecutive_failures, u.checked_tip FROM oracle.users u WHERE "
      "u.address IN (SELECT decode(a, 'hex') FROM unnest($1::text[]) AS a)",
      PgParams().AddArray(HexOf(accounts)));
  if (!rows.ok()) return rows.status();
  absl::flat_hash_map<evm::Address, AccountState> states;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 0));
    if (!account.ok()) return account.status();
    AccountState& state = states[*account];
    state.enabled = rows->Get(row, 1) == "t";
    state.address_count = static_cast<uint32_t>(*rows->GetInt64(row, 2));
    if (!rows->IsNull(row, 3)) state.bitcoin_sats = *rows->GetInt64(row, 3);
    state.pending_sats = *rows->GetInt64(row, 4);
    if (!rows->IsNull(row, 5)) {
      state.checked_at = absl::FromUnixMicros(*rows->GetInt64(row, 5));
    }
    state.stale_reason = std::string(rows->Get(row, 6));
    state.consecutive_failures = static_cast<uint32_t>(*rows->GetInt64(row, 7));
    if (!rows->IsNull(row, 8)) {
      state.checked_tip = static_cast<uint64_t>(*rows->GetInt64(row, 8));
    }
  }
  return states;
}

absl::StatusOr<std::vector<evm::Address>> MonitorStore::Accounts(
    const std::optional<evm::Address>& after, int limit) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT encode(address, 'hex') FROM oracle.users WHERE address > "
      "$1::bytea ORDER BY address LIMIT $2",
      PgParams()
          .Add(after.has_value() ? Bytea(*after) : std::string("\\x"))
          .Add(limit));
  if (!rows.ok()) return rows.status();
  std::vector<evm::Address> accounts;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 0));
    if (!account.ok()) return account.status();
    accounts.push_back(*account);
  }
  return accounts;
}

absl::Status MonitorStore::SetEnabled(const evm::Address& account,
                                      bool enabled) {
  absl::StatusOr<PgResult> updated = pool_.Exec(
      "UPDATE oracle.users SET sync_enabled = $2 WHERE address = "
      "$1::bytea",
      PgParams().Add(Bytea(account)).Add(enabled));
  if (!updated.ok()) return updated.status();
  if (updated->affected_rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("account ", account.ToChecksumHex(),
                     " has registered no Bitcoin address with the oracle"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AccountCounts> MonitorStore::Counts() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT count(*), count(*) FILTER (WHERE sync_enabled), count(*) "
      "FILTER (WHERE stale_reason IS NOT NULL), (SELECT count(*) FROM "
      "oracle.bitcoin_addresses WHERE monitored) FROM oracle.users");
  if (!rows.ok()) return rows.status();
  return AccountCounts{
      .total = static_cast<uint64_t>(*rows->GetInt64(0, 0)),
      .enabled = static_cast<uint64_t>(*rows->GetInt64(0, 1)),
      .stale = static_cast<uint64_t>(*rows->GetInt64(0, 2)),
      .addresses_monitored = static_cast<uint64_t>(*rows->GetInt64(0, 3))};
}

absl::StatusOr<SweepSettings> MonitorStore::LoadSettings() {
  const SweepSettings defaults;
  absl::StatusOr<PgResult> inserted = pool_.Exec(
      "INSERT INTO oracle.sweep_config (running, interval_ms, "
      "max_concurrent_users, batch_size, retry_attempts, "
      "retry_delay_ms, "
      "batch_pause_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT "
      "DO "
      "NOTHING",
      PgParams()
          .Add(defaults.running)
          .Add(Millis(defaults.interval))
          .Add(defaults.max_concurrent_users)
          .Add(defaults.batch_size)
          .Add(defaults.retry_attempts)
          .Add(Millis(defaults.retry_delay))
          .Add(Millis(defaults.batch_pause)));
  if (!inserted.ok()) return inserted.status();
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT running, interval_ms, max_concurrent_users, batch_size, "
      "retry_attempts, retry_delay_ms, batch_pause_ms FROM "
      "oracle.sweep_config");
  if (!rows.ok()) return rows.status();
  return SweepSettings{
      .running = rows->Get(0, 0) == "t",
      .interval = absl::Milliseconds(*rows->GetInt64(0, 1)),
      .max_concurrent_users = static_cast<int>(*rows->GetInt64(0, 2)),
      .batch_size = static_cast<int>(*rows->GetInt64(0, 3)),
      .retry_attempts = static_cast<int>(*rows->GetInt64(0, 4)),
      .retry_delay = absl::Milliseconds(*rows->GetInt64(0, 5)),
      .batch_pause = absl::Milliseconds(*rows->GetInt64(0, 6))};
}

absl::Status MonitorStore::SaveSettings(const SweepSettings& settings) {
  return pool_
      .Exec(
          "UPDATE oracle.sweep_config SET running = $1, interval_ms = $2, "
          "max_concurrent_users = $3, batch_size = $4, retry_attempts = $5, "
          "retry_delay_ms = $6, batch_pause_ms = $7, updated_at = now()",
          PgParams()
              .Add(settings.running)
              .Add(Millis(settings.interval))
              .Add(settings.max_concurrent_users)
              .Add(settings.batch_size)
              .Add(settings.retry_attempts)
              .Add(Millis(settings.retry_delay))
              .Add(Millis(settings.batch_pause)))
      .status();
}

}  // namespace chainsync::oracle
