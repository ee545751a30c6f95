#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/postgres/connection.h"

namespace chainsync {

// PgTransaction is a transaction on a connection that rolls back when it
// goes out of scope without Commit().
class PgTransaction {
 public:
  static absl::StatusOr<PgTransaction> Begin(PgConnection& connection);
  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();

  // Commit ends the transaction. On error it is rolled back (or gone with
  // the connection).
  absl::Status Commit();

  PgConnection& connection() { return *connection_; }

 private:
  explicit PgTransaction(PgConnection& connection) : connection_(&connection) {}
  PgConnection* connection_;
  bool open_ = true;
};

struct PgPoolOptions {
  PgConnectOptions connect;
  // Connections at most; opened on demand.
  int size = 4;
  // How long Acquire waits for a free connection.
  absl::Duration acquire_timeout = absl::Seconds(10);
  // Reconnection and transaction retries after a lost connection.
  RetryPolicy retry;
  metrics::Registry* registry = &metrics::DefaultRegistry();
  Clock* clock = &SystemClock();
};

// PgPool shares connections between threads and hides lost connections:
// a connection found broken is re-established before it is handed out, and
// InTransaction re-runs a transaction whose connection was lost before it
// committed.
class PgPool {
 public:
  // Lease is a connection on loan; it returns to the pool when destroyed.
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> connection);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& operator*() { return *connection_; }
    PgConnection* operator->() { return connection_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> connection_;
  };

  // Create opens the first connection, so that a wrong URL, an unreachable
  // server or a bad password fails the start with libpq's reason.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(PgPoolOptions options);

  // Acquire lends a working connection: DEADLINE_EXCEEDED when none frees up
  // in time, UNAVAILABLE when the server cannot be reached after retries.
  absl::StatusOr<Lease> Acquire();

  // Exec runs one statement on a connection it acquires for the purpose.
  absl::StatusOr<PgResult> Exec(absl::string_view sql,
                                const PgParams& params = PgParams());
  absl::StatusOr<PgResult> Exec(const PgStatement& statement,
                                const PgParams& params = PgParams());

  // InTransaction runs `work` between BEGIN and COMMIT on one connection.
  // An error from `work` rolls back and is returned. When the connection is
  // lost before COMMIT is sent, the transaction is re-run on a new
  // connection, per options.retry; `work` must therefore only act on the
  // database. A connection lost during COMMIT is UNAVAILABLE saying that the
  // outcome is unknown, since retrying could apply the work twice.
  absl::Status InTransaction(
      const std::function<absl::Status(PgConnection&)>& work);

  // connect_options are the pool's connection settings, for a dedicated
  // connection (a session-level advisory lock, LISTEN).
  const PgConnectOptions& connect_options() const { return options_.connect; }

 private:
  PgPool(PgPoolOptions options, std::unique_ptr<PgConnection> first);
  void Return(std::unique_ptr<PgConnection> connection);
  absl::Status Repair(PgConnection& connection);

  PgPoolOptions options_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
  metrics::Gauge& idle_gauge_;
  metrics::Gauge& busy_gauge_;
  metrics::Counter& reconnects_;
  metrics::Counter& retries_;
};

}  // namespace chainsync
