#include "services/oracle/operation_store.h"

#include <limits>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/oracle/sql_values.h"

namespace chainsync::oracle {
namespace {

constexpr OperationState kStates[] = {
    OperationState::kPlanned, OperationState::kBroadcast,
    OperationState::kMined,   OperationState::kConfirmed,
    OperationState::kFailed,  OperationState::kReplaced};

absl::StatusOr<OperationState> StateNamed(absl::string_view name) {
  for (const OperationState state : kStates) {
    if (StateName(state) == name) return state;
  }
  return absl::DataLossError(absl::StrCat("unknown operation state ", name));
}

std::string HexBytes(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

evm::Bytes FromHex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  return evm::Bytes(bytes.begin(), bytes.end());
}

}  // namespace

absl::string_view StateName(OperationState state) {
  switch (state) {
    case OperationState::kPlanned:
      return "planned";
    case OperationState::kBroadcast:
      return "broadcast";
    case OperationState::kMined:
      return "mined";
    case OperationState::kConfirmed:
      return "confirmed";
    case OperationState::kFailed:
      return "failed";
    case OperationState::kReplaced:
      return "replaced";
  }
  return "planned";
}

absl::StatusOr<int64_t> OperationStore::Journal(
    const JournaledOperation& operation, std::optional<int64_t> request) {
  const TrackedOperation& tracked = operation.tracked;
  std::vector<std::string> accounts, previous, updated, fees;
  for (const OperationItem& item : operation.items) {
    accounts.push_back(item.account.ToLowerHex().substr(2));
    previous.push_back(evm::ToDecimal(item.previous_sats));
    updated.push_back(evm::ToDecimal(item.new_sats));
    fees.push_back(evm::ToDecimal(item.fee_wei));
  }
  int64_t id = 0;
  absl::Status status =
      pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
        PgParams params;
        params
            .Add(operation.kind == OperationKind::kSync ? "sync"
                                                        : "emergency_burn")
            .Add(tracked.nonce)
            .Add(absl::StrCat("\\x", HexBytes(tracked.tx_hash)))
            .Add(absl::StrCat("\\x", HexBytes(operation.raw_tx)))
            .Add(evm::ToDecimal(tracked.max_fee_per_gas))
            .Add(evm::ToDecimal(tracked.max_priority_fee_per_gas));
        if (tracked.replaces.has_value()) {
          params.Add(*tracked.replaces);
        } else {
          params.AddNull();
        }
        params.Add(operation.burn_reason);
        absl::StatusOr<PgResult> inserted = connection.Exec(
            "INSERT INTO oracle.operations (kind, state, nonce, tx_hash, "
            "raw_tx, max_fee_per_gas, max_priority_fee_per_gas, replaces, "
            "burn_reason) VALUES ($1, 'planned', $2, $3::bytea, $4::bytea, "
            "$5, $6, $7, nullif($8, '')) RETURNING id",
            params);
        if (!inserted.ok()) return inserted.status();
        id = *inserted->GetInt64(0, 0);
        absl::StatusOr<PgResult> items = connection.Exec(
            "INSERT INTO oracle.operation_items (operation_id, user_address, "
            "previous_sats, new_sats, fee_wei) SELECT $1, decode(a, 'hex'), "
            "p::numeric, n::numeric, f::numeric FROM unnest($2::text[], "
            "$3::text[], $4::text[], $5::text[]) AS i(a, p, n, f)",
            PgParams()
                .Add(id)
                .AddArray(accounts)
                .AddArray(previous)
                .AddArray(updated)
                .AddArray(fees));
        if (!items.ok() || !request.has_value()) return items.status();
        absl::StatusOr<PgResult> linked = connection.Exec(
            "UPDATE oracle.burn_requests SET operation_id = $2 WHERE id = $1 "
            "AND operation_id IS NULL",
            PgParams().Add(*request).Add(id));
        if (!linked.ok()) return linked.status();
        if (linked->affected_rows() != 1) {
          return absl::AbortedError("the burn request was journaled already");
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return id;
}

absl::StatusOr<std::vector<JournaledOperation>> OperationStore::Open() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT id, kind, state, nonce, encode(tx_hash, 'hex'), "
      "encode(raw_tx, 'hex'), max_fee_per_gas::text, "
      "max_priority_fee_per_gas::text, replaces, (extract(epoch FROM "
      "broadcast_at) * 1000000)::bigint, coalesce(burn_reason, '') FROM "
      "oracle.operations WHERE state "
      "IN ('planned', 'broadcast', 'mined') ORDER BY nonce, id");
  if (!rows.ok()) return rows.status();
  std::vector<JournaledOperation> operations;
  std::map<int64_t, size_t> index;
  for (int row = 0; row < rows->rows(); ++row) {
    JournaledOperation& operation = operations.emplace_back();
    TrackedOperation& tracked = operation.tracked;
    tracked.id = *rows->GetInt64(row, 0);
    index[tracked.id] = operations.size() - 1;
    operation.kind = rows->Get(row, 1) == "sync"
                         ? OperationKind::kSync
                         : OperationKind::kEmergencyBurn;
    absl::StatusOr<OperationState> state = StateNamed(rows->Get(row, 2));
    if (!state.ok()) return state.status();
    tracked.state = *state;
    tracked.nonce = static_cast<uint64_t>(*rows->GetInt64(row, 3));
    const evm::Bytes hash = FromHex(rows->Get(row, 4));
    std::copy(hash.begin(), hash.end(), tracked.tx_hash.begin());
    operation.raw_tx = FromHex(rows->Get(row, 5));
    tracked.max_fee_per_gas = *evm::ParseUint256(rows->Get(row, 6), "fee");
    tracked.max_priority_fee_per_gas =
        *evm::ParseUint256(rows->Get(row, 7), "tip");
    if (!rows->IsNull(row, 8)) tracked.replaces = *rows->GetInt64(row, 8);
    if (!rows->IsNull(row, 9)) {
      tracked.broadcast_at = absl::FromUnixMicros(*rows->GetInt64(row, 9));
    }
    operation.burn_reason = std::string(rows->Get(row, 10));
  }
  if (operations.empty()) return operations;
  std::vector<std::string> ids;
  for (const auto& [id, position] : index) ids.push_back(absl::StrCat(id));
  absl::StatusOr<PgResult> items = pool_.Exec(
      "SELECT operation_id, encode(user_address, 'hex'), previous_sats::text, "
      "new_sats::text, fee_wei::text FROM oracle.operation_items WHERE "
      "operation_id = ANY($1::bigint[]) ORDER BY id",
      PgParams().AddArray(ids));
  if (!items.ok()) return items.status();
  for (int row = 0; row < items->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(items->Get(row, 1));
    if (!account.ok()) return account.status();
    operations[index.at(*items->GetInt64(row, 0))].items.push_back(
        {.account = *account,
         .previous_sats = *evm::ParseUint256(items->Get(row, 2), "previous"),
         .new_sats = *evm::ParseUint256(items->Get(row, 3), "new"),
         .fee_wei = *evm::ParseUint256(items->Get(row, 4), "fee")});
  }
  return operations;
}

absl::Status OperationStore::Apply(const Action& action) {
  PgParams params;
  params.Add(action.id).Add(StateName(action.state));
  if (action.receipt.has_value()) {
    params.Add(action.receipt->block_number)
        .Add(absl::StrCat("\\x", HexBytes(action.receipt->block_hash)));
  } else {
    params.AddNull().AddNull();
  }
  const bool failed = action.state == OperationState::kFailed;
  params.Add(failed ? "" : action.reason).Add(failed ? action.reason : "");
  return pool_
      .Exec(
          "UPDATE oracle.operations SET state = $2, block_number = "
          "coalesce($3::bigint, block_number), block_hash = "
          "coalesce($4::bytea, block_hash), reason = coalesce(nullif($5, ''), "
          "reason), error = nullif($6, ''), updated_at = now() WHERE id = $1",
          params)
      .status();
}

absl::Status OperationStore::MarkBroadcast(int64_t id) {
  return pool_
      .Exec(
          "UPDATE oracle.operations SET state = 'broadcast', broadcast_at = "
          "now(), updated_at = now() WHERE id = $1 AND state IN ('planned', "
          "'broadcast')",
          PgParams().Add(id))
      .status();
}

absl::StatusOr<std::vector<std::pair<evm::Address, int64_t>>>
OperationStore::Candidates(const std::vector<evm::Address>& accounts) {
  std::vector<std::string> hex;
  for (const evm::Address& account : accounts) {
    hex.push_back(account.ToLowerHex().substr(2));
  }
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT encode(u.address, 'hex'), u.bitcoin_sats FROM oracle.users u "
      "JOIN unnest($1::text[]) AS a(hex) ON u.address = decode(a.hex, 'hex') "
      "WHERE u.sync_enabled AND u.stale_reason IS NULL AND u.bitcoin_sats IS "
      "NOT NULL AND NOT EXISTS (SELECT 1 FROM oracle.operation_items i JOIN "
      "oracle.operations o ON o.id = i.operation_id WHERE i.user_address = "
      "u.address AND o.state IN ('planned', 'broadcast')) ORDER BY "
      "u.address",
      PgParams().AddArray(hex));
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<evm::Address, int64_t>> candidates;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 0));
    if (!account.ok()) return account.status();
    candidates.emplace_back(*account, *rows->GetInt64(row, 1));
  }
  return candidates;
}

absl::Status OperationStore::QueueRequests(
    const std::vector<evm::Address>& accounts) {
  std::vector<std::string> hex;
  for (const evm::Address& account : accounts) {
    hex.push_back(account.ToLowerHex().substr(2));
  }
  return pool_
      .Exec(
          "INSERT INTO oracle.sync_requests (account) SELECT decode(a, "
          "'hex') FROM unnest($1::text[]) AS a ON CONFLICT DO NOTHING",
          PgParams().AddArray(hex))
      .status();
}

namespace {

absl::StatusOr<std::vector<evm::Address>> AccountsOf(
    absl::StatusOr<PgResult> rows) {
  if (!rows.ok()) return rows.status();
  std::vector<evm::Address> accounts;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 0));
    if (!account.ok()) return account.status();
    accounts.push_back(*account);
  }
  return accounts;
}

}  // namespace

absl::StatusOr<std::vector<evm::Address>> OperationStore::TakeRequests() {
  return AccountsOf(pool_.Exec(
      "DELETE FROM oracle.sync_requests RETURNING encode(account, 'hex')"));
}

absl::StatusOr<std::vector<evm::Address>> OperationStore::ReadAccounts() {
  return AccountsOf(
      pool_.Exec("SELECT encode(address, 'hex') FROM oracle.users WHERE "
                 "bitcoin_sats IS NOT NULL"));
}

namespace {

// The columns RecordFromRow reads, in its order, of operation_items i
// joined with operations o.
constexpr char kRecordColumns[] =
    "o.id, i.id, o.kind, o.state, encode(i.user_address, 'hex'), "
    "i.previous_sats::text, i.new_sats::text, i.fee_wei::text, o.nonce, "
    "encode(o.tx_hash, 'hex'), coalesce(o.block_number, 0), "
    "coalesce(o.reason, ''), coalesce(o.error, ''), (extract(epoch FROM "
    "o.created_at) * 1000000)::bigint, (extract(epoch FROM o.updated_at) * "
    "1000000)::bigint FROM oracle.operation_items i JOIN oracle.operations o "
    "ON o.id = i.operation_id ";

absl::StatusOr<OperationRecord> RecordFromRow(const PgResult& rows, int row) {
  OperationRecord record;
  record.operation_id = *rows.GetInt64(row, 0);
  record.item_id = *rows.GetInt64(row, 1);
  record.kind = rows.Get(row, 2) == "sync" ? OperationKind::kSync
                                           : OperationKind::kEmergencyBurn;
  absl::StatusOr<OperationState> state = StateNamed(rows.Get(row, 3));
  if (!state.ok()) return state.status();
  record.state = *state;
  absl::StatusOr<evm::Address> account = AccountFromHex(rows.Get(row, 4));
  if (!account.ok()) return account.status();
  record.item = {.account = *account,
                 .previous_sats = *evm::ParseUint256(rows.Get(row, 5), "p"),
                 .new_sats = *evm::ParseUint256(rows.Get(row, 6), "n"),
                 .fee_wei = *evm::ParseUint256(rows.Get(row, 7), "f")};
  record.nonce = static_cast<uint64_t>(*rows.GetInt64(row, 8));
  const evm::Bytes hash = FromHex(rows.Get(row, 9));
  std::copy(hash.begin(), hash.end(), record.tx_hash.begin());
  record.block_number = static_cast<uint64_t>(*rows.GetInt64(row, 10));
  record.reason = std::string(rows.Get(row, 11));
  record.error = std::string(rows.Get(row, 12));
  record.created_at = absl::FromUnixMicros(*rows.GetInt64(row, 13));
  record.updated_at = absl::FromUnixMicros(*rows.GetInt64(row, 14));
  return record;
}

absl::StatusOr<std::vector<OperationRecord>> RecordsFromRows(
    const PgResult& rows) {
  std::vector<OperationRecord> records;
  for (int row = 0; row < rows.rows(); ++row) {
    absl::StatusOr<OperationRecord> record = RecordFromRow(rows, row);
    if (!record.ok()) return record.status();
    records.push_back(*std::move(record));
  }
  return records;
}

}  // namespace

absl::StatusOr<std::vector<OperationRecord>> OperationStore::List(
    const OperationFilter& filter) {
  std::vector<std::string> states;
  for (const OperationState state : filter.states) {
    states.emplace_back(StateName(state));
  }
  PgParams params;
  params
      .Add(filter.account.has_value() ? filter.account->ToLowerHex().substr(2)
                                      : std::string())
      .AddArray(states)
      .Add(filter.before.has_value() ? filter.before->first
                                     : std::numeric_limits<int64_t>::max())
      .Add(filter.before.has_value() ? filter.before->second
                                     : std::numeric_limits<int64_t>::max())
      .Add(filter.limit);
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat("SELECT ", kRecordColumns,
                   "WHERE ($1 = '' OR i.user_address = decode($1, 'hex')) "
                   "AND (cardinality($2::text[]) = 0 OR o.state = "
                   "ANY($2::text[])) AND (i.operation_id, i.id) < ($3, $4) "
                   "AND ($6 = 0 OR i.operation_id = $6) ORDER BY "
                   "i.operation_id DESC, i.id DESC LIMIT $5"),
      params.Add(filter.operation.value_or(0)));
  if (!rows.ok()) return rows.status();
  return RecordsFromRows(*rows);
}

absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>>
OperationStore::LastMirrored(const std::vector<evm::Address>& accounts) {
  return Newest(accounts,
                "o.kind = 'sync' AND o.state IN ('mined', 'confirmed')",
                "o.nonce");
}

absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>>
OperationStore::Pending(const std::vector<evm::Address>& accounts) {
  return Newest(accounts, "o.state IN ('planned', 'broadcast')", "o.id");
}

absl::StatusOr<absl::flat_hash_map<evm::Address, OperationRecord>>
OperationStore::Newest(const std::vector<evm::Address>& accounts,
                       absl::string_view condition, absl::string_view order) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat("SELECT DISTINCT ON (i.user_address) ", kRecordColumns,
                   "WHERE i.user_address IN (SELECT decode(a, 'hex') FROM "
                   "unnest($1::text[]) AS a) AND ",
                   condition, " ORDER BY i.user_address, ", order, " DESC"),
      PgParams().AddArray(HexOf(accounts)));
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<OperationRecord>> records = RecordsFromRows(*rows);
  if (!records.ok()) return records.status();
  absl::flat_hash_map<evm::Address, OperationRecord> newest;
  for (OperationRecord& record : *records) {
    newest.emplace(record.item.account, std::move(record));
  }
  return newest;
}

absl::StatusOr<int64_t> OperationStore::RequestBurn(const evm::Address& account,
                                                    absl::string_view reason) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "INSERT INTO oracle.burn_requests (user_address, reason) VALUES "
      "($1::bytea, $2) RETURNING id",
      PgParams().Add(Bytea(account)).Add(reason));
  if (!rows.ok()) return rows.status();
  return *rows->GetInt64(0, 0);
}

absl::StatusOr<std::vector<BurnRequest>> OperationStore::OpenBurnRequests() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT id, encode(user_address, 'hex'), reason FROM "
      "oracle.burn_requests WHERE operation_id IS NULL ORDER BY id LIMIT "
      "100");
  if (!rows.ok()) return rows.status();
  std::vector<BurnRequest> requests;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<evm::Address> account = AccountFromHex(rows->Get(row, 1));
    if (!account.ok()) return account.status();
    requests.push_back({.id = *rows->GetInt64(row, 0),
                        .account = *account,
                        .reason = std::string(rows->Get(row, 2))});
  }
  return requests;
}

absl::StatusOr<std::optional<int64_t>> OperationStore::BurnOperation(
    int64_t request) {
  absl::StatusOr<PgResult> rows =
      pool_.Exec("SELECT operation_id FROM oracle.burn_requests WHERE id = $1",
                 PgParams().Add(request));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0 || rows->IsNull(0, 0)) return std::nullopt;
  return *rows->GetInt64(0, 0);
}

absl::Status OperationStore::RecordBurned(
    int64_t operation,
    const std::vector<std::pair<evm::Address, evm::Uint256>>& burned) {
  std::vector<std::string> accounts, amounts;
  for (const auto& [account, amount] : burned) {
    accounts.push_back(account.ToLowerHex().substr(2));
    amounts.push_back(evm::ToDecimal(amount));
  }
  return pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> recorded = connection.Exec(
        "UPDATE oracle.operation_items i SET burned_sats = b.amount::numeric "
        "FROM unnest($2::text[], $3::text[]) AS b(account, amount) WHERE "
        "i.operation_id = $1 AND i.user_address = decode(b.account, 'hex')",
        PgParams().Add(operation).AddArray(accounts).AddArray(amounts));
    if (!recorded.ok()) return recorded.status();
    // A burned account is synced no more until it is started again: the
    // next sync would mint back what was burned, or burn again for a fee it
    // still cannot pay.
    return connection
        .Exec(
            "UPDATE oracle.users SET sync_enabled = false WHERE address IN "
            "(SELECT decode(a, 'hex') FROM unnest($1::text[]) AS a)",
            PgParams().AddArray(accounts))
        .status();
  });
}

absl::StatusOr<BurnStats> OperationStore::Burns() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT count(*) FILTER (WHERE o.state = 'confirmed' AND i.burned_sats "
      "IS NOT NULL), count(*) FILTER (WHERE o.kind = 'emergency_burn' AND "
      "o.state IN ('planned', 'broadcast', 'mined')), coalesce(sum("
      "i.burned_sats) FILTER (WHERE o.state = 'confirmed'), 0)::text, "
      "count(DISTINCT i.user_address) FILTER (WHERE i.burned_sats IS NOT "
      "NULL), (extract(epoch FROM max(o.updated_at) FILTER (WHERE "
      "i.burned_sats IS NOT NULL OR o.kind = 'emergency_burn')) * "
      "1000000)::bigint FROM oracle.operation_items i JOIN oracle.operations "
      "o ON o.id = i.operation_id WHERE o.state NOT IN ('failed', "
      "'replaced')");
  if (!rows.ok()) return rows.status();
  BurnStats stats{.confirmed = static_cast<uint64_t>(*rows->GetInt64(0, 0)),
                  .pending = static_cast<uint64_t>(*rows->GetInt64(0, 1)),
                  .burned_sats = *evm::ParseUint256(rows->Get(0, 2), "burned"),
                  .accounts = static_cast<uint64_t>(*rows->GetInt64(0, 3))};
  if (!rows->IsNull(0, 4)) {
    stats.last = absl::FromUnixMicros(*rows->GetInt64(0, 4));
  }
  return stats;
}

absl::StatusOr<std::optional<uint64_t>> OperationStore::HighestNonce() {
  absl::StatusOr<PgResult> rows =
      pool_.Exec("SELECT max(nonce) FROM oracle.operations");
  if (!rows.ok()) return rows.status();
  if (rows->IsNull(0, 0)) return std::nullopt;
  return static_cast<uint64_t>(*rows->GetInt64(0, 0));
}

}  // namespace chainsync::oracle
