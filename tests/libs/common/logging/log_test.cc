#include "libs/common/logging/log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "simdjson.h"

namespace chainsync::log {
namespace {

struct CapturedLines {
  std::vector<std::string> lines;
  CapturedLines() {
    SetSinkForTesting(
        [this](absl::string_view line) { lines.emplace_back(line); });
  }
  ~CapturedLines() {
    SetSinkForTesting({});
    Init("test", Level::kInfo);
  }
};

TEST_CASE("a log line is one JSON object with the standard fields", "[log]") {
  CapturedLines captured;
  Init("indexer", Level::kInfo);
  Info("batch committed", {{"chain_id", 1},
                           {"blocks", uint64_t{500}},
                           {"rate", 1.5},
                           {"final", true},
                           {"error", absl::NotFoundError("no block 7")},
                           {"took", absl::Milliseconds(250)}});
  REQUIRE(captured.lines.size() == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element line;
  REQUIRE(parser.parse(captured.lines[0]).get(line) == simdjson::SUCCESS);
  CHECK(std::string(line["level"].get_string().value()) == "info");
  CHECK(std::string(line["service"].get_string().value()) == "indexer");
  CHECK(std::string(line["message"].get_string().value()) == "batch committed");
  CHECK(line["chain_id"].get_int64().value() == 1);
  CHECK(line["blocks"].get_int64().value() == 500);
  CHECK(line["rate"].get_double().value() == 1.5);
  CHECK(line["final"].get_bool().value());
  CHECK(std::string(line["error"].get_string().value()) ==
        "NOT_FOUND: no block 7");
  CHECK(line["took"].get_double().value() == 0.25);
  const std::string time(line["time"].get_string().value());
  CHECK(time.size() == 27);  // 2026-11-23T10:00:00.123456Z
  CHECK(time.back() == 'Z');
}

TEST_CASE("lines below the level are dropped", "[log]") {
  CapturedLines captured;
  Init("test", Level::kWarning);
  Info("dropped");
  Debug("dropped");
  Warning("kept");
  Error("kept");
  CHECK(captured.lines.size() == 2);
  CHECK_FALSE(Enabled(Level::kInfo));
}

TEST_CASE("values that would break JSON are escaped", "[log]") {
  std::string out;
  constexpr char kAwkward[] =
      "quote\" back\\ nl\n tab\t nul\0 bad\xff ok \xc3\xa9";
  AppendJsonString(&out, std::string(kAwkward, sizeof(kAwkward) - 1));
  CHECK(out == R"("quote\" back\\ nl\n tab\t nul\u0000 bad\ufffd ok é")");
  simdjson::dom::parser parser;
  CHECK(parser.parse(out).error() == simdjson::SUCCESS);
}

TEST_CASE("log levels parse by name", "[log]") {
  CHECK(*ParseLevel("DEBUG") == Level::kDebug);
  CHECK(*ParseLevel("warn") == Level::kWarning);
  const auto bad = ParseLevel("verbose");
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()).find("verbose") !=
        std::string::npos);
}

}  // namespace
}  // namespace chainsync::log
