#include "libs/common/backoff.h"

#include <catch2/catch.hpp>

namespace chainsync {
namespace {

TEST_CASE("Backoff grows exponentially up to the cap", "[backoff]") {
  Backoff backoff({.initial_delay = absl::Milliseconds(100),
                   .max_delay = absl::Seconds(1),
                   .multiplier = 2.0,
                   .jitter = 0.0});
  CHECK(backoff.NextDelay() == absl::Milliseconds(100));
  CHECK(backoff.NextDelay() == absl::Milliseconds(200));
  CHECK(backoff.NextDelay() == absl::Milliseconds(400));
  CHECK(backoff.NextDelay() == absl::Milliseconds(800));
  CHECK(backoff.NextDelay() == absl::Seconds(1));
  for (int i = 0; i < 2000; ++i) backoff.NextDelay();  // pow() overflows
  CHECK(backoff.NextDelay() == absl::Seconds(1));
  backoff.Reset();
  CHECK(backoff.NextDelay() == absl::Milliseconds(100));
}

TEST_CASE("Backoff jitter takes off at most the jitter fraction", "[backoff]") {
  double draw = 0.0;
  Backoff backoff({.initial_delay = absl::Seconds(1),
                   .max_delay = absl::Seconds(10),
                   .multiplier = 2.0,
                   .jitter = 0.5},
                  [&draw] { return draw; });
  draw = 0.999;
  const absl::Duration low = backoff.NextDelay();
  CHECK(low > absl::Milliseconds(500));
  CHECK(low <= absl::Seconds(1));
  draw = 0.0;
  CHECK(backoff.NextDelay() == absl::Seconds(2));
}

TEST_CASE("Backoff with real randomness stays in bounds", "[backoff]") {
  Backoff backoff({.initial_delay = absl::Milliseconds(10),
                   .max_delay = absl::Milliseconds(50),
                   .multiplier = 3.0,
                   .jitter = 1.0});
  for (int i = 0; i < 100; ++i) {
    const absl::Duration delay = backoff.NextDelay();
    CHECK(delay >= absl::ZeroDuration());
    CHECK(delay <= absl::Milliseconds(50));
  }
}

}  // namespace
}  // namespace chainsync
