#pragma once

#include <mutex>

#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace chainsync {

// TokenBucket limits a rate: it holds up to `burst` tokens and refills at
// `rate_per_second`; each request takes one. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, Clock& clock);

  // TryTake takes a token if one is there and returns zero; otherwise it
  // takes nothing and returns how long until one will be.
  absl::Duration TryTake();

  // Take waits (on the clock) until a token is there and takes it.
  void Take();

 private:
  void Refill(absl::Time now);

  const double rate_;
  const double burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  absl::Time last_;
};

}  // namespace chainsync
