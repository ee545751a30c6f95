#pragma once

#include <memory>

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

}  // namespace chainsync::indexer
