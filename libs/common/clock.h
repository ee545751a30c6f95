#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

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

  // WaitFor waits, with `lock` held on entry and exit, until `done()` holds
  // — checked whenever `cv` is notified — or `duration` of this clock's time
  // passes, and returns done(): a sleep that another thread can end.
  virtual bool WaitFor(std::condition_variable& cv,
                       std::unique_lock<std::mutex>& lock,
                       absl::Duration duration,
                       const std::function<bool()>& done) = 0;
};

// SystemClock returns the process-wide real clock.
Clock& SystemClock();

}  // namespace chainsync
