#pragma once

// DisputeStore keeps users' balance disputes and every change of their
// state, in the reconciler's schema. A dispute is worked on by one replica
// at a time under a lease, so a replica that dies mid-validation leaves it
// to another once the lease runs out.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/postgres/pool.h"
#include "libs/evm/address.h"

namespace chainsync::reconciler {

// The states, as the store names them.
inline constexpr char kFiled[] = "filed";
inline constexpr char kValidating[] = "validating";
inline constexpr char kResolved[] = "resolved";
inline constexpr char kRejected[] = "rejected";

struct DisputeTransition {
  std::string status;
  std::string note;
  absl::Time at;
};

struct StoredDispute {
  std::string id;
  evm::Address account;
  std::string status;
  int64_t claimed_sats = 0;
  // rBTC on chain when it was filed.
  int64_t recorded_sats = 0;
  // What validation found; set once it was judged.
  std::optional<int64_t> verified_sats;
  std::optional<uint64_t> bitcoin_tip;
  std::string reason;
  std::string bitcoin_address;
  std::string resolution;
  std::optional<int64_t> operation_id;
  // 0x-hex, empty when none.
  std::string transaction_hash;
  int attempts = 0;
  std::string last_error;
  std::optional<absl::Time> sync_requested_at;
  absl::Time created;
  absl::Time updated;
  std::optional<absl::Time> resolved;
  std::vector<DisputeTransition> history;

  bool open() const { return status == kFiled || status == kValidating; }
};

struct NewDispute {
  evm::Address account;
  int64_t claimed_sats = 0;
  int64_t recorded_sats = 0;
  std::string reason;
  std::string bitcoin_address;
};

struct DisputeFilter {
  std::optional<evm::Address> account;
  // State names; empty for every state.
  std::vector<std::string> statuses;
  // The page after the dispute with this creation time and id.
  std::optional<std::pair<absl::Time, std::string>> after;
  int limit = 50;
};

class DisputeStore {
 public:
  explicit DisputeStore(PgPool& pool) : pool_(pool) {}

  // File stores a new dispute FILED. ALREADY_EXISTS, naming it, when the
  // account has one open.
  absl::StatusOr<StoredDispute> File(const NewDispute& dispute, absl::Time now);

  // Get returns a dispute with its history; NOT_FOUND when there is none.
  // `id` must be a UUID (the caller checks what users send).
  absl::StatusOr<StoredDispute> Get(const std::string& id);

  // List returns disputes newest first, without their history.
  absl::StatusOr<std::vector<StoredDispute>> List(const DisputeFilter& filter);

  // ClaimDue takes the oldest open dispute due at `now` whose lease has run
  // out, leases it until `now + lease` and marks it VALIDATING (a
  // transition when it was FILED). Empty when none is due.
  absl::StatusOr<std::optional<StoredDispute>> ClaimDue(absl::Time now,
                                                        absl::Duration lease);

  // NextDue is when the next open dispute falls due, if any is open.
  absl::StatusOr<std::optional<absl::Time>> NextDue();

  // Retry records why an attempt could not finish and when to try again,
  // and gives the lease up.
  absl::Status Retry(const std::string& id, const std::string& error,
                     absl::Time next_attempt, absl::Time now);

  // Judged records what validation found when the mirror was wrong: the
  // dispute stays VALIDATING until the corrective sync is seen.
  absl::Status Judged(const std::string& id, int64_t verified_sats,
                      uint64_t bitcoin_tip, const std::string& evidence,
                      absl::Time now);

  // SyncRequested records when the oracle was last asked for the
  // corrective sync, and when to look for it next.
  absl::Status SyncRequested(const std::string& id, absl::Time requested_at,
                             absl::Time next_attempt);

  // Close ends an open dispute RESOLVED or REJECTED with its resolution
  // (and, from validation, what was found and the corrective operation).
  // FAILED_PRECONDITION when it is closed already.
  struct Closing {
    std::string status;
    std::string resolution;
    std::string note;
    std::optional<int64_t> verified_sats;
    std::optional<uint64_t> bitcoin_tip;
    std::optional<int64_t> operation_id;
    std::string transaction_hash;
  };
  absl::StatusOr<StoredDispute> Close(const std::string& id,
                                      const Closing& closing, absl::Time now);

  // OpenCount counts the disputes not closed yet.
  absl::StatusOr<uint64_t> OpenCount();

 private:
  PgPool& pool_;
};

}  // namespace chainsync::reconciler
