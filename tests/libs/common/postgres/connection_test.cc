#include "libs/common/postgres/connection.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/test_env.h"

namespace chainsync {
namespace {

using testing::ScopedDatabase;

TEST_CASE("parameterised statements round-trip values and NULL", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  auto result = connection->Exec(
      "SELECT $1::text, $2::bigint, $3::text IS NULL, $4::bool",
      PgParams().Add("it's \"quoted\"").Add(int64_t{-42}).AddNull().Add(true));
  REQUIRE(result.ok());
  CHECK(result->rows() == 1);
  CHECK(result->Get(0, 0) == "it's \"quoted\"");
  CHECK(*result->GetInt64(0, 1) == -42);
  CHECK(result->Get(0, 2) == "t");
  CHECK(result->Get(0, 3) == "t");
}

TEST_CASE("prepared statements are prepared once per connection",
          "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  constexpr PgStatement kDouble = {"double_it", "SELECT $1::bigint * 2"};
  for (int i = 1; i <= 3; ++i) {
    auto result = connection->Exec(kDouble, PgParams().Add(int64_t{i}));
    REQUIRE(result.ok());
    CHECK(*result->GetInt64(0, 0) == 2 * i);
  }
  auto count = connection->Exec(
      "SELECT count(*) FROM pg_prepared_statements WHERE name = 'double_it'");
  CHECK(count->Get(0, 0) == "1");
}

TEST_CASE("SQL errors carry the SQLSTATE and a canonical code", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(connection->ExecScript("CREATE TABLE t (id int PRIMARY KEY)").ok());
  REQUIRE(connection->Exec("INSERT INTO t VALUES (1)").ok());
  auto duplicate = connection->Exec("INSERT INTO t VALUES (1)");
  REQUIRE(absl::IsAlreadyExists(duplicate.status()));
  CHECK(std::string(duplicate.status().message()).find("SQLSTATE 23505") !=
        std::string::npos);

  auto syntax = connection->Exec("SELEC 1");
  CHECK(absl::IsInvalidArgument(syntax.status()));
  auto bad_number = connection->Exec("SELECT 'x'::int");
  CHECK(absl::IsInvalidArgument(bad_number.status()));
  // The connection is still usable after errors.
  CHECK(connection->Exec("SELECT 1").ok());
}

TEST_CASE("COPY FROM STDIN writes awkward values exactly", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(connection->ExecScript("CREATE TABLE rows (id int, note text)").ok());
  std::vector<std::vector<PgParam>> rows;
  const std::string awkward = "tab\there\nnewline\\backslash\r\\N";
  rows.push_back({"1", awkward});
  rows.push_back({"2", std::nullopt});
  for (int i = 3; i <= 20000; ++i)
    rows.push_back({absl::StrCat(i), absl::StrCat("n", i)});
  auto copied = connection->CopyFrom("COPY rows (id, note) FROM STDIN", rows);
  REQUIRE(copied.ok());
  CHECK(*copied == 20000);
  auto first = connection->Exec(
      "SELECT note, note IS NULL FROM rows WHERE id IN (1, 2) ORDER BY id");
  CHECK(first->Get(0, 0) == awkward);
  CHECK(first->Get(1, 1) == "t");
}

TEST_CASE("a failed COPY writes nothing", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(connection->ExecScript("CREATE TABLE rows (id int NOT NULL)").ok());
  auto copied = connection->CopyFrom("COPY rows (id) FROM STDIN",
                                     {{"1"}, {"2"}, {std::nullopt}});
  CHECK_FALSE(copied.ok());
  CHECK(connection->Exec("SELECT count(*) FROM rows")->Get(0, 0) == "0");
}

TEST_CASE("LISTEN receives NOTIFY and times out quietly", "[postgres]") {
  ScopedDatabase database;
  auto listener = database.Connect();
  auto sender = database.Connect();
  REQUIRE(listener->Listen("blocks").ok());
  auto nothing = listener->WaitForNotification(absl::Milliseconds(50));
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());
  REQUIRE(sender->Notify("blocks", "42").ok());
  auto received = listener->WaitForNotification(absl::Seconds(5));
  REQUIRE(received.ok());
  REQUIRE(received->has_value());
  CHECK((*received)->channel == "blocks");
  CHECK((*received)->payload == "42");
}

TEST_CASE("a lost connection is UNAVAILABLE and reconnects with its LISTENs",
          "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  auto killer = database.Connect();
  REQUIRE(connection->Listen("events").ok());
  constexpr PgStatement kOne = {"one", "SELECT 1"};
  REQUIRE(connection->Exec(kOne).ok());
  const std::string pid(connection->Exec("SELECT pg_backend_pid()")->Get(0, 0));
  REQUIRE(
      killer->Exec("SELECT pg_terminate_backend($1::int)", PgParams().Add(pid))
          .ok());

  auto lost = connection->Exec("SELECT 1");
  CHECK(absl::IsUnavailable(lost.status()));
  CHECK(connection->broken());
  REQUIRE(connection->Reconnect().ok());
  CHECK(connection->Exec(kOne).ok());  // prepared again on the new session
  REQUIRE(killer->Notify("events", "after").ok());
  auto received = connection->WaitForNotification(absl::Seconds(5));
  REQUIRE(received.ok());
  REQUIRE(received->has_value());
  CHECK((*received)->payload == "after");
}

TEST_CASE("connecting to nothing is UNAVAILABLE with libpq's reason",
          "[postgres]") {
  auto connection =
      PgConnection::Connect({.url = "postgresql://chainsync@127.0.0.1:1/none",
                             .connect_timeout = absl::Seconds(2)});
  REQUIRE(absl::IsUnavailable(connection.status()));
  CHECK(std::string(connection.status().message()).find("127.0.0.1") !=
        std::string::npos);
}

}  // namespace
}  // namespace chainsync
