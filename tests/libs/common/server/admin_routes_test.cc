#include "libs/common/server/admin_routes.h"

#include <catch2/catch.hpp>

#include "libs/common/http/http_client.h"
#include "tests/support/http_test_server.h"
#include "tests/support/promtool.h"

namespace chainsync {
namespace {

TEST_CASE("admin routes serve metrics, liveness and readiness", "[admin]") {
  metrics::Registry registry;
  registry.AddCounter("chainsync_test_things_total", "Things.")
      .WithLabels({})
      .Increment();
  Readiness readiness;
  HttpRouter router;
  AddAdminRoutes(router, registry, readiness);
  auto server = testing::StartHttpServer(std::move(router));
  // One attempt: a 503 from /readyz is the answer under test, not a reason
  // to retry.
  auto client = *HttpClient::Create({.retry = {.max_attempts = 1}});

  auto metrics = client->Send({.url = testing::UrlOf(*server, "/metrics")});
  REQUIRE(metrics.ok());
  CHECK(metrics->status == 200);
  CHECK(metrics->Header("content-type") ==
        "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics->body.find("chainsync_test_things_total 1\n") !=
        std::string::npos);
  CHECK(testing::CheckMetrics(metrics->body).exit_code == 0);

  auto live = client->Send({.url = testing::UrlOf(*server, "/healthz")});
  REQUIRE(live.ok());
  CHECK(live->status == 200);

  auto starting = client->Send({.url = testing::UrlOf(*server, "/readyz")});
  REQUIRE(starting.ok());
  CHECK(starting->status == 503);
  CHECK(starting->body == R"({"status":"not ready","reason":"starting"})");

  readiness.Set(true);
  auto ready = client->Send({.url = testing::UrlOf(*server, "/readyz")});
  REQUIRE(ready.ok());
  CHECK(ready->status == 200);

  // Blocked work makes it not ready, saying why, until it goes on.
  readiness.SetBlocked("chain 1 is not indexed past block 7");
  auto blocked = client->Send({.url = testing::UrlOf(*server, "/readyz")});
  REQUIRE(blocked.ok());
  CHECK(blocked->status == 503);
  CHECK(
      blocked->body ==
      R"({"status":"not ready","reason":"chain 1 is not indexed past block 7"})");
  readiness.SetBlocked("");
  auto unblocked = client->Send({.url = testing::UrlOf(*server, "/readyz")});
  REQUIRE(unblocked.ok());
  CHECK(unblocked->status == 200);

  // Draining wins over a block, and a block cleared while draining leaves
  // it not ready.
  readiness.SetBlocked("blocked");
  readiness.Set(false, "shutting down");
  readiness.SetBlocked("");
  CHECK_FALSE(readiness.ready());
  auto draining = client->Send({.url = testing::UrlOf(*server, "/readyz")});
  REQUIRE(draining.ok());
  CHECK(draining->status == 503);
  CHECK(draining->body.find("shutting down") != std::string::npos);
}

}  // namespace
}  // namespace chainsync
