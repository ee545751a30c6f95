#pragma once

// DiscrepancyStore keeps the reconciler's runs, the health each scored, and
// the discrepancies the rules found, in the reconciler's schema. A run is
// recorded whole in one transaction: what its rules found is opened or
// seen again, and what they no longer find is resolved.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/postgres/pool.h"
#include "services/reconciler/health.h"
#include "services/reconciler/rules.h"

namespace chainsync::reconciler {

struct RunSummary {
  int64_t id = 0;
  absl::Time started;
  absl::Time finished;
  uint64_t block = 0;
  uint64_t accounts_checked = 0;
  // Discrepancies the run saw that count (settling ones aside).
  uint64_t found = 0;
  uint64_t repaired = 0;
  HealthScore health;
};

struct StoredDiscrepancy {
  int64_t id = 0;
  std::string rule;
  std::string kind;
  std::string severity;
  // What the rule found, as last seen.
  Finding finding;
  uint64_t block = 0;
  // "open", "repaired" or "resolved".
  std::string status;
  std::string repair_action;
  absl::Time first_seen;
  absl::Time last_seen;
  uint64_t times_seen = 0;
  std::optional<absl::Time> resolved_at;
};

struct DiscrepancyFilter {
  // Kind names; empty for every kind.
  std::vector<std::string> kinds;
  // Status names; empty for every status.
  std::vector<std::string> statuses;
  std::optional<evm::Address> account;
  // Only ids below this one: the page after the one that ended there.
  std::optional<int64_t> before_id;
  // Settling differences are not discrepancies yet; listed only if asked.
  bool include_settling = false;
  int limit = 100;
};

class DiscrepancyStore {
 public:
  explicit DiscrepancyStore(PgPool& pool) : pool_(pool) {}

  // OpenSince is when each open discrepancy was first seen, for the rules.
  absl::StatusOr<FirstSeen> OpenSince();

  // Record stores a finished run and what its rules found, all at once —
  // the repairs it made in the audit, their discrepancies closed as
  // repaired; it sets the run's id and found.
  absl::Status Record(RunSummary& run,
                      const std::vector<RuleOutcome>& outcomes);

  // RepairedSince is every (rule, subject) repaired at or after `since`.
  absl::StatusOr<absl::flat_hash_set<std::pair<std::string, std::string>>>
  RepairedSince(absl::Time since);

  // List returns discrepancies newest first.
  absl::StatusOr<std::vector<StoredDiscrepancy>> List(
      const DiscrepancyFilter& filter);

  // LatestRun is the newest run with its health, if there is one.
  absl::StatusOr<std::optional<RunSummary>> LatestRun();

  // OpenCount counts open discrepancies that count (settling aside).
  absl::StatusOr<uint64_t> OpenCount();

 private:
  PgPool& pool_;
};

}  // namespace chainsync::reconciler
