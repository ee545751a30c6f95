#pragma once

// SessionLock is a session-level Postgres advisory lock held on a
// connection of its own: whoever holds it is the one process that may act
// (the indexer's writer of a chain, the oracle's sender), and a standby
// takes it as soon as the holder's session ends — a crash included, since
// Postgres ends the session of a connection that dies.

#include <memory>
#include <string>

#include "libs/common/postgres/connection.h"

namespace chainsync {

class SessionLock {
 public:
  // `name` identifies the lock across processes (hashed to the lock key).
  SessionLock(PgConnectOptions options, std::string name)
      : options_(std::move(options)), name_(std::move(name)) {}

  enum class Change { kNone, kAcquired, kLost };

  // Hold checks that the lock is still held, or tries to take it, and says
  // what changed. held() is the outcome.
  Change Hold();
  bool held() const { return connection_ != nullptr; }
  // Release ends the session, and the lock with it.
  void Release() { connection_.reset(); }

 private:
  const PgConnectOptions options_;
  const std::string name_;
  std::unique_ptr<PgConnection> connection_;
};

}  // namespace chainsync
