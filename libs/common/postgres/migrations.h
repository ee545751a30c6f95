#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/postgres/connection.h"

namespace chainsync {

// Migration is one numbered SQL file of a service, `NNNN_<what>.sql`,
// embedded in the binary at build time (cmake/chainsync_service.cmake).
struct Migration {
  std::string name;
  std::string sql;
};

// MigrationReport says what ApplyMigrations did.
struct MigrationReport {
  int applied = 0;          // files applied by this call
  int already_applied = 0;  // files found applied before
};

// ApplyMigrations brings `schema` up to date with `migrations`:
//  - the schema and its table schema_migrations (version, name, checksum,
//    applied_at) are created when missing;
//  - under a transaction-level advisory lock, so that concurrent starters
//    of a service apply each file once and in order;
//  - every pending file runs with search_path set to the schema, and all
//    pending files of one start run in one transaction: a broken file
//    changes nothing, and the error names the file and Postgres's message;
//  - a file already applied whose SHA-256 has changed, a file the database
//    has applied but the binary does not carry, or a badly named or
//    misordered file is FAILED_PRECONDITION or INVALID_ARGUMENT naming it.
absl::StatusOr<MigrationReport> ApplyMigrations(
    PgConnection& connection, absl::string_view schema,
    const std::vector<Migration>& migrations);

}  // namespace chainsync
