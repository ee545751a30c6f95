#include "libs/common/postgres/migrations.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "tests/support/test_env.h"

namespace chainsync {
namespace {

using testing::ScopedDatabase;

const std::vector<Migration> kTwoFiles = {
    // Deliberately not idempotent: applying a file twice would fail.
    {"0001_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY);"},
    {"0002_balances.sql",
     "CREATE TABLE balances (account bigint REFERENCES accounts (id), amount "
     "numeric(78,0));\nINSERT INTO accounts VALUES (1);"},
};

int64_t Count(PgConnection& c, const std::string& sql) {
  return *c.Exec(sql)->GetInt64(0, 0);
}

TEST_CASE("migrations apply once, in order, into their schema", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  auto first = ApplyMigrations(*connection, "svc", kTwoFiles);
  REQUIRE(first.ok());
  CHECK(first->applied == 2);
  CHECK(Count(*connection, "SELECT count(*) FROM svc.accounts") == 1);
  CHECK(Count(*connection, "SELECT count(*) FROM svc.schema_migrations") == 2);

  auto again = ApplyMigrations(*connection, "svc", kTwoFiles);
  REQUIRE(again.ok());
  CHECK(again->applied == 0);
  CHECK(again->already_applied == 2);

  std::vector<Migration> three = kTwoFiles;
  three.push_back({"0003_index.sql", "CREATE INDEX ON balances (account);"});
  auto third = ApplyMigrations(*connection, "svc", three);
  REQUIRE(third.ok());
  CHECK(third->applied == 1);
}

TEST_CASE("an edited applied migration stops the start", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(ApplyMigrations(*connection, "svc", kTwoFiles).ok());
  std::vector<Migration> edited = kTwoFiles;
  edited[0].sql += "\n-- a harmless looking edit";
  auto result = ApplyMigrations(*connection, "svc", edited);
  REQUIRE(absl::IsFailedPrecondition(result.status()));
  CHECK(std::string(result.status().message()).find("0001_accounts.sql") !=
        std::string::npos);
  CHECK(std::string(result.status().message())
            .find("changed after it was applied") != std::string::npos);
}

TEST_CASE("a database ahead of the binary stops the start", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(ApplyMigrations(*connection, "svc", kTwoFiles).ok());
  auto older = ApplyMigrations(*connection, "svc", {kTwoFiles[0]});
  REQUIRE(absl::IsFailedPrecondition(older.status()));
  CHECK(std::string(older.status().message()).find("0002_balances.sql") !=
        std::string::npos);
}

TEST_CASE("a broken migration names the file and changes nothing",
          "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  std::vector<Migration> broken = kTwoFiles;
  broken.push_back({"0003_broken.sql",
                    "CREATE TABLE oops (id int REFERENCES nowhere (id));"});
  auto result = ApplyMigrations(*connection, "svc", broken);
  REQUIRE_FALSE(result.ok());
  CHECK(std::string(result.status().message()).find("0003_broken.sql") !=
        std::string::npos);
  CHECK(std::string(result.status().message()).find("nowhere") !=
        std::string::npos);
  // Neither the good files before it nor the schema itself were kept.
  CHECK(Count(*connection,
              "SELECT count(*) FROM information_schema.schemata WHERE "
              "schema_name = 'svc'") == 0);
}

TEST_CASE("badly named or misordered files are rejected before any SQL runs",
          "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  auto unnamed =
      ApplyMigrations(*connection, "svc", {{"init.sql", "SELECT 1;"}});
  REQUIRE(absl::IsInvalidArgument(unnamed.status()));
  CHECK(std::string(unnamed.status().message()).find("init.sql") !=
        std::string::npos);
  auto misordered = ApplyMigrations(
      *connection, "svc",
      {{"0002_b.sql", "SELECT 1;"}, {"0001_a.sql", "SELECT 1;"}});
  CHECK(absl::IsInvalidArgument(misordered.status()));
  CHECK(absl::IsInvalidArgument(
      ApplyMigrations(*connection, "Bad-Schema", kTwoFiles).status()));
}

TEST_CASE("concurrent starters are serialised by the advisory lock",
          "[postgres]") {
  ScopedDatabase database;
  constexpr int kStarters = 6;
  std::vector<absl::StatusOr<MigrationReport>> reports(
      kStarters, absl::UnknownError("not run"));
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (int i = 0; i < kStarters; ++i) connections.push_back(database.Connect());
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      reports[i] = ApplyMigrations(*connections[i], "svc", kTwoFiles);
    });
  }
  for (auto& thread : threads) thread.join();
  int applied = 0;
  for (const auto& report : reports) {
    INFO(report.status().ToString());
    REQUIRE(report.ok());
    applied += report->applied;
  }
  CHECK(applied == 2);
  CHECK(Count(*connections[0], "SELECT count(*) FROM svc.accounts") == 1);
}

}  // namespace
}  // namespace chainsync
