#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chainsync {

// Clock is the source of time for code that waits or stamps: production code
// uses SystemClock(), tests inject a clock they advance themselves, so that
// retry and timeout behaviour is tested without real sleeps.
class Clock {
 public:
  virtual ~Clock() = default;

  // Now returns the current time.
  virtual absl::Time Now() = 0;

  // SleepFor blocks the calling thread for `duration` of this clock's time.
  virtual void SleepFor(absl::Duration duration) = 0;
};

// SystemClock returns the process-wide real clock.
Clock& SystemClock();

}  // namespace chainsync
