#pragma once

// PostgreSQL access on libpq: one connection, parameterised statements,
// prepared statements, COPY FROM STDIN and LISTEN/NOTIFY. Errors are
// absl::Status with the SQLSTATE in the message; a lost connection is
// UNAVAILABLE, so that callers (PgPool) know to reconnect and retry.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/common/config/secret.h"

struct pg_conn;
struct pg_result;

namespace chainsync {

// PgParam is one statement parameter in text form; nullopt is SQL NULL.
using PgParam = std::optional<std::string>;

// PgParams builds a parameter list from C++ values.
class PgParams {
 public:
  PgParams& Add(absl::string_view value);
  PgParams& Add(const char* value) { return Add(absl::string_view(value)); }
  PgParams& Add(const std::string& value) {
    return Add(absl::string_view(value));
  }
  PgParams& Add(int64_t value);
  PgParams& Add(int value) { return Add(static_cast<int64_t>(value)); }
  PgParams& Add(uint64_t value);
  PgParams& Add(bool value);
  // AddArray adds a one-dimensional array literal of `items`, each quoted,
  // for a parameter cast to an array type ($1::text[], $1::bigint[]).
  PgParams& AddArray(absl::Span<const std::string> items);
  PgParams& AddNull();

  const std::vector<PgParam>& values() const { return values_; }

 private:
  std::vector<PgParam> values_;
};

// PgResult owns the result of one statement.
class PgResult {
 public:
  explicit PgResult(pg_result* result);
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  ~PgResult();

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  // Text value of a cell ("" for NULL); valid while the result lives.
  absl::string_view Get(int row, int column) const;
  absl::StatusOr<int64_t> GetInt64(int row, int column) const;
  // Rows affected by INSERT, UPDATE, DELETE, COPY.
  int64_t affected_rows() const;

 private:
  pg_result* result_;
};

// PgStatement is a named statement prepared on first use on each
// connection. Keep them as constants beside the store that uses them.
struct PgStatement {
  absl::string_view name;
  absl::string_view sql;
};

// PgNotification is one NOTIFY received by a listening connection.
struct PgNotification {
  std::string channel;
  std::string payload;
};

struct PgConnectOptions {
  // A libpq connection string or URI, without the password, for example
  // postgresql://chainsync@127.0.0.1:5432/chainsync.
  std::string url;
  // The password, if the server wants one.
  Secret password;
  // Reported in pg_stat_activity.
  std::string application_name = "chainsync";
  absl::Duration connect_timeout = absl::Seconds(10);
};

// PgConnection is one connection. Not thread-safe: one user at a time
// (PgPool hands connections out).
class PgConnection {
 public:
  // Connect opens a connection. UNAVAILABLE with libpq's reason (host, port,
  // authentication) when it cannot.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const PgConnectOptions& options);

  ~PgConnection();

  // Exec runs one parameterised statement ($1, $2, ...).
  absl::StatusOr<PgResult> Exec(absl::string_view sql,
                                const std::vector<PgParam>& params = {});
  absl::StatusOr<PgResult> Exec(absl::string_view sql, const PgParams& params) {
    return Exec(sql, params.values());
  }

  // Exec runs a prepared statement, preparing it on this connection first if
  // needed.
  absl::StatusOr<PgResult> Exec(const PgStatement& statement,
                                const std::vector<PgParam>& params = {});
  absl::StatusOr<PgResult> Exec(const PgStatement& statement,
                                const PgParams& params) {
    return Exec(statement, params.values());
  }

  // ExecScript runs several ;-separated statements without parameters (the
  // simple query protocol), as migrations need.
  absl::Status ExecScript(absl::string_view sql);

  // CopyFrom runs `copy_sql` (COPY table (columns) FROM STDIN (FORMAT
  // binary)) and streams `data`, rows a PgBinaryCopy rendered, perhaps on
  // another thread. Either every row is written or, on error, none (the
  // COPY is one statement).
  absl::StatusOr<int64_t> CopyFrom(absl::string_view copy_sql,
                                   absl::string_view data);

  // Listen subscribes this connection to a NOTIFY channel.
  absl::Status Listen(absl::string_view channel);

  // Notify sends `payload` on `channel` (delivered at commit when inside a
  // transaction).
  absl::Status Notify(absl::string_view channel, absl::string_view payload);

  // WaitForNotification returns the next notification, or nullopt when none
  // arrives within `timeout`. UNAVAILABLE when the connection is lost.
  absl::StatusOr<std::optional<PgNotification>> WaitForNotification(
      absl::Duration timeout);

  // Reconnect re-establishes a lost connection. Prepared statements and
  // LISTEN subscriptions are gone with the old session; statements are
  // prepared again on use, subscriptions are renewed here.
  absl::Status Reconnect();

  // broken tells whether the connection was lost.
  bool broken() const;

  // QuoteIdentifier quotes a name (a schema, a table) for use in SQL text.
  std::string QuoteIdentifier(absl::string_view name) const;

 private:
  PgConnection(PgConnectOptions options, pg_conn* connection);
  absl::Status Error(absl::string_view what) const;
  absl::StatusOr<PgResult> Check(pg_result* result, absl::string_view what);

  PgConnectOptions options_;
  pg_conn* connection_;
  std::set<std::string, std::less<>> prepared_;
  std::vector<std::string> channels_;
};

// StatusFromSqlState maps a SQLSTATE to a canonical code: connection errors
// (08xxx, 57Pxx) to UNAVAILABLE, serialization failures and deadlocks to
// ABORTED, unique violations to ALREADY_EXISTS, other integrity and data
// errors to FAILED_PRECONDITION and INVALID_ARGUMENT, the rest INTERNAL.
absl::StatusCode StatusCodeFromSqlState(absl::string_view sqlstate);

}  // namespace chainsync
