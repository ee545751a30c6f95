// The arithmetic of the HTTP server's connection caps.
#include "libs/common/server/connection_limits.h"

#include <catch2/catch.hpp>

namespace chainsync {
namespace {

TEST_CASE("connections are capped in all and per address", "[http_server]") {
  ConnectionLimits limits(3, 2);
  CHECK_FALSE(limits.Open("10.0.0.1").has_value());
  CHECK_FALSE(limits.Open("10.0.0.1").has_value());
  CHECK(limits.Open("10.0.0.1") == "per_address");
  CHECK_FALSE(limits.Open("10.0.0.2").has_value());
  CHECK(limits.Open("10.0.0.3") == "total");
  // A closed connection makes room again, for its address and in all.
  limits.Close("10.0.0.1");
  CHECK_FALSE(limits.Open("10.0.0.1").has_value());
}

TEST_CASE("no per-address cap, and a total within the descriptor limit",
          "[http_server]") {
  ConnectionLimits limits(0, 0);
  CHECK(limits.max_total() > 0);
  for (int i = 0; i < 100; ++i) CHECK_FALSE(limits.Open("10.0.0.1"));
  CHECK(ConnectionLimits(5, 0).max_total() == 5);
}

}  // namespace
}  // namespace chainsync
