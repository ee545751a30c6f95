#include "libs/common/token_bucket.h"

#include <catch2/catch.hpp>

#include "tests/support/fake_clock.h"

namespace chainsync {
namespace {

TEST_CASE("a token bucket allows its burst, then its rate", "[token_bucket]") {
  testing::FakeClock clock;
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/3, clock);
  for (int i = 0; i < 3; ++i) CHECK(bucket.TryTake() == absl::ZeroDuration());
  const absl::Duration wait = bucket.TryTake();
  CHECK(wait == absl::Milliseconds(100));
  clock.SleepFor(absl::Milliseconds(50));
  CHECK(bucket.TryTake() == absl::Milliseconds(50));
  clock.SleepFor(absl::Milliseconds(50));
  CHECK(bucket.TryTake() == absl::ZeroDuration());
  // Idle time refills up to the burst, not beyond.
  clock.SleepFor(absl::Seconds(10));
  for (int i = 0; i < 3; ++i) CHECK(bucket.TryTake() == absl::ZeroDuration());
  CHECK(bucket.TryTake() > absl::ZeroDuration());
}

TEST_CASE("Take waits for the next token", "[token_bucket]") {
  testing::FakeClock clock;
  TokenBucket bucket(4, 1, clock);
  bucket.Take();
  bucket.Take();
  bucket.Take();
  CHECK(clock.sleeps() == std::vector<absl::Duration>{absl::Milliseconds(250),
                                                      absl::Milliseconds(250)});
}

}  // namespace
}  // namespace chainsync
