#include "services/reconciler/dispute_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/postgres/time_sql.h"

namespace chainsync::reconciler {
namespace {

// The columns a dispute is read with, in Parse's order.
const std::string& Columns() {
  static const std::string columns = absl::StrCat(
      "dispute_id::text, encode(address, 'hex'), status, "
      "claimed_balance_sats::text, coalesce(recorded_balance_sats, 0)::text, "
      "verified_balance_sats::text, bitcoin_tip_height, reason, "
      "coalesce(bitcoin_address, ''), coalesce(resolution, ''), "
      "operation_id, coalesce(encode(resolution_tx_hash, 'hex'), ''), "
      "attempts, coalesce(last_error, ''), ",
      MicrosOf("sync_requested_at"), ", ", MicrosOf("created_at"), ", ",
      MicrosOf("updated_at"), ", ", MicrosOf("resolved_at"));
  return columns;
}

std::optional<int64_t> OptionalInt(const PgResult& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  return rows.GetInt64(row, column).value_or(0);
}

std::optional<absl::Time> OptionalTime(const PgResult& rows, int row,
                                       int column) {
  const std::optional<int64_t> micros = OptionalInt(rows, row, column);
  if (!micros.has_value()) return std::nullopt;
  return absl::FromUnixMicros(*micros);
}

absl::StatusOr<StoredDispute> Parse(const PgResult& rows, int row) {
  StoredDispute dispute;
  dispute.id = std::string(rows.Get(row, 0));
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(absl::StrCat("0x", rows.Get(row, 1)));
  if (!account.ok()) return account.status();
  dispute.account = *account;
  dispute.status = std::string(rows.Get(row, 2));
  if (!absl::SimpleAtoi(rows.Get(row, 3), &dispute.claimed_sats) ||
      !absl::SimpleAtoi(rows.Get(row, 4), &dispute.recorded_sats)) {
    return absl::DataLossError(
        absl::StrCat("dispute ", dispute.id, " holds a balance out of range"));
  }
  if (!rows.IsNull(row, 5)) {
    int64_t verified = 0;
    if (!absl::SimpleAtoi(rows.Get(row, 5), &verified)) {
      return absl::DataLossError(absl::StrCat(
          "dispute ", dispute.id, " holds a verified balance out of range"));
    }
    dispute.verified_sats = verified;
  }
  if (const std::optional<int64_t> tip = OptionalInt(rows, row, 6)) {
    dispute.bitcoin_tip = static_cast<uint64_t>(*tip);
  }
  dispute.reason = std::string(rows.Get(row, 7));
  dispute.bitcoin_address = std::string(rows.Get(row, 8));
  dispute.resolution = std::string(rows.Get(row, 9));
  dispute.operation_id = OptionalInt(rows, row, 10);
  if (!rows.Get(row, 11).empty()) {
    dispute.transaction_hash = absl::StrCat("0x", rows.Get(row, 11));
  }
  dispute.attempts = static_cast<int>(rows.GetInt64(row, 12).value_or(0));
  dispute.last_error = std::string(rows.Get(row, 13));
  dispute.sync_requested_at = OptionalTime(rows, row, 14);
  dispute.created = absl::FromUnixMicros(*rows.GetInt64(row, 15));
  dispute.updated = absl::FromUnixMicros(*rows.GetInt64(row, 16));
  dispute.resolved = OptionalTime(rows, row, 17);
  return dispute;
}

std::string At(absl::Time time) {
  return absl::StrCat(kMicrosToTime, absl::ToUnixMicros(time));
}

absl::Status Transition(PgConnection& connection, const std::string& id,
                        absl::string_view status, const std::string& note,
                        absl::Time now) {
  return connection
      .Exec(absl::StrCat("INSERT INTO reconciler.dispute_transitions "
                         "(dispute_id, status, note, at) VALUES ($1::uuid, "
                         "$2, $3, ",
                         At(now), ")"),
            PgParams().Add(id).Add(status).Add(note))
      .status();
}

// Updated runs an UPDATE of one dispute that must have matched it.
absl::Status Updated(const absl::StatusOr<PgResult>& result,
                     const std::string& id) {
  if (!result.ok()) return result.status();
  if (result->affected_rows() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("dispute ", id, " is not open"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoredDispute> DisputeStore::File(const NewDispute& dispute,
                                                 absl::Time now) {
  std::string id;
  absl::Status filed = pool_.InTransaction([&](PgConnection& connection) {
    absl::StatusOr<PgResult> inserted = connection.Exec(
        absl::StrCat(
            "INSERT INTO reconciler.balance_disputes (address, "
            "claimed_balance_sats, recorded_balance_sats, reason, "
            "bitcoin_address, created_at, updated_at, next_attempt_at) "
            "VALUES (decode($1, 'hex'), $2::numeric, $3::numeric, $4, "
            "nullif($5, ''), ",
            At(now), ", ", At(now), ", ", At(now),
            ") RETURNING dispute_id::text"),
        PgParams()
            .Add(dispute.account.ToLowerHex().substr(2))
            .Add(dispute.claimed_sats)
            .Add(dispute.recorded_sats)
            .Add(dispute.reason)
            .Add(dispute.bitcoin_address));
    if (!inserted.ok()) return inserted.status();
    id = std::string(inserted->Get(0, 0));
    return Transition(
        connection, id, kFiled,
        absl::StrCat("filed, claiming ", dispute.claimed_sats, " sats against ",
                     dispute.recorded_sats, " recorded on chain"),
        now);
  });
  if (absl::IsAlreadyExists(filed)) {
    absl::StatusOr<PgResult> open = pool_.Exec(
        "SELECT dispute_id::text FROM reconciler.balance_disputes WHERE "
        "address = decode($1, 'hex') AND status IN ('filed', 'validating')",
        PgParams().Add(dispute.account.ToLowerHex().substr(2)));
    return absl::AlreadyExistsError(absl::StrCat(
        "account ", dispute.account.ToChecksumHex(), " has a dispute open",
        open.ok() && open->rows() == 1
            ? absl::StrCat(" (", open->Get(0, 0), ")")
            : "",
        "; it is answered before another can be filed"));
  }
  if (!filed.ok()) return filed;
  return Get(id);
}

absl::StatusOr<StoredDispute> DisputeStore::Get(const std::string& id) {
  absl::StatusOr<PgResult> rows =
      pool_.Exec(absl::StrCat("SELECT ", Columns(),
                              " FROM reconciler.balance_disputes WHERE "
                              "dispute_id = $1::uuid"),
                 PgParams().Add(id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no dispute ", id));
  }
  absl::StatusOr<StoredDispute> dispute = Parse(*rows, 0);
  if (!dispute.ok()) return dispute.status();
  absl::StatusOr<PgResult> history = pool_.Exec(
      absl::StrCat("SELECT status, note, ", MicrosOf("at"),
                   " FROM reconciler.dispute_transitions WHERE dispute_id = "
                   "$1::uuid ORDER BY at, ctid"),
      PgParams().Add(id));
  if (!history.ok()) return history.status();
  for (int row = 0; row < history->rows(); ++row) {
    dispute->history.push_back(
        {.status = std::string(history->Get(row, 0)),
         .note = std::string(history->Get(row, 1)),
         .at = absl::FromUnixMicros(*history->GetInt64(row, 2))});
  }
  return dispute;
}

absl::StatusOr<std::vector<StoredDispute>> DisputeStore::List(
    const DisputeFilter& filter) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      absl::StrCat(
          "SELECT ", Columns(),
          " FROM reconciler.balance_disputes WHERE ($1 = '' OR address = "
          "decode($1, 'hex')) AND (cardinality($2::text[]) = 0 OR status = "
          "ANY($2::text[])) AND ($3::bigint IS NULL OR (created_at, "
          "dispute_id::text) < (",
          kMicrosToTime,
          "$3::bigint, $4)) ORDER BY created_at DESC, dispute_id::text DESC "
          "LIMIT $5"),
      [&] {
        PgParams params;
        params
            .Add(filter.account.has_value()
                     ? filter.account->ToLowerHex().substr(2)
                     : "")
            .AddArray(filter.statuses);
        if (filter.after.has_value()) {
          params.Add(absl::ToUnixMicros(filter.after->first))
              .Add(filter.after->second);
        } else {
          params.AddNull().Add("");
        }
        return params.Add(filter.limit);
      }());
  if (!rows.ok()) return rows.status();
  std::vector<StoredDispute> disputes;
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<StoredDispute> dispute = Parse(*rows, row);
    if (!dispute.ok()) return dispute.status();
    disputes.push_back(*std::move(dispute));
  }
  return disputes;
}

absl::StatusOr<std::optional<StoredDispute>> DisputeStore::ClaimDue(
    absl::Time now, absl::Duration lease) {
  std::optional<std::string> claimed;
  absl::Status done = pool_.InTransaction([&](PgConnection& connection) {
    claimed.reset();
    absl::StatusOr<PgResult> rows = connection.Exec(absl::StrCat(
        "WITH due AS (SELECT dispute_id, status AS was FROM "
        "reconciler.balance_disputes WHERE status IN ('filed', "
        "'validating') AND next_attempt_at <= ",
        At(now), " AND (lease_until IS NULL OR lease_until <= ", At(now),
        ") ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "UPDATE reconciler.balance_disputes d SET status = 'validating', "
        "lease_until = ",
        At(now + lease), ", updated_at = CASE WHEN due.was = 'filed' THEN ",
        At(now),
        " ELSE d.updated_at END FROM due WHERE d.dispute_id = "
        "due.dispute_id RETURNING d.dispute_id::text, due.was"));
    if (!rows.ok()) return rows.status();
    if (rows->rows() == 0) return absl::OkStatus();
    claimed = std::string(rows->Get(0, 0));
    if (rows->Get(0, 1) != kFiled) return absl::OkStatus();
    return Transition(connection, *claimed, kValidating,
                      "reading the account's Bitcoin addresses and its rBTC "
                      "balance",
                      now);
  });
  if (!done.ok()) return done;
  if (!claimed.has_value()) return std::nullopt;
  absl::StatusOr<StoredDispute> dispute = Get(*claimed);
  if (!dispute.ok()) return dispute.status();
  return *std::move(dispute);
}

absl::StatusOr<std::optional<absl::Time>> DisputeStore::NextDue() {
  absl::StatusOr<PgResult> rows = pool_.Exec(absl::StrCat(
      "SELECT ", MicrosOf("min(greatest(next_attempt_at, lease_until))"),
      " FROM reconciler.balance_disputes WHERE status IN ('filed', "
      "'validating')"));
  if (!rows.ok()) return rows.status();
  return OptionalTime(*rows, 0, 0);
}

absl::Status DisputeStore::Retry(const std::string& id,
                                 const std::string& error,
                                 absl::Time next_attempt, absl::Time now) {
  return Updated(
      pool_.Exec(absl::StrCat("UPDATE reconciler.balance_disputes SET "
                              "attempts = attempts + 1, last_error = $2, "
                              "lease_until = NULL, next_attempt_at = ",
                              At(next_attempt), ", updated_at = ", At(now),
                              " WHERE dispute_id = $1::uuid AND status IN "
                              "('filed', 'validating')"),
                 PgParams().Add(id).Add(error)),
      id);
}

absl::Status DisputeStore::Judged(const std::string& id, int64_t verified_sats,
                                  uint64_t bitcoin_tip,
                                  const std::string& evidence, absl::Time now) {
  return pool_.InTransaction([&](PgConnection& connection) {
    absl::Status updated =
        Updated(connection.Exec(
                    absl::StrCat("UPDATE reconciler.balance_disputes SET "
                                 "verified_balance_sats = $2::numeric, "
                                 "bitcoin_tip_height = $3, resolution = $4, "
                                 "last_error = NULL, updated_at = ",
                                 At(now),
                                 " WHERE dispute_id = $1::uuid AND status = "
                                 "'validating'"),
                    PgParams()
                        .Add(id)
                        .Add(verified_sats)
                        .Add(bitcoin_tip)
                        .Add(evidence)),
                id);
    if (!updated.ok()) return updated;
    return Transition(connection, id, kValidating, evidence, now);
  });
}

absl::Status DisputeStore::SyncRequested(const std::string& id,
                                         absl::Time requested_at,
                                         absl::Time next_attempt) {
  return Updated(
      pool_.Exec(absl::StrCat("UPDATE reconciler.balance_disputes SET "
                              "sync_requested_at = ",
                              At(requested_at),
                              ", lease_until = NULL, "
                              "next_attempt_at = ",
                              At(next_attempt),
                              " WHERE dispute_id = $1::uuid AND status = "
                              "'validating'"),
                 PgParams().Add(id)),
      id);
}

absl::StatusOr<StoredDispute> DisputeStore::Close(const std::string& id,
                                                  const Closing& closing,
                                                  absl::Time now) {
  absl::Status closed = pool_.InTransaction([&](PgConnection& connection) {
    PgParams params;
    params.Add(id).Add(closing.status).Add(closing.resolution);
    if (closing.verified_sats.has_value()) {
      params.Add(*closing.verified_sats);
    } else {
      params.AddNull();
    }
    if (closing.bitcoin_tip.has_value()) {
      params.Add(*closing.bitcoin_tip);
    } else {
      params.AddNull();
    }
    if (closing.operation_id.has_value()) {
      params.Add(*closing.operation_id);
    } else {
      params.AddNull();
    }
    params.Add(closing.transaction_hash.size() > 2
                   ? closing.transaction_hash.substr(2)
                   : "");
    absl::Status updated = Updated(
        connection.Exec(
            absl::StrCat("UPDATE reconciler.balance_disputes SET status = $2, "
                         "resolution = $3, verified_balance_sats = "
                         "coalesce($4::numeric, verified_balance_sats), "
                         "bitcoin_tip_height = coalesce($5::bigint, "
                         "bitcoin_tip_height), operation_id = $6::bigint, "
                         "resolution_tx_hash = decode(nullif($7, ''), 'hex'), "
                         "last_error = NULL, lease_until = NULL, updated_at = ",
                         At(now), ", resolved_at = ", At(now),
                         " WHERE dispute_id = $1::uuid AND status IN ('filed', "
                         "'validating')"),
            params),
        id);
    if (!updated.ok()) return updated;
    return Transition(connection, id, closing.status, closing.note, now);
  });
  if (absl::IsFailedPrecondition(closed)) {
    absl::StatusOr<StoredDispute> dispute = Get(id);
    if (!dispute.ok()) return dispute.status();
    return absl::FailedPreconditionError(absl::StrCat(
        "dispute ", id, " is ", dispute->status, " already; it stays so"));
  }
  if (!closed.ok()) return closed;
  return Get(id);
}

absl::StatusOr<uint64_t> DisputeStore::OpenCount() {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      "SELECT count(*) FROM reconciler.balance_disputes WHERE "
      "status IN ('filed', 'validating')");
  if (!rows.ok()) return rows.status();
  return static_cast<uint64_t>(rows->GetInt64(0, 0).value_or(0));
}

}  // namespace chainsync::reconciler
