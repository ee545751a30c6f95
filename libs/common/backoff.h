#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/time.h"

namespace chainsync {

// BackoffPolicy describes jittered exponential backoff: the n-th delay (from
// 0) is min(max_delay, initial_delay * multiplier^n), of which a random
// fraction up to `jitter` is taken off so that clients that failed together do
// not retry together.
struct BackoffPolicy {
  absl::Duration initial_delay = absl::Milliseconds(100);
  absl::Duration max_delay = absl::Seconds(10);
  double multiplier = 2.0;
  // Between 0 (no jitter) and 1 (full jitter).
  double jitter = 0.5;
};

// RetryPolicy bounds how often and how long an operation is retried.
struct RetryPolicy {
  // Attempts in total, the first included; 1 means no retry.
  int max_attempts = 5;
  BackoffPolicy backoff;
};

// Backoff yields the delays of one retry sequence. Not thread-safe: each
// sequence of attempts owns one.
class Backoff {
 public:
  // Uniform draws a number in [0, 1); tests pass a fixed one.
  using Uniform = std::function<double()>;

  explicit Backoff(BackoffPolicy policy);
  Backoff(BackoffPolicy policy, Uniform uniform);

  // NextDelay returns the delay before the next attempt and advances.
  absl::Duration NextDelay();

  // Reset starts the sequence again, after a success.
  void Reset() { attempt_ = 0; }

  // attempt is the number of delays handed out since the last reset.
  int attempt() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  Uniform uniform_;
  int attempt_ = 0;
};

}  // namespace chainsync
