#include "libs/common/postgres/connection.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/common/postgres/binary_copy.h"
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

TEST_CASE("the server's notices are JSON log lines", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  std::vector<std::string> lines;
  log::SetSinkForTesting(
      [&lines](absl::string_view line) { lines.emplace_back(line); });
  const auto raised = connection->Exec(
      "DO $$ BEGIN RAISE NOTICE 'a note'; RAISE WARNING 'a \"warning\"'; "
      "END $$");
  log::SetSinkForTesting({});
  REQUIRE(raised.ok());
  REQUIRE(lines.size() == 2);
  CHECK(absl::StrContains(lines[0], R"("level":"info")"));
  CHECK(absl::StrContains(lines[0],
                          R"("message":"postgres notice","severity":"NOTICE")"
                          R"(,"notice":"a note")"));
  CHECK(absl::StrContains(lines[1], R"("level":"warning")"));
  CHECK(absl::StrContains(lines[1], R"("notice":"a \"warning\"")"));
}

TEST_CASE("array parameters keep every element exactly", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  const std::vector<std::string> items = {
      "plain", "a,b", "{x}", "say \"hi\"", "back\\slash", "", "NULL"};
  auto result = connection->Exec(
      "SELECT cardinality($1::text[]), "
      "array_to_string(ARRAY(SELECT quote_literal(x) FROM unnest($1::text[]) "
      "x), '|'), $2::bigint[] = '{7,-8}', cardinality($3::text[])",
      PgParams()
          .AddArray(items)
          .AddArray(std::vector<std::string>{"7", "-8"})
          .AddArray({}));
  REQUIRE(result.ok());
  CHECK(result->Get(0, 0) == "7");
  CHECK(result->Get(0, 1) ==
        "'plain'|'a,b'|'{x}'|'say \"hi\"'|E'back\\\\slash'|''|'NULL'");
  CHECK(result->Get(0, 2) == "t");
  CHECK(result->Get(0, 3) == "0");
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

TEST_CASE("binary COPY writes every type exactly", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(connection
              ->ExecScript(
                  "CREATE TABLE rows (id bigint, small integer, flag boolean, "
                  "raw bytea, note text, doc json, body jsonb, parts bytea[], "
                  "amount numeric(78,0), at timestamptz)")
              .ok());
  const std::string awkward = "tab\there\nnewline\\backslash\r\\N é";
  const std::vector<uint8_t> bytes = {0x00, 0xff, 0x5c, 0x0a};
  const std::vector<uint8_t> other = {0x01};
  const std::vector<absl::Span<const uint8_t>> parts = {bytes, other};
  PgBinaryCopy copy;
  copy.Row(10)
      .Int8(-9'000'000'000)
      .Int4(-7)
      .Bool(true)
      .Bytea(bytes)
      .Text(awkward)
      .Text(R"({"b": 1,  "a": [2]})")
      .Jsonb(R"({"b": 1, "a": "x"})")
      .ByteaArray(parts)
      .Numeric({~0ULL, ~0ULL, ~0ULL, ~0ULL})
      .Timestamptz(1'700'000'000);
  copy.Row(10)
      .Int8(2)
      .Null()
      .Bool(false)
      .Bytea({})
      .Null()
      .Null()
      .Null()
      .ByteaArray({})
      .Numeric({1'000'000'000'000ULL})
      .Timestamptz(0);
  const std::vector<std::vector<uint64_t>> numbers = {
      {}, {0}, {0, 0}, {120}, {10'000}, {99'990'000}, {7}, {0, 1}};
  for (const std::vector<uint64_t>& amount : numbers) {
    copy.Row(10).Int8(3).Null().Null().Null().Null().Null().Null().Null();
    copy.Numeric(amount).Null();
  }
  auto copied = connection->CopyFrom("COPY rows FROM STDIN (FORMAT binary)",
                                     std::move(copy).Finish());
  REQUIRE(copied.ok());
  CHECK(*copied == 10);
  auto first = connection->Exec(
      "SELECT id, small, flag, encode(raw, 'hex'), note, doc::text, "
      "body::text, array_length(parts, 1), encode(parts[1], 'hex'), "
      "encode(parts[2], 'hex'), amount::text, extract(epoch FROM at)::bigint "
      "FROM rows ORDER BY id LIMIT 1");
  REQUIRE(first.ok());
  CHECK(first->Get(0, 0) == "-9000000000");
  CHECK(first->Get(0, 1) == "-7");
  CHECK(first->Get(0, 2) == "t");
  CHECK(first->Get(0, 3) == "00ff5c0a");
  CHECK(first->Get(0, 4) == awkward);
  CHECK(first->Get(0, 5) == R"({"b": 1,  "a": [2]})");
  CHECK(first->Get(0, 6) == R"({"a": "x", "b": 1})");
  CHECK(first->Get(0, 7) == "2");
  CHECK(first->Get(0, 8) == "00ff5c0a");
  CHECK(first->Get(0, 9) == "01");
  CHECK(first->Get(0, 10) ==
        "1157920892373161954235709850086879078532699846656405640394575840079131"
        "29639935");
  CHECK(first->Get(0, 11) == "1700000000");
  auto second = connection->Exec(
      "SELECT small IS NULL, flag, raw = ''::bytea, note IS NULL, "
      "cardinality(parts), amount::text, extract(epoch FROM at)::bigint "
      "FROM rows WHERE id = 2");
  REQUIRE(second.ok());
  CHECK(second->Get(0, 0) == "t");
  CHECK(second->Get(0, 1) == "f");
  CHECK(second->Get(0, 2) == "t");
  CHECK(second->Get(0, 3) == "t");
  CHECK(second->Get(0, 4) == "0");
  CHECK(second->Get(0, 5) == "1000000000000");
  CHECK(second->Get(0, 6) == "0");
  auto amounts = connection->Exec(
      "SELECT string_agg(amount::text, ',' ORDER BY ctid) FROM rows "
      "WHERE id = 3");
  REQUIRE(amounts.ok());
  CHECK(amounts->Get(0, 0) ==
        "0,0,0,120,10000,99990000,7,18446744073709551616");
}

TEST_CASE("a failed COPY writes nothing", "[postgres]") {
  ScopedDatabase database;
  auto connection = database.Connect();
  REQUIRE(connection->ExecScript("CREATE TABLE rows (id int NOT NULL)").ok());
  PgBinaryCopy copy;
  copy.Row(1).Int4(1);
  copy.Row(1).Int4(2);
  copy.Row(1).Null();
  auto copied = connection->CopyFrom(
      "COPY rows (id) FROM STDIN (FORMAT binary)", std::move(copy).Finish());
  CHECK_FALSE(copied.ok());
  CHECK(std::string(copied.status().message()).find("null value") !=
        std::string::npos);
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
