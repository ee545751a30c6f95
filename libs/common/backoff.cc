#include "libs/common/backoff.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/random/random.h"

namespace chainsync {

Backoff::Backoff(BackoffPolicy policy)
    : Backoff(policy, [gen = std::make_shared<absl::BitGen>()] {
        return absl::Uniform(*gen, 0.0, 1.0);
      }) {}

Backoff::Backoff(BackoffPolicy policy, Uniform uniform)
    : policy_(policy), uniform_(std::move(uniform)) {}

absl::Duration Backoff::NextDelay() {
  const double growth = std::pow(policy_.multiplier, attempt_);
  ++attempt_;
  absl::Duration ceiling = policy_.initial_delay * growth;
  // pow() overflows to inf after many attempts; the cap covers it.
  if (!std::isfinite(growth) || ceiling > policy_.max_delay) {
    ceiling = policy_.max_delay;
  }
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  return ceiling * (1.0 - jitter * uniform_());
}

}  // namespace chainsync
