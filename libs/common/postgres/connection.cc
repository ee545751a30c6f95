#include "libs/common/postgres/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync {
namespace {

// LogNotice logs what the server notices (a NOTICE, a WARNING) as a JSON
// line, where libpq would write it to stderr as raw text.
void LogNotice(void*, const PGresult* notice) {
  const auto field = [notice](int code) {
    const char* value = PQresultErrorField(notice, code);
    return std::string(value == nullptr ? "" : value);
  };
  const std::string severity = field(PG_DIAG_SEVERITY_NONLOCALIZED);
  log::Write(
      severity == "WARNING" ? log::Level::kWarning : log::Level::kInfo,
      "postgres notice",
      {{"severity", severity}, {"notice", field(PG_DIAG_MESSAGE_PRIMARY)}});
}

std::string LibpqMessage(const PGconn* connection) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(PQerrorMessage(connection)));
}

}  // namespace

absl::StatusCode StatusCodeFromSqlState(absl::string_view sqlstate) {
  if (sqlstate.size() != 5) return absl::StatusCode::kUnavailable;
  const absl::string_view sql_class = sqlstate.substr(0, 2);
  if (sql_class == "08" || sql_class == "57" || sql_class == "53") {
    // connection exception, operator intervention (shutdown), insufficient
    // resources: the server, not the statement, is at fault.
    return absl::StatusCode::kUnavailable;
  }
  if (sqlstate == "40001" || sqlstate == "40P01")
    return absl::StatusCode::kAborted;
  if (sqlstate == "23505") return absl::StatusCode::kAlreadyExists;
  if (sql_class == "23") return absl::StatusCode::kFailedPrecondition;
  if (sql_class == "22") return absl::StatusCode::kInvalidArgument;
  if (sql_class == "42") return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

PgParams& PgParams::Add(absl::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}
PgParams& PgParams::Add(int64_t value) {
  values_.emplace_back(absl::StrCat(value));
  return *this;
}
PgParams& PgParams::Add(uint64_t value) {
  values_.emplace_back(absl::StrCat(value));
  return *this;
}
PgParams& PgParams::Add(bool value) {
  values_.emplace_back(value ? "true" : "false");
  return *this;
}
PgParams& PgParams::AddArray(absl::Span<const std::string> items) {
  std::string literal = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) literal.push_back(',');
    literal.push_back('"');
    for (const char c : items[i]) {
      if (c == '"' || c == '\\') literal.push_back('\\');
      literal.push_back(c);
    }
    literal.push_back('"');
  }
  literal.push_back('}');
  values_.emplace_back(std::move(literal));
  return *this;
}
PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::PgResult(PgResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }
int PgResult::columns() const { return PQnfields(result_); }
bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}
absl::string_view PgResult::Get(int row, int column) const {
  return absl::string_view(
      PQgetvalue(result_, row, column),
      static_cast<size_t>(PQgetlength(result_, row, column)));
}
absl::StatusOr<int64_t> PgResult::GetInt64(int row, int column) const {
  int64_t value;
  if (IsNull(row, column) || !absl::SimpleAtoi(Get(row, column), &value)) {
    return absl::InternalError(absl::StrCat("column ", PQfname(result_, column),
                                            " is not an integer: \"",
                                            Get(row, column), "\""));
  }
  return value;
}
int64_t PgResult::affected_rows() const {
  int64_t value = 0;
  (void)absl::SimpleAtoi(PQcmdTuples(result_), &value);
  return value;
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const PgConnectOptions& options) {
  const std::string timeout = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  // libpq reads the password from the parameters, never from the URL we log.
  const char* keys[] = {"dbname",     "application_name", "connect_timeout",
                        "keepalives", "password",         nullptr};
  const char* values[] = {
      options.url.c_str(),
      options.application_name.c_str(),
      timeout.c_str(),
      "1",
      options.password.empty() ? nullptr : options.password.value().c_str(),
      nullptr};
  PGconn* connection = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (connection == nullptr) {
    return absl::ResourceExhaustedError(
        "libpq could not allocate a connection");
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot connect to Postgres: ", LibpqMessage(connection)));
    PQfinish(connection);
    return status;
  }
  PQsetNoticeReceiver(connection, LogNotice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(options, connection));
}

PgConnection::PgConnection(PgConnectOptions options, pg_conn* connection)
    : options_(std::move(options)), connection_(connection) {}

PgConnection::~PgConnection() { PQfinish(connection_); }

bool PgConnection::broken() const {
  return PQstatus(connection_) != CONNECTION_OK;
}

absl::Status PgConnection::Error(absl::string_view what) const {
  return WithInternalDetail(absl::UnavailableError(
      absl::StrCat(what, ": ", LibpqMessage(connection_))));
}

absl::StatusOr<PgResult> PgConnection::Check(pg_result* raw,
                                             absl::string_view what) {
  PgResult result(raw);
  if (raw == nullptr) return Error(what);
  const ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
      status == PGRES_COPY_IN) {
    return result;
  }
  const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(raw, PG_DIAG_MESSAGE_DETAIL);
  if (sqlstate == nullptr) {
    // No server error: the connection itself failed.
    return Error(what);
  }
  return WithInternalDetail(absl::Status(
      StatusCodeFromSqlState(sqlstate),
      absl::StrCat(what, ": ", primary != nullptr ? primary : "error",
                   detail != nullptr ? absl::StrCat(" (", detail, ")") : "",
                   " [SQLSTATE ", sqlstate, "]")));
}

absl::StatusOr<PgResult> PgConnection::Exec(
    absl::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params) {
    values.push_back(param.has_value() ? param->c_str() : nullptr);
  }
  const std::string text(sql);
  return Check(
      PQexecParams(connection_, text.c_str(), static_cast<int>(values.size()),
                   nullptr, values.data(), nullptr, nullptr, 0),
      "postgres");
}

absl::StatusOr<PgResult> PgConnection::Exec(
    const PgStatement& statement, const std::vector<PgParam>& params) {
  const std::string name(statement.name);
  if (prepared_.find(name) == prepared_.end()) {
    const std::string sql(statement.sql);
    absl::StatusOr<PgResult> prepared =
        Check(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr),
              absl::StrCat("preparing ", name));
    if (!prepared.ok()) return prepared.status();
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& param : params) {
    values.push_back(param.has_value() ? param->c_str() : nullptr);
  }
  return Check(
      PQexecPrepared(connection_, name.c_str(), static_cast<int>(values.size()),
                     values.data(), nullptr, nullptr, 0),
      name);
}

absl::Status PgConnection::ExecScript(absl::string_view sql) {
  const std::string text(sql);
  // PQexec returns the last statement's result; an error stops the script.
  return Check(PQexec(connection_, text.c_str()), "postgres").status();
}

absl::StatusOr<int64_t> PgConnection::CopyFrom(absl::string_view copy_sql,
                                               absl::string_view data) {
  const std::string text(copy_sql);
  absl::StatusOr<PgResult> started =
      Check(PQexec(connection_, text.c_str()), "COPY");
  if (!started.ok()) return started.status();
  // libpq takes the data in pieces an int can count.
  constexpr size_t kChunkBytes = 1 << 20;
  for (size_t offset = 0; offset < data.size(); offset += kChunkBytes) {
    const size_t size = std::min(kChunkBytes, data.size() - offset);
    if (PQputCopyData(connection_, data.data() + offset,
                      static_cast<int>(size)) != 1) {
      return Error("COPY data");
    }
  }
  if (PQputCopyEnd(connection_, nullptr) != 1) return Error("COPY end");
  absl::StatusOr<PgResult> finished = Check(PQgetResult(connection_), "COPY");
  // Drain to the terminating null result so the connection is usable again.
  while (PGresult* extra = PQgetResult(connection_)) PQclear(extra);
  if (!finished.ok()) return finished.status();
  return finished->affected_rows();
}

std::string PgConnection::QuoteIdentifier(absl::string_view name) const {
  char* quoted = PQescapeIdentifier(connection_, name.data(), name.size());
  if (quoted == nullptr) return "\"\"";
  std::string result(quoted);
  PQfreemem(quoted);
  return result;
}

absl::Status PgConnection::Listen(absl::string_view channel) {
  absl::Status status =
      Exec(absl::StrCat("LISTEN ", QuoteIdentifier(channel))).status();
  if (status.ok()) channels_.emplace_back(channel);
  return status;
}

absl::Status PgConnection::Notify(absl::string_view channel,
                                  absl::string_view payload) {
  return Exec("SELECT pg_notify($1, $2)", PgParams().Add(channel).Add(payload))
      .status();
}

absl::StatusOr<std::optional<PgNotification>> PgConnection::WaitForNotification(
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (PQconsumeInput(connection_) != 1) return Error("waiting for NOTIFY");
    if (PGnotify* notify = PQnotifies(connection_)) {
      PgNotification notification{notify->relname, notify->extra};
      PQfreemem(notify);
      return notification;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    pollfd descriptor{PQsocket(connection_), POLLIN, 0};
    const int ready = poll(
        &descriptor, 1, static_cast<int>(absl::ToInt64Milliseconds(left) + 1));
    if (ready < 0 && errno != EINTR) return Error("poll");
  }
}

absl::Status PgConnection::Reconnect() {
  PQreset(connection_);
  if (PQstatus(connection_) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot reconnect to Postgres: ",
                                               LibpqMessage(connection_)));
  }
  prepared_.clear();
  const std::vector<std::string> channels = std::move(channels_);
  channels_.clear();
  for (const std::string& channel : channels) {
    if (absl::Status status = Listen(channel); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace chainsync
