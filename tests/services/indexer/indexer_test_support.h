#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "indexer_migrations.h"
#include "libs/common/postgres/migrations.h"
#include "libs/common/postgres/pool.h"
#include "tests/support/test_env.h"

namespace chainsync::indexer {

// MigratedPool is a pool on a test database with the indexer's schema.
inline std::unique_ptr<PgPool> MigratedPool(
    const testing::ScopedDatabase& database) {
  auto pool = PgPool::Create({.connect = {.url = database.url()}});
  if (!pool.ok()) std::abort();
  auto connection = (*pool)->Acquire();
  if (!connection.ok() ||
      !ApplyMigrations(**connection, "indexer", IndexerMigrations()).ok()) {
    std::abort();
  }
  return *std::move(pool);
}

// Rows returns the rows of a query as "a|b|" lines, to compare tables
// between databases.
inline std::vector<std::string> Rows(PgConnection& connection,
                                     const std::string& sql) {
  auto result = connection.Exec(sql);
  if (!result.ok()) std::abort();
  std::vector<std::string> rows;
  for (int row = 0; row < result->rows(); ++row) {
    std::string line;
    for (int column = 0; column < result->columns(); ++column) {
      absl::StrAppend(
          &line,
          result->IsNull(row, column) ? "NULL" : result->Get(row, column), "|");
    }
    rows.push_back(line);
  }
  return rows;
}

}  // namespace chainsync::indexer
