#include "libs/common/postgres/pool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"

namespace chainsync {

absl::StatusOr<PgTransaction> PgTransaction::Begin(PgConnection& connection) {
  if (absl::Status status = connection.Exec("BEGIN").status(); !status.ok()) {
    return status;
  }
  return PgTransaction(connection);
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : connection_(other.connection_),
      open_(std::exchange(other.open_, false)) {}

PgTransaction::~PgTransaction() {
  if (open_ && !connection_->broken()) {
    // A failed ROLLBACK leaves the connection broken, which the pool repairs.
    (void)connection_->Exec("ROLLBACK");
  }
}

absl::Status PgTransaction::Commit() {
  open_ = false;
  return connection_->Exec("COMMIT").status();
}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<PgConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

PgPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(PgPoolOptions options) {
  absl::StatusOr<std::unique_ptr<PgConnection>> first =
      PgConnection::Connect(options.connect);
  if (!first.ok()) return first.status();
  return std::unique_ptr<PgPool>(
      new PgPool(std::move(options), *std::move(first)));
}

PgPool::PgPool(PgPoolOptions options, std::unique_ptr<PgConnection> first)
    : options_(std::move(options)),
      idle_gauge_(options_.registry
                      ->AddGauge("chainsync_postgres_pool_connections",
                                 "Postgres connections of the pool by state.",
                                 {"state"})
                      .WithLabels({"idle"})),
      busy_gauge_(options_.registry
                      ->AddGauge("chainsync_postgres_pool_connections",
                                 "Postgres connections of the pool by state.",
                                 {"state"})
                      .WithLabels({"busy"})),
      reconnects_(options_.registry
                      ->AddCounter("chainsync_postgres_reconnects_total",
                                   "Lost Postgres connections re-established.")
                      .WithLabels({})),
      retries_(options_.registry
                   ->AddCounter("chainsync_postgres_transaction_retries_total",
                                "Transactions re-run after a lost connection.")
                   .WithLabels({})) {
  idle_.push_back(std::move(first));
  open_ = 1;
  idle_gauge_.Set(1);
}

absl::Status PgPool::Repair(PgConnection& connection) {
  Backoff backoff(options_.retry.backoff);
  absl::Status status;
  for (int attempt = 1; attempt <= options_.retry.max_attempts; ++attempt) {
    status = connection.Reconnect();
    if (status.ok()) {
      reconnects_.Increment();
      log::Info("reconnected to Postgres", {{"attempt", attempt}});
      return status;
    }
    log::Warning("Postgres reconnect failed",
                 {{"attempt", attempt}, {"error", status}});
    if (attempt < options_.retry.max_attempts) {
      options_.clock->SleepFor(backoff.NextDelay());
    }
  }
  return status;
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  std::unique_ptr<PgConnection> connection;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool got = available_.wait_for(
        lock,
        std::chrono::microseconds(
            absl::ToInt64Microseconds(options_.acquire_timeout)),
        [this] { return !idle_.empty() || open_ < options_.size; });
    if (!got) {
      return absl::DeadlineExceededError(
          absl::StrCat("no Postgres connection free within ",
                       absl::FormatDuration(options_.acquire_timeout),
                       " (pool size ", options_.size, ")"));
    }
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
    idle_gauge_.Set(static_cast<double>(idle_.size()));
    busy_gauge_.Increment();
  }
  if (connection == nullptr) {
    absl::StatusOr<std::unique_ptr<PgConnection>> opened =
        PgConnection::Connect(options_.connect);
    if (!opened.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
      busy_gauge_.Decrement();
      available_.notify_one();
      return opened.status();
    }
    connection = *std::move(opened);
  }
  Lease lease(this, std::move(connection));
  if (lease->broken()) {
    if (absl::Status status = Repair(*lease); !status.ok()) return status;
  }
  return lease;
}

void PgPool::Return(std::unique_ptr<PgConnection> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(connection));
  idle_gauge_.Set(static_cast<double>(idle_.size()));
  busy_gauge_.Decrement();
  available_.notify_one();
}

absl::Status PgPool::InTransaction(
    const std::function<absl::Status(PgConnection&)>& work) {
  Backoff backoff(options_.retry.backoff);
  absl::Status status;
  for (int attempt = 1; attempt <= options_.retry.max_attempts; ++attempt) {
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) return lease.status();
    bool commit_sent = false;
    status = [&]() -> absl::Status {
      absl::StatusOr<PgTransaction> transaction = PgTransaction::Begin(**lease);
      if (!transaction.ok()) return transaction.status();
      if (absl::Status result = work(**lease); !result.ok()) return result;
      commit_sent = true;
      return transaction->Commit();
    }();
    const bool connection_lost = (*lease)->broken();
    if (status.ok() || !connection_lost) return status;
    if (commit_sent) {
      return absl::UnavailableError(absl::StrCat(
          "connection to Postgres lost during COMMIT; the transaction may or "
          "may not have been applied: ",
          status.message()));
    }
    log::Warning("Postgres connection lost in a transaction; retrying",
                 {{"attempt", attempt}, {"error", status}});
    retries_.Increment();
    if (attempt < options_.retry.max_attempts) {
      options_.clock->SleepFor(backoff.NextDelay());
    }
  }
  return status;
}

absl::StatusOr<PgResult> PgPool::Exec(absl::string_view sql,
                                      const PgParams& params) {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  return (*connection)->Exec(sql, params);
}

absl::StatusOr<PgResult> PgPool::Exec(const PgStatement& statement,
                                      const PgParams& params) {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  return (*connection)->Exec(statement, params);
}

}  // namespace chainsync
