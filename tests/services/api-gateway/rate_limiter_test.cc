// Per-caller token buckets: bursts, refills, callers apart, and the sweep
// that keeps the map bounded.
#include "services/api-gateway/rate_limiter.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "tests/support/fake_clock.h"

namespace chainsync::gateway {
namespace {

TEST_CASE("each caller gets its burst, then its rate", "[gateway]") {
  testing::FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/2, /*burst=*/3, /*max_callers=*/10,
                      clock);
  for (int i = 0; i < 3; ++i)
    CHECK(limiter.TryTake("a") == absl::ZeroDuration());
  CHECK(limiter.TryTake("a") == absl::Milliseconds(500));
  // Another caller is not held back by the first.
  CHECK(limiter.TryTake("b") == absl::ZeroDuration());
  clock.SleepFor(absl::Milliseconds(500));
  CHECK(limiter.TryTake("a") == absl::ZeroDuration());
  CHECK(limiter.TryTake("a") > absl::ZeroDuration());
}

TEST_CASE("idle callers are forgotten once the map is full", "[gateway]") {
  testing::FakeClock clock;
  RateLimiter limiter(/*rate_per_second=*/1, /*burst=*/2, /*max_callers=*/3,
                      clock);
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.TryTake(absl::StrCat("idle", i)) == absl::ZeroDuration());
  }
  // A busy caller keeps its empty bucket through a sweep: the sweep only
  // drops buckets that would be full again.
  CHECK(limiter.TryTake("busy") == absl::ZeroDuration());
  CHECK(limiter.TryTake("busy") == absl::ZeroDuration());
  clock.SleepFor(absl::Seconds(2));
  CHECK(limiter.TryTake("busy") == absl::ZeroDuration());
  CHECK(limiter.TryTake("busy") == absl::ZeroDuration());
  clock.SleepFor(absl::Milliseconds(1500));  // idle ones now full again
  CHECK(limiter.TryTake("newcomer") == absl::ZeroDuration());
  CHECK(limiter.TryTake("busy") == absl::ZeroDuration());
  CHECK(limiter.TryTake("busy") > absl::ZeroDuration());
}

}  // namespace
}  // namespace chainsync::gateway
