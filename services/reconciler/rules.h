#pragma once

// The reconciliation rules: each a named check with a severity, a kind of
// discrepancy and a meaning, evaluated on a Snapshot. Pure: the run feeds
// in the snapshot and when each open discrepancy was first seen, and gets
// back, per rule, what was checked and what failed.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/reconciler/snapshot.h"

namespace chainsync::reconciler {

enum class Severity { kWarning, kCritical };

// The kinds of reconciler.proto's DiscrepancyKind.
enum class DiscrepancyKind {
  kUserMissing,
  kBurnNotRecorded,
  kOperationNotLogged,
  kBalanceMismatch,
  kSupplyMismatch,
  kContractMissing,
  kIndexerLag,
  kEventNotIndexed,
};

// The names the store and the logs use: "balance_mismatch", "critical".
absl::string_view KindName(DiscrepancyKind kind);
absl::string_view SeverityName(Severity severity);

// Remedy is how a rule's failure is repaired, where a repair is safe.
enum class Remedy {
  // It waits for an admin.
  kNone,
  // The oracle reads the account's Bitcoin addresses again and syncs it if
  // its mirror differs.
  kSync,
  // The indexer reads the chain again from the first block its data is
  // wrong at (Finding::from_block, or where the account's indexed balance
  // first departs from the chain's).
  kReread,
};

struct Rule {
  absl::string_view name;
  DiscrepancyKind kind;
  Severity severity;
  // The health component its results count in.
  absl::string_view component;
  // What a failure means, for the README and the discrepancy's detail.
  absl::string_view meaning;
  // A difference the system repairs on its own (a sync on its way): it
  // counts only once it has lasted `RuleSettings::settle_after`.
  bool transient = false;
  Remedy remedy = Remedy::kNone;
};

// Rules is the catalogue, in the order they run.
const std::vector<Rule>& Rules();

struct RuleSettings {
  // Blocks the indexer may trail the chain's head by.
  uint64_t max_indexer_lag = 12;
  // Satoshis by which a mirrored balance may differ from the Bitcoin total.
  uint64_t sync_tolerance_sats = 0;
  // How long a transient difference may last before it counts: a sweep
  // and a sync's confirmation.
  absl::Duration settle_after = absl::Minutes(3);
};

// Finding is one failed check.
struct Finding {
  // What failed, stable across runs: "account:0x…", "contract:0x…",
  // "event:0x<tx>:<log>", "operation:<id>", "supply", "indexer".
  std::string subject;
  std::optional<evm::Address> account;
  std::optional<evm::Address> contract;
  std::string chain_value;
  std::string indexer_value;
  std::string oracle_value;
  std::string detail;
  // The first block whose indexed data is known to be wrong, when the rule
  // knows it.
  std::optional<uint64_t> from_block;
  // A transient difference younger than settle_after: recorded (so its age
  // is known at the next run) but not counted.
  bool settling = false;
  // What the run did about it, when it tried a repair; `repaired` when the
  // repair was made.
  std::string repair;
  bool repaired = false;
};

struct RuleOutcome {
  const Rule* rule = nullptr;
  // Every subject the rule checked.
  std::vector<std::string> checked;
  std::vector<Finding> findings;
};

// FirstSeen is when each open discrepancy was first seen, by rule name and
// subject.
using FirstSeen =
    absl::flat_hash_map<std::pair<std::string, std::string>, absl::Time>;

std::vector<RuleOutcome> Evaluate(const Snapshot& snapshot,
                                  const RuleSettings& settings,
                                  const FirstSeen& first_seen);

}  // namespace chainsync::reconciler
