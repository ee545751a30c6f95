#pragma once

// FaultPlan is how the simulator misbehaves on purpose, per route class:
// what public Esplora instances do to their clients (429 with Retry-After,
// 500s, slow answers, JSON cut short), for as many answers as asked.
// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace chainsync::btcsim {

enum class FaultMode { kTooManyRequests, kServerError, kSlow, kTruncated };

struct Fault {
  FaultMode mode = FaultMode::kServerError;
  // Answers it applies to; 0 for every one until cleared.
  int64_t count = 0;
  // kTooManyRequests: the Retry-After header, when set.
  std::optional<int64_t> retry_after_seconds;
  // kSlow: how long an answer waits.
  absl::Duration delay = absl::ZeroDuration();
};

// The route classes a fault names: "*" is every Esplora route.
inline constexpr absl::string_view kRouteClasses[] = {
    "*", "tip", "block", "address", "utxo", "txs", "tx", "mempool", "fees"};

// ParseFault reads a fault from the control API's JSON, e.g.
// {"route":"utxo","mode":"429","count":3,"retryAfterSeconds":1}; mode is
// 429, 500, slow (with delayMs) or truncate. Returns the route class.
absl::StatusOr<std::pair<std::string, Fault>> ParseFault(
    absl::string_view json);

class FaultPlan {
 public:
  void Set(std::string route_class, Fault fault);
  void Clear();
  // Take returns the fault the next answer of `route_class` suffers, if
  // any, counting it.
  std::optional<Fault> Take(absl::string_view route_class);

 private:
  std::mutex mu_;
  std::map<std::string, Fault, std::less<>> faults_;
};

}  // namespace chainsync::btcsim
