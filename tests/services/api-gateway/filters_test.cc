// The gateway's request filters, each on its own, and the chain they make:
// every route, streaming ones included, passes the access rule. No server
// and no backend: an exchange records what it was answered.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "services/api-gateway/gateway.h"
#include "services/api-gateway/request_filters.h"
#include "services/api-gateway/transcoder.h"
#include "tests/support/fake_clock.h"

namespace chainsync::gateway {
namespace {

constexpr char kSecret[] = "filters-test-secret";
constexpr char kAlice[] = "0x00000000000000000000000000000000000000a1";

// RecordedExchange keeps its answer instead of sending it.
class RecordedExchange final : public Exchange {
 public:
  using Exchange::Exchange;

  std::optional<HttpResponse> answer;

  absl::string_view Header(absl::string_view name) const {
    for (const auto& [key, value] : answer->headers) {
      if (key == name) return value;
    }
    return "";
  }

 private:
  void Send(HttpResponse response) override { answer = std::move(response); }
  void Record(int) override {}
  HttpReply* Connection() override { return nullptr; }
};

HttpRequest Request(
    std::string method, std::string target,
    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = target;
  const size_t query = target.find('?');
  request.path = target.substr(0, query);
  if (query != std::string::npos) request.query = target.substr(query + 1);
  request.headers = std::move(headers);
  request.remote_address = "192.0.2.7";
  return request;
}

std::string Token(absl::string_view subject, bool admin = false) {
  return absl::StrCat(
      "Bearer ", SignHs256(absl::StrCat(R"({"sub":")", subject, R"(","exp":)",
                                        absl::ToUnixSeconds(absl::Now()) + 600,
                                        admin ? R"(,"role":"admin")" : "", "}"),
                           Secret(kSecret)));
}

// Routes are the gateway's routes, read from the backends' protos.
const RouteTable& Routes() {
  static const auto* gateway = Gateway::Create({}).value().release();
  return gateway->routes();
}

// Filtered runs one filter on an exchange and tells whether it passed it on.
struct Filtered {
  std::shared_ptr<RecordedExchange> exchange;
  bool passed = false;
};

Filtered Run(const Filter& filter, std::shared_ptr<RecordedExchange> exchange) {
  Filtered result{exchange};
  filter.Handle(exchange,
                [&result](std::shared_ptr<Exchange>) { result.passed = true; });
  return result;
}

std::shared_ptr<RecordedExchange> ExchangeFor(HttpRequest request) {
  absl::StatusOr<RouteMatch> match =
      Routes().Match(request.method, request.path);
  return std::make_shared<RecordedExchange>(std::move(request),
                                            std::move(match), "req-1");
}

// Built is an exchange through the route filter: its message made.
std::shared_ptr<RecordedExchange> Built(HttpRequest request) {
  auto exchange = ExchangeFor(std::move(request));
  RouteFilter route(Routes(), "{}");
  REQUIRE(Run(route, exchange).passed);
  return exchange;
}

struct Auth {
  std::shared_ptr<const JwtVerifier> verifier =
      JwtVerifier::Create({.hs256_secret = Secret(kSecret)}).value();
  Authenticator authenticator{verifier};
};

TEST_CASE("CORS: allowed origins read answers and pass preflight",
          "[gateway][filters]") {
  CorsFilter cors({"https://app.example"});
  auto allowed =
      Run(cors, ExchangeFor(Request("GET", "/api/x",
                                    {{"origin", "https://app.example"}})));
  CHECK(allowed.passed);
  CHECK(allowed.exchange->headers.front().second == "https://app.example");
  auto other =
      Run(cors,
          ExchangeFor(Request("GET", "/api/x", {{"origin", "https://evil"}})));
  CHECK(other.passed);
  CHECK(other.exchange->headers.empty());

  auto preflight = Run(
      cors, ExchangeFor(Request("OPTIONS", "/api/x",
                                {{"origin", "https://app.example"},
                                 {"access-control-request-method", "POST"}})));
  CHECK_FALSE(preflight.passed);
  CHECK(preflight.exchange->answer->status == 204);
  CHECK(preflight.exchange->Header("access-control-allow-methods") != "");
  auto refused = Run(
      cors, ExchangeFor(Request("OPTIONS", "/api/x",
                                {{"origin", "https://evil"},
                                 {"access-control-request-method", "POST"}})));
  CHECK_FALSE(refused.passed);
  CHECK(refused.exchange->answer->status == 403);
}

TEST_CASE("rate limit: per token subject, else per address",
          "[gateway][filters]") {
  Auth auth;
  testing::FakeClock clock;
  RateLimiter limiter(1, 1, 100, clock);
  RateLimitFilter filter(limiter, auth.authenticator);
  const auto from = [](std::string authorization) {
    return ExchangeFor(
        Request("GET", "/api/x",
                authorization.empty()
                    ? std::vector<std::pair<std::string, std::string>>{}
                    : std::vector<std::pair<std::string, std::string>>{
                          {"authorization", authorization}}));
  };
  CHECK(Run(filter, from("")).passed);
  auto limited = Run(filter, from(""));
  CHECK_FALSE(limited.passed);
  CHECK(limited.exchange->answer->status == 429);
  CHECK(limited.exchange->Header("retry-after") == "1");
  // A caller with a token has a bucket of its own, even from that address;
  // a token that does not verify counts as its address.
  CHECK(Run(filter, from(Token(kAlice))).passed);
  CHECK_FALSE(Run(filter, from("Bearer forged")).passed);
}

TEST_CASE("authenticate: a bad token is refused, none is anonymous",
          "[gateway][filters]") {
  Auth auth;
  AuthenticateFilter filter(auth.authenticator);
  auto anonymous = Run(filter, ExchangeFor(Request("GET", "/api/x")));
  CHECK(anonymous.passed);
  CHECK_FALSE(anonymous.exchange->caller().has_value());
  auto alice =
      Run(filter, ExchangeFor(Request("GET", "/api/x",
                                      {{"authorization", Token(kAlice)}})));
  REQUIRE(alice.passed);
  CHECK(alice.exchange->caller()->subject == kAlice);
  // The scheme's name is case-insensitive (RFC 7235).
  const std::string lower = "bearer " + Token(kAlice).substr(7);
  auto lowercase =
      Run(filter,
          ExchangeFor(Request("GET", "/api/x", {{"authorization", lower}})));
  REQUIRE(lowercase.passed);
  CHECK(lowercase.exchange->caller()->subject == kAlice);
  auto forged =
      Run(filter, ExchangeFor(Request("GET", "/api/x",
                                      {{"authorization", "Bearer a.b.c"}})));
  CHECK_FALSE(forged.passed);
  CHECK(forged.exchange->answer->status == 401);
  CHECK(absl::StrContains(forged.exchange->Header("www-authenticate"),
                          "invalid_token"));
}

TEST_CASE("route: unknown paths, other methods, the document, bad input",
          "[gateway][filters]") {
  RouteFilter filter(Routes(), R"({"openapi":"3.0.3"})");
  auto document = Run(filter, ExchangeFor(Request("GET", kOpenApiPath)));
  CHECK(document.exchange->answer->body == R"({"openapi":"3.0.3"})");
  auto unknown = Run(filter, ExchangeFor(Request("GET", "/api/nothing")));
  CHECK(unknown.exchange->answer->status == 404);
  auto method =
      Run(filter, ExchangeFor(Request("DELETE", "/api/realtime/balances")));
  CHECK(method.exchange->answer->status == 405);
  CHECK(method.exchange->Header("allow") == "GET");
  auto bad =
      Run(filter,
          ExchangeFor(Request("GET", "/api/realtime/balances?page_size=many")));
  CHECK_FALSE(bad.passed);
  CHECK(bad.exchange->answer->status == 400);

  // A value longer than a parameter may be never reaches a backend.
  auto oversized = Run(
      filter, ExchangeFor(Request(
                  "GET", absl::StrCat("/api/realtime/balances?address=0x",
                                      std::string(kMaxParameterBytes, 'a')))));
  CHECK_FALSE(oversized.passed);
  CHECK(oversized.exchange->answer->status == 400);
  CHECK(absl::StrContains(oversized.exchange->answer->body,
                          "is 1026 bytes; a parameter may have at most 1024"));

  auto resumed = Run(filter, ExchangeFor(Request("GET", "/api/realtime/stream",
                                                 {{"last-event-id", "41"}})));
  REQUIRE(resumed.passed);
  CHECK(static_cast<const indexer::v1::SubscribeRequest&>(
            *resumed.exchange->message)
            .after_sequence() == 41);
  auto unreadable =
      Run(filter, ExchangeFor(Request("GET", "/api/realtime/stream",
                                      {{"last-event-id", "forty"}})));
  CHECK(unreadable.exchange->answer->status == 400);
}

TEST_CASE("authorize: an account's route is its owner's and admins'",
          "[gateway][filters]") {
  Auth auth;
  AuthenticateFilter authenticate(auth.authenticator);
  AuthorizeFilter authorize;
  const auto as = [&](std::string authorization) {
    auto exchange = Built(
        Request("GET", absl::StrCat("/api/realtime/balances?address=", kAlice),
                {{"authorization", std::move(authorization)}}));
    REQUIRE(Run(authenticate, exchange).passed);
    return Run(authorize, exchange);
  };
  CHECK(as(Token(kAlice)).passed);
  CHECK(as(Token("0x00000000000000000000000000000000000000b2", true)).passed);
  auto other = as(Token("0x00000000000000000000000000000000000000b2"));
  CHECK_FALSE(other.passed);
  CHECK(other.exchange->answer->status == 403);
}

TEST_CASE("cache: a kept answer is served until its account is touched",
          "[gateway][filters]") {
  ResponseCache cache(10);
  cache.SetLive(true);
  metrics::Registry registry;
  CacheFilter filter(cache, registry);
  const std::string target =
      absl::StrCat("/api/realtime/balances?address=", kAlice);
  auto first = Run(filter, Built(Request("GET", target)));
  REQUIRE(first.passed);
  first.exchange->Answer(HttpResponse::Json(200, R"({"balances":[]})"));
  auto second = Run(filter, Built(Request("GET", target)));
  CHECK_FALSE(second.passed);
  CHECK(second.exchange->answer->body == R"({"balances":[]})");
  cache.Touch(kAlice);
  CHECK(Run(filter, Built(Request("GET", target))).passed);
}

// Reached counts the exchanges that passed every request filter.
class Reached final : public Filter {
 public:
  void Handle(std::shared_ptr<Exchange> exchange, Next) const override {
    ++count;
    exchange->Answer(HttpResponse::Json(200, "{}"));
  }
  mutable int count = 0;
};

// Example is a request to `route` that builds: its path fields filled.
HttpRequest Example(const Route& route) {
  std::string path = route.path;
  for (const std::string& segment : route.segments) {
    if (segment.size() > 2 && segment.front() == '{') {
      path = absl::StrReplaceAll(path, {{segment, "1"}});
    }
  }
  HttpRequest request = Request(route.http_method, path);
  if (!route.body.empty()) request.body = "{}";
  return request;
}

TEST_CASE("every route, streaming ones included, passes its access rule",
          "[gateway][filters]") {
  Auth auth;
  testing::FakeClock clock;
  RateLimiter limiter(1e9, 1e9, 100, clock);
  metrics::Registry registry;
  const std::vector<std::string> origins;
  auto reached = std::make_unique<Reached>();
  const Reached& terminal = *reached;
  std::vector<std::unique_ptr<Filter>> filters =
      RequestFilters{.cors_origins = origins,
                     .limiter = limiter,
                     .authenticator = auth.authenticator,
                     .routes = Routes(),
                     .openapi = "{}",
                     .registry = registry}
          .Make();
  filters.push_back(std::move(reached));
  const FilterChain chain(std::move(filters));
  const auto run = [&](const Route& route, std::string authorization) {
    HttpRequest request = Example(route);
    if (!authorization.empty())
      request.headers.emplace_back("authorization", authorization);
    auto exchange = std::make_shared<RecordedExchange>(
        std::move(request), RouteMatch{&route, {}}, "req");
    const int before = terminal.count;
    chain.Run(exchange);
    return std::make_pair(terminal.count > before, exchange->answer->status);
  };
  int streaming = 0;
  for (const Route& route : Routes().routes()) {
    INFO(route.http_method << " " << route.path);
    streaming += route.streaming;
    const auto [anonymous_reached, anonymous_status] = run(route, "");
    if (route.access.access() == api::v1::ACCESS_PUBLIC) {
      CHECK(anonymous_reached);
    } else {
      CHECK_FALSE(anonymous_reached);
      CHECK(anonymous_status == 401);
    }
    CHECK(run(route, Token(kAlice, /*admin=*/true)).first);
    // The same route closed to all but admins: a user is refused.
    Route admin_only = route;
    admin_only.access.set_access(api::v1::ACCESS_ADMIN);
    const auto [user_reached, user_status] = run(admin_only, Token(kAlice));
    CHECK_FALSE(user_reached);
    CHECK(user_status == 403);
  }
  CHECK(streaming >= 2);
}

}  // namespace
}  // namespace chainsync::gateway
