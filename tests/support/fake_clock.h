#pragma once

#include <mutex>
#include <vector>

#include "libs/common/clock.h"

namespace chainsync::testing {

// FakeClock is a Clock whose sleeps return at once, advance its time and are
// recorded, so that tests check retry delays without waiting for them. A
// wait that is not over at once is slept in full.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000))
      : now_(start) {}

  absl::Time Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }

  void SleepFor(absl::Duration duration) override {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += duration;
    sleeps_.push_back(duration);
  }

  bool WaitFor(std::condition_variable&, std::unique_lock<std::mutex>&,
               absl::Duration duration,
               const std::function<bool()>& done) override {
    if (!done()) SleepFor(duration);
    return done();
  }

  std::vector<absl::Duration> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  absl::Time now_;
  std::vector<absl::Duration> sleeps_;
};

}  // namespace chainsync::testing
