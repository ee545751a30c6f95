#include "services/api-gateway/response_cache.h"

#include <catch2/catch.hpp>

namespace chainsync::gateway {
namespace {

constexpr char kAccount[] = "0xAbC0000000000000000000000000000000000001";

TEST_CASE("answers are kept until an event touches their account",
          "[response_cache]") {
  ResponseCache cache(100);
  cache.SetLive(true);
  auto ticket = cache.Begin(kAccount);
  REQUIRE(ticket.has_value());
  cache.Keep("balances of abc", kAccount, *ticket, "{\"balance\":\"1\"}");
  CHECK(cache.Find("balances of abc") == "{\"balance\":\"1\"}");
  CHECK_FALSE(cache.Find("balances of someone else").has_value());

  cache.Touch("0x0000000000000000000000000000000000000002");
  CHECK(cache.Find("balances of abc").has_value());
  // Addresses are compared without regard to case.
  cache.Touch("0xabc0000000000000000000000000000000000001");
  CHECK_FALSE(cache.Find("balances of abc").has_value());
}

TEST_CASE("an answer fetched while its account changed is not kept",
          "[response_cache]") {
  ResponseCache cache(100);
  cache.SetLive(true);
  const auto ticket = cache.Begin(kAccount);
  REQUIRE(ticket.has_value());
  cache.Touch(kAccount);
  cache.Keep("balances of abc", kAccount, *ticket, "old");
  CHECK_FALSE(cache.Find("balances of abc").has_value());

  // A ticket taken after the event keeps its answer.
  const auto later = cache.Begin(kAccount);
  cache.Keep("balances of abc", kAccount, *later, "new");
  CHECK(cache.Find("balances of abc") == "new");
}

TEST_CASE("nothing is kept or served without the event stream",
          "[response_cache]") {
  ResponseCache cache(100);
  CHECK_FALSE(cache.Begin(kAccount).has_value());
  cache.SetLive(true);
  const auto ticket = cache.Begin(kAccount);
  cache.Keep("balances of abc", kAccount, *ticket, "kept");
  cache.SetLive(false);
  CHECK_FALSE(cache.Find("balances of abc").has_value());
  // An answer fetched before the loss is not kept after it either.
  cache.Keep("balances of abc", kAccount, *ticket, "kept");
  cache.SetLive(true);
  CHECK_FALSE(cache.Find("balances of abc").has_value());
  CHECK(cache.size() == 0);
}

TEST_CASE("the cache stays within its size", "[response_cache]") {
  ResponseCache cache(3);
  cache.SetLive(true);
  for (int i = 0; i < 10; ++i) {
    const std::string account = "0x" + std::string(39, '0') + std::to_string(i);
    const auto ticket = cache.Begin(account);
    cache.Keep(std::to_string(i), account, *ticket, "answer");
    CHECK(cache.size() <= 3);
  }
  // Remembered touches are bounded too: past the size, everything starts
  // over, and answers fetched before are not kept.
  const auto ticket = cache.Begin(kAccount);
  for (int i = 0; i < 10; ++i) cache.Touch("0x" + std::to_string(i));
  cache.Keep("balances of abc", kAccount, *ticket, "kept");
  CHECK_FALSE(cache.Find("balances of abc").has_value());
}

}  // namespace
}  // namespace chainsync::gateway
