#include "services/reconciler/health.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace chainsync::reconciler {

HealthStatus StatusOf(double score) {
  if (score >= 95) return HealthStatus::kHealthy;
  if (score >= 70) return HealthStatus::kDegraded;
  return HealthStatus::kUnhealthy;
}

Weights DefaultWeights() {
  return {{"contract_deployment", 0.25},   {"transaction_logging", 0.20},
          {"user_management", 0.20},       {"emergency_burn_sync", 0.15},
          {"oracle_operations_log", 0.10}, {"yield_readiness", 0.10}};
}

absl::StatusOr<Weights> ParseWeights(absl::string_view text) {
  const Weights defaults = DefaultWeights();
  Weights weights;
  double total = 0;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    const std::pair<absl::string_view, absl::string_view> pair =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    const std::string name(pair.first);
    const bool known = std::any_of(defaults.begin(), defaults.end(),
                                   [&](const ComponentWeight& component) {
                                     return component.name == name;
                                   });
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("health weights: unknown component \"", name, "\""));
    }
    if (std::any_of(weights.begin(), weights.end(),
                    [&](const ComponentWeight& w) { return w.name == name; })) {
      return absl::InvalidArgumentError(
          absl::StrCat("health weights: ", name, " given twice"));
    }
    double weight = 0;
    if (!absl::SimpleAtod(pair.second, &weight) || !(weight >= 0) ||
        weight > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("health weights: ", name, " must be from 0 to 1, got \"",
                       pair.second, "\""));
    }
    weights.push_back({name, weight});
    total += weight;
  }
  if (weights.size() != defaults.size()) {
    std::vector<std::string> missing;
    for (const ComponentWeight& component : defaults) {
      if (std::none_of(weights.begin(), weights.end(),
                       [&](const ComponentWeight& w) {
                         return w.name == component.name;
                       })) {
        missing.push_back(component.name);
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("health weights: missing ", absl::StrJoin(missing, ", ")));
  }
  if (std::abs(total - 1) > 1e-6) {
    return absl::InvalidArgumentError(
        absl::StrCat("health weights: they sum to ", total, ", not 1"));
  }
  return weights;
}

HealthScore Score(const std::vector<RuleOutcome>& outcomes,
                  const Weights& weights) {
  HealthScore health;
  health.score = 0;
  for (const ComponentWeight& weight : weights) {
    ComponentScore& component = health.components.emplace_back();
    component.name = weight.name;
    component.weight = weight.weight;
    absl::flat_hash_set<std::string> checked, failing;
    std::vector<std::string> reasons;
    for (const RuleOutcome& outcome : outcomes) {
      if (outcome.rule->component != weight.name) continue;
      checked.insert(outcome.checked.begin(), outcome.checked.end());
      size_t failed = 0;
      for (const Finding& finding : outcome.findings) {
        if (finding.settling) continue;
        failing.insert(finding.subject);
        ++failed;
      }
      if (failed > 0) {
        reasons.push_back(absl::StrCat(outcome.rule->name, " fails for ",
                                       failed, " of ", outcome.checked.size()));
      }
    }
    component.checked = checked.size();
    component.failing = failing.size();
    if (component.checked > 0) {
      component.score = 100.0 *
                        static_cast<double>(checked.size() - failing.size()) /
                        static_cast<double>(checked.size());
    }
    component.contribution = component.score * component.weight;
    component.status = StatusOf(component.score);
    component.detail = absl::StrJoin(reasons, "; ");
    health.score += component.contribution;
  }
  health.status = StatusOf(health.score);
  return health;
}

}  // namespace chainsync::reconciler
