#include "libs/common/clock.h"

namespace chainsync {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepFor(absl::Duration duration) override { absl::SleepFor(duration); }
  bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               absl::Duration duration,
               const std::function<bool()>& done) override {
    return cv.wait_for(lock, absl::ToChronoNanoseconds(duration), done);
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock;
  return *clock;
}

}  // namespace chainsync
