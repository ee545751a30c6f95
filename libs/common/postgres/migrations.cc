#include "libs/common/postgres/migrations.h"

#include <openssl/evp.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/logging/log.h"
#include "libs/common/postgres/pool.h"
#include "re2/re2.h"

namespace chainsync {
namespace {

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

struct Pending {
  int version;
  const Migration* migration;
  std::string checksum;
};

absl::StatusOr<std::vector<Pending>> CheckFiles(
    const std::vector<Migration>& migrations) {
  static const LazyRE2 kName = {R"((\d{4})_[a-z0-9_]+\.sql)"};
  std::vector<Pending> files;
  int previous = 0;
  for (const Migration& migration : migrations) {
    std::string digits;
    int version = 0;
    if (!RE2::FullMatch(migration.name, *kName, &digits) ||
        !absl::SimpleAtoi(digits, &version) || version == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration file \"", migration.name,
                       "\" is not named NNNN_<what>.sql with NNNN from 0001"));
    }
    if (version <= previous) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", migration.name,
                       " is out of order or repeats version ", version));
    }
    previous = version;
    files.push_back({version, &migration, Sha256Hex(migration.sql)});
  }
  return files;
}

}  // namespace

absl::StatusOr<MigrationReport> ApplyMigrations(
    PgConnection& connection, absl::string_view schema,
    const std::vector<Migration>& migrations) {
  static const LazyRE2 kSchema = {R"([a-z_][a-z0-9_]{0,62})"};
  if (!RE2::FullMatch(re2::StringPiece(schema.data(), schema.size()),
                      *kSchema)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid schema name \"", schema, "\""));
  }
  absl::StatusOr<std::vector<Pending>> files = CheckFiles(migrations);
  if (!files.ok()) return files.status();

  const std::string quoted = connection.QuoteIdentifier(schema);
  absl::StatusOr<PgTransaction> transaction = PgTransaction::Begin(connection);
  if (!transaction.ok()) return transaction.status();
  // Held until COMMIT or ROLLBACK; a second starter waits here and then
  // finds the files applied.
  absl::Status status =
      connection
          .Exec(
              "SELECT pg_advisory_xact_lock(hashtext('chainsync.migrations'), "
              "hashtext($1))",
              PgParams().Add(schema))
          .status();
  if (!status.ok()) return status;
  status = connection.ExecScript(absl::StrCat(
      "CREATE SCHEMA IF NOT EXISTS ", quoted, "; CREATE TABLE IF NOT EXISTS ",
      quoted,
      ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
      "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
      "now())"));
  if (!status.ok()) return status;

  absl::StatusOr<PgResult> applied = connection.Exec(
      absl::StrCat("SELECT version, name, checksum FROM ", quoted,
                   ".schema_migrations ORDER BY version"));
  if (!applied.ok()) return applied.status();
  std::map<int, const Pending*> by_version;
  for (const Pending& file : *files) by_version[file.version] = &file;

  MigrationReport report;
  std::map<int, bool> done;
  for (int row = 0; row < applied->rows(); ++row) {
    absl::StatusOr<int64_t> version = applied->GetInt64(row, 0);
    if (!version.ok()) return version.status();
    const auto found = by_version.find(static_cast<int>(*version));
    if (found == by_version.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema ", schema, " has migration ", applied->Get(row, 1),
          " applied, which this binary does not carry: is it older than the "
          "database?"));
    }
    if (found->second->checksum != applied->Get(row, 2)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", found->second->migration->name, " of schema ", schema,
          " was changed after it was applied (checksum ",
          found->second->checksum, ", applied ", applied->Get(row, 2),
          "); add a new migration instead of editing an applied one"));
    }
    done[found->first] = true;
    ++report.already_applied;
  }

  status =
      connection
          .Exec(absl::StrCat("SET LOCAL search_path TO ", quoted, ", public"))
          .status();
  if (!status.ok()) return status;
  for (const Pending& file : *files) {
    if (done.count(file.version) > 0) continue;
    status = connection.ExecScript(file.migration->sql);
    if (!status.ok()) {
      return absl::Status(
          status.code(),
          absl::StrCat("migration ", file.migration->name, " of schema ",
                       schema, " failed: ", status.message()));
    }
    status = connection
                 .Exec(absl::StrCat("INSERT INTO ", quoted,
                                    ".schema_migrations (version, name, "
                                    "checksum) VALUES ($1, $2, $3)"),
                       PgParams()
                           .Add(file.version)
                           .Add(file.migration->name)
                           .Add(file.checksum))
                 .status();
    if (!status.ok()) return status;
    log::Info("migration applied",
              {{"schema", schema}, {"migration", file.migration->name}});
    ++report.applied;
  }
  if (status = transaction->Commit(); !status.ok()) return status;
  return report;
}

}  // namespace chainsync
