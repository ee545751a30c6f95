#pragma once

// Token buckets per caller: the token's subject, or the client address of
// an anonymous request.

#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "libs/common/token_bucket.h"

namespace chainsync::gateway {

class RateLimiter {
 public:
  // Each caller may make `rate_per_second` requests a second, in bursts of
  // up to `burst`. At most `max_callers` buckets are kept: past that, the
  // buckets idle long enough to be full again are dropped.
  RateLimiter(double rate_per_second, double burst, size_t max_callers,
              Clock& clock = SystemClock());

  // TryTake takes a request from `caller`'s bucket: zero when allowed,
  // otherwise how long until the next request would be.
  absl::Duration TryTake(const std::string& caller);

 private:
  struct Bucket {
    std::unique_ptr<TokenBucket> tokens;
    absl::Time last_use;
  };

  const double rate_;
  const double burst_;
  const size_t max_callers_;
  Clock& clock_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
  absl::Time last_sweep_ = absl::InfinitePast();
};

}  // namespace chainsync::gateway
