#pragma once

// The weighted health score: each component scores the share of what its
// rules checked that passed every one of them, and the components weigh in
// as configured — by default as the ReserveBTC database report weighs them
// (contract deployment 25 %, transaction logging 20 %, user management
// 20 %, emergency burn sync 15 %, oracle operations log 10 %, yield
// readiness 10 %). Pure.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/reconciler/rules.h"

namespace chainsync::reconciler {

// HealthStatus of a score: healthy from 95, degraded from 70.
enum class HealthStatus { kHealthy, kDegraded, kUnhealthy };
HealthStatus StatusOf(double score);

struct ComponentWeight {
  std::string name;
  double weight = 0;
};
using Weights = std::vector<ComponentWeight>;

Weights DefaultWeights();
// ParseWeights reads "name=weight,..." naming every component once, the
// weights from 0 to 1 summing to 1; INVALID_ARGUMENT says what is wrong.
absl::StatusOr<Weights> ParseWeights(absl::string_view text);

struct ComponentScore {
  std::string name;
  double weight = 0;
  // 0 to 100: 100 × (subjects passing every rule / subjects checked); 100
  // when there was nothing to check.
  double score = 100;
  double contribution = 0;
  HealthStatus status = HealthStatus::kHealthy;
  size_t checked = 0;
  size_t failing = 0;
  // What lowers the score, in words; empty at 100.
  std::string detail;
};

struct HealthScore {
  double score = 100;
  HealthStatus status = HealthStatus::kHealthy;
  std::vector<ComponentScore> components;
};

// Score weighs the outcomes of one run; settling findings do not count.
HealthScore Score(const std::vector<RuleOutcome>& outcomes,
                  const Weights& weights);

}  // namespace chainsync::reconciler
