#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/postgres/migrations.h"
#include "libs/common/postgres/pool.h"
#include "libs/common/server/service_host.h"

namespace chainsync {

// The frame of every backend (indexer, oracle, reconciler): its gRPC and
// admin ports, its database and its schema. Default ports differ per
// service, so each main passes its own.
struct BackendDefaults {
  int grpc_port;
  int admin_port;
};

// BackendSpec describes a backend binary.
struct BackendSpec {
  // The service name, which is also its Postgres schema.
  absl::string_view service;
  // The first line of --help.
  absl::string_view usage;
  BackendDefaults defaults;
  const std::vector<Migration>* migrations;
};

// BackgroundWorker is work a backend does besides answering calls (the
// indexer following its chains, the oracle's sweep).
class BackgroundWorker {
 public:
  virtual ~BackgroundWorker() = default;
  // Start begins the work on threads of the worker's own.
  virtual void Start() = 0;
  // Stop finishes the unit of work in progress (a batch) and returns.
  virtual void Stop() = 0;
  // Blocked says why the work cannot go on, once it has failed for so long
  // that the service is not to be counted on (it is then not ready, with
  // that reason); empty while it goes on.
  virtual std::string Blocked() const { return ""; }
};

// BackendComponents are what a backend's domain code gives the frame.
struct BackendComponents {
  std::vector<NamedService> services;
  std::vector<std::unique_ptr<BackgroundWorker>> workers;
  // Called on SIGTERM once the workers have stopped, before the calls in
  // flight are drained: long calls (streams) end here rather than hold the
  // drain to its deadline.
  std::vector<std::function<void()>> before_drain;
};

// RunBackend is the whole life of a backend process: flags, logging, the
// database pool, the components `make_components` builds (a failure there —
// bad configuration, an unreachable chain — exits before anything is bound
// or written), their gRPC services served with health, reflection and
// metrics, the schema migrated, the workers started, ready (and not ready
// while a worker is blocked, looked at every second); on SIGTERM, not
// ready, workers stopped after their current unit of work, `before_drain`
// called, calls drained,
// exit status 0. Start-up errors exit non-zero with one log line and leave
// the database as it was. Returns the exit status.
int RunBackend(const BackendSpec& spec, int argc, char** argv,
               const std::function<absl::StatusOr<BackendComponents>(PgPool&)>&
                   make_components);

// PgPoolOptionsFromFlags reads --database_url, --database_pool_size and the
// secret database_password (CHAINSYNC_DATABASE_PASSWORD[_FILE]).
absl::StatusOr<PgPoolOptions> PgPoolOptionsFromFlags(absl::string_view service);

// MigrateSchema applies the service's migrations to its schema.
absl::Status MigrateSchema(PgPool& pool, absl::string_view service,
                           const std::vector<Migration>& migrations);

}  // namespace chainsync
