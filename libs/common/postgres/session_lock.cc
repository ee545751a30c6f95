#include "libs/common/postgres/session_lock.h"

namespace chainsync {

SessionLock::Change SessionLock::Hold() {
  // A broken connection has lost its session, and the lock with it.
  if (connection_ != nullptr && !connection_->broken() &&
      connection_->Exec("SELECT 1").ok()) {
    return Change::kNone;
  }
  const bool was_held = connection_ != nullptr;
  connection_.reset();
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(options_);
  if (connection.ok()) {
    absl::StatusOr<PgResult> locked =
        (*connection)
            ->Exec("SELECT pg_try_advisory_lock(hashtext($1)::bigint)",
                   PgParams().Add(name_));
    if (locked.ok() && locked->Get(0, 0) == "t") {
      connection_ = *std::move(connection);
      return was_held ? Change::kNone : Change::kAcquired;
    }
  }
  return was_held ? Change::kLost : Change::kNone;
}

}  // namespace chainsync
