// The gateway end to end, through real HTTP: gateway + indexer + Postgres +
// anvil with the reference contracts; the oracle's and reconciler's routes
// against stand-ins that answer every call with defaults.
#include "services/api-gateway/gateway.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/services/api-gateway/gateway_test_support.h"
#include "tests/services/api-gateway/indexed_chain.h"

namespace chainsync::gateway {
namespace {

simdjson::dom::element Parse(simdjson::dom::parser& parser,
                             const std::string& body) {
  simdjson::dom::element json;
  INFO(body);
  REQUIRE(parser.parse(body).get(json) == simdjson::SUCCESS);
  return json;
}

// Mismatches lists, for each token, where the gateway's answer for
// `holder`'s balances differs from the chain's balanceOf; empty when they
// agree.
std::vector<std::string> Mismatches(IndexedChain& chain,
                                    const evm::Address& holder) {
  const auto balance_of =
      *evm::AbiFunction::Parse("balanceOf(address) returns (uint256)");
  const std::string token =
      Token(holder.ToChecksumHex(), "", absl::Now() + absl::Minutes(5));
  const auto response = chain.gateway->Send(
      "GET",
      absl::StrCat("/api/realtime/balances?address=", holder.ToLowerHex()),
      token);
  INFO(response.body);
  REQUIRE(response.status == 200);
  CHECK(!response.Header("x-request-id").empty());
  simdjson::dom::parser parser;
  const auto json = Parse(parser, response.body);
  std::map<std::string, std::string> balances;
  for (simdjson::dom::element balance : json["balances"].get_array()) {
    balances[absl::AsciiStrToLower(
        std::string(balance["tokenAddress"].get_string().value()))] =
        std::string(balance["balance"].get_string().value());
  }
  std::vector<std::string> mismatches;
  for (const char* name : {"RBTCSynth", "WrappedRBTC"}) {
    const evm::Address address =
        chain.workload->deployment().Find(name)->address;
    const auto output = chain.workload->client().EthCall(
        {.to = address, .data = *balance_of.EncodeCall({holder})},
        evm::BlockRef::Latest());
    const std::string on_chain = evm::ToDecimal(std::get<evm::Uint256>(
        balance_of.DecodeOutput(*output)->front().value));
    const auto found = balances.find(address.ToLowerHex());
    const std::string served = found == balances.end() ? "0" : found->second;
    if (served != on_chain) {
      mismatches.push_back(absl::StrCat(holder.ToLowerHex(), " ", name,
                                        ": served ", served, ", on chain ",
                                        on_chain));
    }
  }
  return mismatches;
}

TEST_CASE("balances and transactions over REST match the chain", "[gateway]") {
  IndexedChain chain;
  for (const evm::Address& holder : chain.workload->holders()) {
    CHECK(Mismatches(chain, holder).empty());
  }

  // The history of one account, page by page, is what the indexer holds.
  const std::string holder = chain.holder();
  const std::string token = Token(holder, "", absl::Now() + absl::Minutes(5));
  std::string page_token;
  size_t entries = 0;
  for (int page = 0; page < 100; ++page) {
    const auto response = chain.gateway->Send(
        "GET",
        absl::StrCat("/api/realtime/transactions?address=", holder,
                     "&page_size=2&pageToken=", page_token),
        token);
    INFO(response.body);
    REQUIRE(response.status == 200);
    simdjson::dom::parser parser;
    const auto json = Parse(parser, response.body);
    const auto activities = json["activities"].get_array();
    CHECK(activities.size() <= 2);
    entries += activities.size();
    page_token = std::string(json["nextPageToken"].get_string().value());
    if (page_token.empty()) break;
  }
  const auto stored = indexer::Rows(
      *chain.database.Connect(),
      absl::StrCat("SELECT 1 FROM indexer.activity WHERE account = "
                   "decode('",
                   holder.substr(2), "', 'hex')"));
  CHECK(entries == stored.size());
  CHECK(entries > 0);
}

TEST_CASE("events over REST carry their stream sequence", "[gateway]") {
  IndexedChain chain;
  const HttpClientResponse answer =
      chain.gateway->Send("GET", "/api/events?pageSize=50");
  REQUIRE(answer.status == 200);
  simdjson::dom::parser parser;
  uint64_t previous = 0;
  int events = 0;
  for (simdjson::dom::element event :
       parser.parse(answer.body)["events"].get_array()) {
    uint64_t sequence = 0;
    REQUIRE(absl::SimpleAtoi(
        std::string(event["sequence"].get_string().value()), &sequence));
    CHECK(sequence > previous);
    previous = sequence;
    ++events;
  }
  CHECK(events >= 2);
}

TEST_CASE("/readyz names a backend it cannot reach, and stays ready",
          "[gateway]") {
  IndexedChain chain;
  // Nothing listens on port 1.
  chain.StartGateway({"--oracle_address=127.0.0.1:1"});
  constexpr char kOracle[] =
      R"({"name":"chainsync.oracle.v1.OracleService","reachable":false,)";
  constexpr char kIndexer[] =
      R"({"name":"chainsync.indexer.v1.IndexerService","reachable":true,)";
  HttpClientResponse ready;
  // The first probe makes each channel connect; the next ones know.
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       absl::Now() < deadline; absl::SleepFor(absl::Milliseconds(100))) {
    ready = chain.gateway->Admin("/readyz");
    if (absl::StrContains(ready.body, kOracle) &&
        absl::StrContains(ready.body, kIndexer)) {
      break;
    }
  }
  INFO(ready.body);
  CHECK(ready.status == 200);
  CHECK(absl::StrContains(ready.body, kOracle));
  CHECK(absl::StrContains(ready.body, kIndexer));
  CHECK(
      chain.gateway->Metric(
          R"(gateway_backend_up{service="chainsync.oracle.v1.OracleService"})") ==
      0);
  CHECK(
      chain.gateway->Metric(
          R"(gateway_backend_up{service="chainsync.indexer.v1.IndexerService"})") ==
      1);
}

TEST_CASE("a kept balance gives way once an event touches the account",
          "[gateway]") {
  IndexedChain chain;
  const std::vector<evm::Address> holders = chain.workload->holders();
  const std::string hits =
      R"(http_cache_lookups_total{route="/api/realtime/balances",result="hit"})";
  const auto metric = [&](const std::string& sample) {
    const auto response = chain.gateway->Admin("/metrics");
    for (absl::string_view line : absl::StrSplit(response.body, '\n')) {
      if (absl::ConsumePrefix(&line, sample + " ")) {
        double value = 0;
        if (absl::SimpleAtod(line, &value)) return value;
      }
    }
    return 0.0;
  };
  // Answers are kept once the gateway follows the indexer's stream.
  for (int i = 0; i < 100 && metric(hits) == 0; ++i) {
    CHECK(Mismatches(chain, holders.front()).empty());
  }
  const double hits_before = metric(hits);
  for (const evm::Address& holder : holders) {
    // The second answer is the kept one.
    CHECK(Mismatches(chain, holder).empty());
    CHECK(Mismatches(chain, holder).empty());
  }
  CHECK(metric(hits) - hits_before >= holders.size());

  // Syncs change the rBTC balances of the three users; once indexed, every
  // answer is the new one.
  for (size_t user = 0; user < 3; ++user) {
    chain.workload->Sync(user, 777'000 + user);
  }
  REQUIRE(indexer::WaitForIndexed(
      *chain.indexer, chain.database.url(),
      static_cast<int64_t>(*chain.workload->client().BlockNumber())));
  for (const evm::Address& holder : holders) {
    std::vector<std::string> mismatches = Mismatches(chain, holder);
    // The event reaches the gateway's stream a moment after the commit.
    for (int i = 0; i < 100 && !mismatches.empty(); ++i) {
      absl::SleepFor(absl::Milliseconds(20));
      mismatches = Mismatches(chain, holder);
    }
    INFO(absl::StrJoin(mismatches, "; "));
    CHECK(mismatches.empty());
  }

  // Without the indexer's stream nothing kept is served.
  chain.indexer->Signal(SIGKILL);
  REQUIRE(chain.indexer->Wait(absl::Seconds(10)).ok());
  const evm::Address& holder = holders.front();
  for (int i = 0; i < 100 && metric("realtime_upstream_connected") == 1; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const auto response = chain.gateway->Send(
      "GET",
      absl::StrCat("/api/realtime/balances?address=", holder.ToLowerHex()),
      Token(holder.ToChecksumHex(), "", absl::Now() + absl::Minutes(5)));
  INFO(response.body);
  CHECK(response.status == 503);
}

TEST_CASE("the auth matrix holds on every route", "[gateway]") {
  IndexedChain chain;
  const std::string holder = chain.holder();
  const std::string other = "0x00000000000000000000000000000000000000aa";
  const absl::Time later = absl::Now() + absl::Minutes(5);
  struct Caller {
    const char* name;
    std::string token;
  };
  const std::vector<Caller> callers = {
      {"no token", ""},
      {"malformed", "not.a-token"},
      {"expired", Token(holder, "", absl::Now() - absl::Minutes(5))},
      {"another user", Token(other, "", later)},
      {"wrong secret", Token(holder, "admin", later, "another secret")},
      {"the user", Token(holder, "", later)},
      {"an admin", Token(other, "admin", later)},
  };
  const auto expected = [](api::v1::Access access, absl::string_view caller) {
    if (caller == "malformed" || caller == "expired" ||
        caller == "wrong secret") {
      return 401;
    }
    if (access == api::v1::ACCESS_PUBLIC || caller == "an admin") return 200;
    if (caller == "no token") return 401;
    if (access == api::v1::ACCESS_AUTHENTICATED) return 200;
    if (access == api::v1::ACCESS_OWNER && caller == "the user") return 200;
    return 403;
  };
  auto api = Gateway::Create({});
  REQUIRE(api.ok());
  int checked = 0;
  for (const Route& route : (*api)->routes().routes()) {
    if (route.streaming) continue;
    // The path with its fields filled in, and the owner named.
    std::string path;
    for (const std::string& segment : route.segments) {
      const bool field = absl::StartsWith(segment, "{");
      absl::StrAppend(&path, "/",
                      !field                   ? std::string(segment)
                      : segment == "{address}" ? holder
                                               : std::string("1"));
    }
    std::string query;
    if (route.access.access() == api::v1::ACCESS_OWNER &&
        !absl::StrContains(
            route.path, absl::StrCat("{", route.access.owner_field(), "}"))) {
      query = absl::StrCat("?", route.access.owner_field(), "=", holder);
    }
    // A body the route's RPC accepts.
    std::string body = route.body == "*" ? "{}" : "";
    if (route.path == "/api/admin/indexer/reread") {
      body = R"({"from_block": 1, "reason": "the auth matrix"})";
    }
    for (const Caller& caller : callers) {
      INFO(route.http_method << " " << route.path << " by " << caller.name);
      const auto response = chain.gateway->Send(route.http_method, path + query,
                                                caller.token, body);
      INFO(response.body);
      CHECK(response.status == expected(route.access.access(), caller.name));
      if (response.status == 401) {
        CHECK(absl::StartsWith(response.Header("www-authenticate"), "Bearer"));
      }
      ++checked;
    }
  }
  CHECK(checked > 100);
  // The stand-in saw who called and with which request id.
  CHECK(chain.stand_in.LastMetadata("x-chainsync-subject") == other);
  CHECK(!chain.stand_in.LastMetadata("x-request-id").empty());
}

TEST_CASE("malformed requests get a 4xx that names the problem", "[gateway]") {
  IndexedChain chain;
  const std::string holder = chain.holder();
  const std::string admin =
      Token(holder, "admin", absl::Now() + absl::Minutes(5));
  struct Case {
    const char* method;
    std::string target;
    std::string body;
    int status;
    const char* names;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/no/such/route", "", 404, "/api/no/such/route"},
      {"DELETE", "/api/realtime/balances", "", 405, "DELETE"},
      {"GET", "/api/realtime/balances?address=0x1234", "", 400, "address"},
      {"GET", "/api/realtime/balances?adress=" + holder, "", 400, "adress"},
      {"GET", "/api/realtime/transactions?address=" + holder + "&page_size=x",
       "", 400, "page_size"},
      {"GET", "/api/realtime/balances?address=%zz", "", 400, "percent"},
      {"GET", "/api/realtime/balances?address=%ff", "", 400, "UTF-8"},
      {"POST", "/api/realtime/bitcoin-addresses", "{not json", 400, "JSON"},
      {"POST", "/api/realtime/bitcoin-addresses", "[1]", 400, "object"},
      {"POST", "/api/realtime/bitcoin-addresses", R"({"nope": 1})", 400,
       "nope"},
      {"POST", "/api/realtime/bitcoin-addresses", R"({"address": 5})", 400,
       "address"},
      {"GET", "/api/realtime/balances?address=" + holder, "{}", 400, "no body"},
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.target << " " << c.body);
    const auto response =
        chain.gateway->Send(c.method, c.target, admin, c.body);
    INFO(response.body);
    CHECK(response.status == c.status);
    CHECK(absl::StrContains(response.body, c.names));
    simdjson::dom::parser parser;
    const auto json = Parse(parser, response.body);
    // As grpc-gateway answers: the gRPC code as a number, and by name.
    CHECK(json["code"].is_int64());
    CHECK(json["status"].is_string());
    CHECK(json["message"].is_string());
  }
  // A 405 says which methods the path takes.
  CHECK(chain.gateway->Send("DELETE", "/api/realtime/balances", admin)
            .Header("allow") == "GET");
  // An oversized body is refused before it is read.
  const auto big =
      chain.gateway->Send("POST", "/api/realtime/bitcoin-addresses", admin,
                          std::string(2 << 20, 'x'));
  CHECK(big.status == 413);
}

TEST_CASE("callers beyond their rate get 429 with Retry-After", "[gateway]") {
  EmptyAnswers stand_in;
  GatewayProcess gateway({"--rate_limit=1", "--rate_burst=3",
                          "--oracle_address=" + stand_in.address(),
                          "--reconciler_address=" + stand_in.address()});
  const std::string route = "/api/health";
  for (int i = 0; i < 3; ++i) CHECK(gateway.Send("GET", route).status == 200);
  const auto limited = gateway.Send("GET", route);
  CHECK(limited.status == 429);
  CHECK(limited.Header("retry-after") == "1");
  CHECK(absl::StrContains(limited.body, "RESOURCE_EXHAUSTED"));
  // A caller with a token (from chainsync-token) has a bucket of its own.
  auto minted = testing::Subprocess::Start(
      {CHAINSYNC_TOKEN_BIN, "--sub=0x00000000000000000000000000000000000000bb"},
      {{"CHAINSYNC_JWT_SECRET", kJwtSecret}});
  REQUIRE(minted.ok());
  const auto token = (*minted)->ReadLine(absl::Seconds(10));
  REQUIRE(token.has_value());
  CHECK(*(*minted)->Wait(absl::Seconds(10)) == 0);
  CHECK(gateway.Send("GET", route, *token).status == 200);
}

TEST_CASE("pages of allowed origins may call the API", "[gateway]") {
  EmptyAnswers stand_in;
  GatewayProcess gateway({"--cors_origins=https://app.example",
                          "--reconciler_address=" + stand_in.address()});
  const auto allowed = gateway.Send("GET", "/api/health", "", "",
                                    {{"origin", "https://app.example"}});
  CHECK(allowed.status == 200);
  CHECK(allowed.Header("access-control-allow-origin") == "https://app.example");
  CHECK(absl::StrContains(allowed.Header("access-control-expose-headers"),
                          "x-request-id"));
  const auto other = gateway.Send("GET", "/api/health", "", "",
                                  {{"origin", "https://evil.example"}});
  CHECK(other.status == 200);
  CHECK(other.Header("access-control-allow-origin").empty());

  const auto preflight =
      gateway.Send("OPTIONS", "/api/realtime/balances", "", "",
                   {{"origin", "https://app.example"},
                    {"access-control-request-method", "GET"},
                    {"access-control-request-headers", "authorization"}});
  CHECK(preflight.status == 204);
  CHECK(absl::StrContains(preflight.Header("access-control-allow-headers"),
                          "authorization"));
  CHECK(preflight.Header("access-control-allow-origin") ==
        "https://app.example");
  const auto refused = gateway.Send("OPTIONS", "/api/realtime/balances", "", "",
                                    {{"origin", "https://evil.example"},
                                     {"access-control-request-method", "GET"}});
  CHECK(refused.status == 403);
}

// Refs collects every "$ref" of a JSON document.
void Refs(simdjson::dom::element value, std::set<std::string>* refs) {
  if (value.is_object()) {
    for (auto [key, member] : value.get_object()) {
      if (key == "$ref") refs->insert(std::string(member.get_string().value()));
      Refs(member, refs);
    }
  } else if (value.is_array()) {
    for (simdjson::dom::element item : value.get_array()) Refs(item, refs);
  }
}

TEST_CASE("GET /api/openapi.json lists every route", "[gateway]") {
  GatewayProcess gateway({});
  const auto response = gateway.Send("GET", "/api/openapi.json");
  REQUIRE(response.status == 200);
  simdjson::dom::parser parser;
  const auto document = Parse(parser, response.body);
  CHECK(std::string(document["openapi"].get_string().value()) == "3.0.3");
  auto api = Gateway::Create({});
  REQUIRE(api.ok());
  std::set<std::string> operation_ids;
  for (const Route& route : (*api)->routes().routes()) {
    INFO(route.http_method << " " << route.path);
    std::string method = absl::AsciiStrToLower(route.http_method);
    simdjson::dom::element operation;
    REQUIRE(document["paths"][route.path][method].get(operation) ==
            simdjson::SUCCESS);
    // A protected operation needs a bearer token; a public one takes one
    // or none (`{}`).
    CHECK(simdjson::minify(operation["security"]) ==
          (route.access.access() == api::v1::ACCESS_PUBLIC
               ? R"([{},{"bearer":[]}])"
               : R"([{"bearer":[]}])"));
    // The WebSocket binding answers with an upgrade, the others with 200.
    const bool websocket = route.path == "/api/realtime/ws";
    CHECK(operation["responses"][websocket ? "101" : "200"].is_object());
    CHECK(operation["responses"]["200"].is_object() == !websocket);
    // operationIds are unique (OpenAPI requires it), also for a method
    // bound to several paths.
    CHECK(
        operation_ids
            .insert(std::string(operation["operationId"].get_string().value()))
            .second);
  }
  CHECK(std::string(document["servers"].at(0)["url"].get_string().value()) ==
        "/");
  // The stream's filter is described, as the gateway reads it.
  std::set<std::string> stream_parameters;
  for (simdjson::dom::element parameter :
       document["paths"]["/api/realtime/stream"]["get"]["parameters"]
           .get_array()) {
    stream_parameters.insert(
        std::string(parameter["name"].get_string().value()));
  }
  CHECK(stream_parameters.count("filter.accountAddresses") == 1);
  CHECK(stream_parameters.count("afterSequence") == 1);
  // Redocly's linter (npm @redocly/cli) passes it under its recommended
  // rules, with no error and no warning. Offline: no telemetry, no update
  // check.
  const std::string file =
      absl::StrCat("/tmp/chainsync_openapi_", getpid(), ".json");
  std::ofstream(file) << response.body;
  auto linter = testing::Subprocess::Start(
      {CHAINSYNC_REDOCLY, "lint", "--format=stylish",
       absl::StrCat("--config=", CHAINSYNC_SOURCE_DIR,
                    "/tests/services/api-gateway/redocly.yaml"),
       file},
      {{"REDOCLY_TELEMETRY", "off"},
       {"REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"}});
  REQUIRE(linter.ok());
  const bool valid =
      (*linter)
          ->WaitForLine("Your API description is valid", absl::Seconds(120))
          .has_value();
  (void)(*linter)->WaitForLine("never printed", absl::Seconds(5));
  std::string report;
  for (const std::string& line : (*linter)->lines()) {
    absl::StrAppend(&report, line, "\n");
  }
  INFO(report);
  CHECK(valid);
  // Its tally ("You have 1 warning.") comes only when there is one.
  CHECK_FALSE(absl::StrContains(report, "You have"));
  CHECK(*(*linter)->Wait(absl::Seconds(60)) == 0);
  std::remove(file.c_str());
  // Every schema and response a route refers to is in the document.
  std::set<std::string> refs;
  Refs(document, &refs);
  CHECK(refs.size() > 10);
  for (const std::string& ref : refs) {
    INFO(ref);
    const std::vector<std::string> parts = absl::StrSplit(ref, '/');
    REQUIRE(parts.size() == 4);
    REQUIRE(parts[1] == "components");
    CHECK(document["components"][parts[2]][parts[3]].is_object());
  }
}

}  // namespace
}  // namespace chainsync::gateway
