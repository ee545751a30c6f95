#include "libs/common/token_bucket.h"

#include <algorithm>

namespace chainsync {

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock& clock)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      clock_(clock),
      tokens_(burst_),
      last_(clock.Now()) {}

void TokenBucket::Refill(absl::Time now) {
  if (now > last_) {
    tokens_ =
        std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
}

absl::Duration TokenBucket::TryTake() {
  std::lock_guard<std::mutex> lock(mu_);
  Refill(clock_.Now());
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1.0 - tokens_) / rate_);
}

void TokenBucket::Take() {
  for (absl::Duration wait = TryTake(); wait > absl::ZeroDuration();
       wait = TryTake()) {
    clock_.SleepFor(wait);
  }
}

}  // namespace chainsync
