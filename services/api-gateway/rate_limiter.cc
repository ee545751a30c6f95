#include "services/api-gateway/rate_limiter.h"

namespace chainsync::gateway {

RateLimiter::RateLimiter(double rate_per_second, double burst,
                         size_t max_callers, Clock& clock)
    : rate_(rate_per_second),
      burst_(burst),
      max_callers_(max_callers),
      clock_(clock) {}

absl::Duration RateLimiter::TryTake(const std::string& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = clock_.Now();
  // Sweeping at most once a second keeps a flood of new callers from making
  // every request scan the map.
  if (buckets_.size() >= max_callers_ &&
      now - last_sweep_ >= absl::Seconds(1)) {
    last_sweep_ = now;
    // A bucket unused for as long as it takes to fill is full: dropping it
    // changes nothing for its caller.
    const absl::Duration refill = absl::Seconds(burst_ / rate_);
    absl::erase_if(buckets_, [&](const auto& entry) {
      return now - entry.second.last_use >= refill;
    });
  }
  Bucket& bucket = buckets_[caller];
  if (bucket.tokens == nullptr) {
    bucket.tokens = std::make_unique<TokenBucket>(rate_, burst_, clock_);
  }
  bucket.last_use = now;
  return bucket.tokens->TryTake();
}

}  // namespace chainsync::gateway
