#include "libs/common/status.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "libs/common/grpc_status.h"
#include "simdjson.h"

namespace chainsync {
namespace {

// The table of tests/testdata/vectors.json (grpc-gateway's mapping), which
// frontends already rely on.
TEST_CASE("HTTP status of every canonical code follows the reference table",
          "[status]") {
  std::ifstream in(CHAINSYNC_TESTDATA_DIR "/vectors.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(text.str());
  simdjson::dom::object table = root["grpc_to_http_status"].get_object();
  int checked = 0;
  for (int code = 0; code <= 16; ++code) {
    const auto status_code = static_cast<absl::StatusCode>(code);
    const std::string name(StatusCodeName(status_code));
    int64_t expected = 0;
    REQUIRE(table[name].get(expected) == simdjson::SUCCESS);
    INFO(name);
    CHECK(HttpStatusFromCode(status_code) == expected);
    ++checked;
  }
  CHECK(checked == 17);
}

TEST_CASE("gRPC conversion keeps code and message", "[status]") {
  const absl::Status original =
      absl::InvalidArgumentError("address 0x12 is not 20 bytes");
  const grpc::Status converted = ToGrpcStatus(original);
  CHECK(converted.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(converted.error_message() == "address 0x12 is not 20 bytes");
  CHECK(FromGrpcStatus(converted) == original);
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST_CASE("a long message is cut at the gRPC edge", "[status]") {
  const grpc::Status converted =
      ToGrpcStatus(absl::InvalidArgumentError(std::string(100'000, 'x')));
  CHECK(converted.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(converted.error_message().size() < kMaxErrorMessageBytes + 32);
  CHECK(absl::EndsWith(converted.error_message(), "(98976 bytes more)"));
}

TEST_CASE("a database's own words never reach a caller", "[status]") {
  const absl::Status database = WithInternalDetail(absl::InvalidArgumentError(
      "read: value \"9223372036854775808\" is out of range for type bigint "
      "[SQLSTATE 22003]"));
  const grpc::Status answered = ToGrpcStatus(database, "req-42");
  CHECK(answered.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(answered.error_message().find("SQLSTATE") == std::string::npos);
  CHECK(absl::StrContains(answered.error_message(), "request id req-42"));
  // A database that cannot be reached is worth retrying.
  CHECK(ToGrpcStatus(WithInternalDetail(absl::UnavailableError("refused")))
            .error_code() == grpc::StatusCode::UNAVAILABLE);
  // Plain errors keep their words.
  CHECK(ToGrpcStatus(absl::InvalidArgumentError("bad")).error_message() ==
        "bad");
}

TEST_CASE("a sane request id is kept, another replaced", "[status]") {
  CHECK(RequestIdFrom("abc-123_x.y") == "abc-123_x.y");
  CHECK(RequestIdFrom("").size() == 16);
  CHECK(RequestIdFrom("a b").size() == 16);
  CHECK(RequestIdFrom(std::string(65, 'a')).size() == 16);
}

TEST_CASE("a value is quoted whole when short, by its start when long",
          "[status]") {
  CHECK(QuoteValue("0x12") == "\"0x12\"");
  const std::string address = "0x" + std::string(78, 'a');
  CHECK(QuoteValue(address) == "\"" + address + "\"");
  CHECK(QuoteValue(std::string(9000, 'b')) ==
        "\"" + std::string(80, 'b') + "...\" (9000 bytes)");
  // Never in the middle of a UTF-8 sequence: 79 ASCII bytes, then "é".
  const std::string accented = std::string(79, 'c') + "\xc3\xa9" + "tail";
  CHECK(QuoteValue(accented) ==
        "\"" + std::string(79, 'c') + "...\" (85 bytes)");
}

}  // namespace
}  // namespace chainsync
