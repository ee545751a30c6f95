#include "libs/common/http/http_client.h"

#include <atomic>
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http_test_server.h"

namespace chainsync {
namespace {

using testing::FakeClock;
using testing::StartHttpServer;
using testing::UrlOf;

// A route that answers `failures` times with `failure` and then 200.
HttpRouter FlakyRouter(std::atomic<int>* calls, int failures,
                       HttpResponse failure) {
  HttpRouter router;
  auto handler = [calls, failures, failure](HttpRequest, HttpReply reply) {
    const int call = calls->fetch_add(1);
    std::move(reply).Send(call < failures ? failure
                                          : HttpResponse::Text(200, "ok"));
  };
  router.Handle("GET", "/flaky", handler);
  router.Handle("POST", "/flaky", handler);
  return router;
}

std::unique_ptr<HttpClient> ClientWith(FakeClock* clock, int attempts = 5) {
  HttpClientOptions options;
  options.clock = clock;
  options.retry.max_attempts = attempts;
  options.retry.backoff = {.initial_delay = absl::Milliseconds(100),
                           .max_delay = absl::Seconds(5),
                           .multiplier = 2,
                           .jitter = 0};
  return *HttpClient::Create(options);
}

TEST_CASE("503s are retried with exponential backoff", "[http_client]") {
  std::atomic<int> calls{0};
  auto server =
      StartHttpServer(FlakyRouter(&calls, 2, HttpResponse::Text(503, "busy")));
  FakeClock clock;
  auto response = ClientWith(&clock)->Send({.url = UrlOf(*server, "/flaky")});
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->attempts == 3);
  CHECK(clock.sleeps() == std::vector<absl::Duration>{absl::Milliseconds(100),
                                                      absl::Milliseconds(200)});
}

TEST_CASE("Retry-After is honoured", "[http_client]") {
  std::atomic<int> calls{0};
  HttpResponse limited = HttpResponse::Text(429, "slow down");
  limited.headers.emplace_back("retry-after", "3");
  auto server = StartHttpServer(FlakyRouter(&calls, 1, limited));
  FakeClock clock;
  auto response = ClientWith(&clock)->Send({.url = UrlOf(*server, "/flaky")});
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(clock.sleeps() == std::vector<absl::Duration>{absl::Seconds(3)});
}

TEST_CASE("a Retry-After beyond the limit returns the 429", "[http_client]") {
  std::atomic<int> calls{0};
  HttpResponse limited = HttpResponse::Text(429, "come back tomorrow");
  limited.headers.emplace_back("retry-after", "86400");
  auto server = StartHttpServer(FlakyRouter(&calls, 1, limited));
  FakeClock clock;
  auto response = ClientWith(&clock)->Send({.url = UrlOf(*server, "/flaky")});
  REQUIRE(response.ok());
  CHECK(response->status == 429);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("retries stop after the last attempt with the last response",
          "[http_client]") {
  std::atomic<int> calls{0};
  auto server = StartHttpServer(
      FlakyRouter(&calls, 100, HttpResponse::Text(504, "late")));
  FakeClock clock;
  auto response =
      ClientWith(&clock, 3)->Send({.url = UrlOf(*server, "/flaky")});
  REQUIRE(response.ok());
  CHECK(response->status == 504);
  CHECK(calls.load() == 3);
}

TEST_CASE("non-idempotent requests are retried only when refused",
          "[http_client]") {
  std::atomic<int> calls{0};
  auto server = StartHttpServer(
      FlakyRouter(&calls, 1, HttpResponse::Text(502, "bad gateway")));
  FakeClock clock;
  auto once = ClientWith(&clock)->Send(
      {.method = "POST", .url = UrlOf(*server, "/flaky"), .idempotent = false});
  REQUIRE(once.ok());
  CHECK(once->status == 502);
  CHECK(calls.load() == 1);

  std::atomic<int> refused_calls{0};
  auto refusing = StartHttpServer(
      FlakyRouter(&refused_calls, 1, HttpResponse::Text(503, "busy")));
  auto retried = ClientWith(&clock)->Send({.method = "POST",
                                           .url = UrlOf(*refusing, "/flaky"),
                                           .idempotent = false});
  REQUIRE(retried.ok());
  CHECK(retried->status == 200);
  CHECK(refused_calls.load() == 2);
}

TEST_CASE("an unreachable server is UNAVAILABLE naming its host, not its path",
          "[http_client]") {
  int port;
  {
    auto server = StartHttpServer(HttpRouter());
    port = server->port();
  }
  FakeClock clock;
  const std::string host = absl::StrCat("http://127.0.0.1:", port);
  auto response = ClientWith(&clock, 3)->Send(
      {.url = host + "/v3/secret-api-key?token=also-secret"});
  REQUIRE(absl::IsUnavailable(response.status()));
  const std::string message(response.status().message());
  CHECK(message.find(host) != std::string::npos);
  CHECK(message.find("secret") == std::string::npos);
  CHECK(clock.sleeps().size() == 2);
}

TEST_CASE("a slow server is DEADLINE_EXCEEDED", "[http_client]") {
  HttpRouter router;
  router.Handle("GET", "/slow", [](HttpRequest, HttpReply reply) {
    testing::ReplyAfter(std::move(reply), absl::Milliseconds(500),
                        HttpResponse::Text(200, "late"));
  });
  auto server = StartHttpServer(std::move(router));
  FakeClock clock;
  auto response = ClientWith(&clock, 1)->Send(
      {.url = UrlOf(*server, "/slow"), .timeout = absl::Milliseconds(100)});
  CHECK(absl::IsDeadlineExceeded(response.status()));
}

TEST_CASE("Retry-After parses seconds and HTTP dates", "[http_client]") {
  const absl::Time now =
      absl::FromUnixSeconds(1'700'000'000);  // 2023-11-14 22:13:20
  CHECK(ParseRetryAfter("120", now) == absl::Seconds(120));
  CHECK(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now) ==
        absl::Seconds(30));
  CHECK(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now) ==
        absl::ZeroDuration());
  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-5", now).has_value());
}

}  // namespace
}  // namespace chainsync
