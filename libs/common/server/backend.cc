#include "libs/common/server/backend.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/logging/log.h"
#include "libs/common/postgres/migrations.h"
#include "re2/re2.h"

ABSL_FLAG(int32_t, grpc_port, 0,
          "gRPC port (0 picks a free one). Default per service: indexer "
          "50051, oracle 50052, reconciler 50053.");
ABSL_FLAG(int32_t, admin_port, 0,
          "Admin HTTP port serving /metrics, /healthz and /readyz (0 picks a "
          "free one). Default per service: indexer 9101, oracle 9102, "
          "reconciler 9103.");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL connection URI or conninfo string, without the "
          "password, e.g. postgresql://chainsync@127.0.0.1:5432/chainsync. "
          "The password comes from CHAINSYNC_DATABASE_PASSWORD or the file "
          "named by CHAINSYNC_DATABASE_PASSWORD_FILE.");
ABSL_FLAG(int32_t, database_pool_size, 8, "Postgres connections at most.");

namespace chainsync {

namespace {

absl::StatusOr<ServiceHostOptions> BackendHostOptionsFromFlags(
    absl::string_view service) {
  absl::StatusOr<ServiceHostOptions> options =
      ServiceHostOptionsFromFlags(service);
  if (!options.ok()) return options;
  const int32_t grpc_port = absl::GetFlag(FLAGS_grpc_port);
  const int32_t admin_port = absl::GetFlag(FLAGS_admin_port);
  if (absl::Status status = ValidatePort("grpc_port", grpc_port);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidatePort("admin_port", admin_port);
      !status.ok()) {
    return status;
  }
  options->grpc.emplace();
  options->grpc->host = options->http.host;
  options->grpc->port = grpc_port;
  absl::StatusOr<std::optional<MutualTls>> tls = MutualTlsFromFlags();
  if (!tls.ok()) return tls.status();
  options->grpc->tls = *std::move(tls);
  options->http.port = admin_port;
  return options;
}

}  // namespace

absl::StatusOr<PgPoolOptions> PgPoolOptionsFromFlags(
    absl::string_view service) {
  PgPoolOptions options;
  options.connect.url = absl::GetFlag(FLAGS_database_url);
  if (options.connect.url.empty()) {
    return InvalidFlag("database_url", "",
                       "required: the PostgreSQL URI, e.g. "
                       "postgresql://chainsync@127.0.0.1:5432/chainsync");
  }
  // The URL is logged and shown by `ps`; the password travels separately.
  static const LazyRE2 kPasswordInUrl = {R"(://[^/@]*:[^/@]*@|password\s*=)"};
  if (RE2::PartialMatch(options.connect.url, *kPasswordInUrl)) {
    return InvalidFlag("database_url", "(hidden)",
                       "must not contain the password; set "
                       "CHAINSYNC_DATABASE_PASSWORD or _FILE instead");
  }
  options.size = absl::GetFlag(FLAGS_database_pool_size);
  if (options.size < 1 || options.size > 1000) {
    return InvalidFlag("database_pool_size", absl::StrCat(options.size),
                       "must be from 1 to 1000");
  }
  absl::StatusOr<Secret> password = ReadSecret("database_password");
  if (password.ok()) {
    options.connect.password = *std::move(password);
  } else if (!absl::IsNotFound(password.status())) {
    return password.status();
  }
  options.connect.application_name = absl::StrCat("chainsync-", service);
  return options;
}

absl::Status MigrateSchema(PgPool& pool, absl::string_view service,
                           const std::vector<Migration>& migrations) {
  absl::StatusOr<PgPool::Lease> connection = pool.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<MigrationReport> report =
      ApplyMigrations(**connection, service, migrations);
  if (!report.ok()) return report.status();
  log::Info("database schema up to date",
            {{"schema", service},
             {"applied", report->applied},
             {"already_applied", report->already_applied}});
  return absl::OkStatus();
}

namespace {

// BlockedWatch asks the workers every second whether they are blocked and
// marks the service's readiness accordingly, until it goes away.
class BlockedWatch {
 public:
  BlockedWatch(const std::vector<std::unique_ptr<BackgroundWorker>>& workers,
               Readiness& readiness)
      : workers_(workers), readiness_(readiness), thread_([this] { Run(); }) {}

  ~BlockedWatch() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1),
                           [this] { return stopping_; })) {
      std::vector<std::string> blocked;
      for (const auto& worker : workers_) {
        if (std::string why = worker->Blocked(); !why.empty()) {
          blocked.push_back(std::move(why));
        }
      }
      readiness_.SetBlocked(absl::StrJoin(blocked, "; "));
    }
  }

  const std::vector<std::unique_ptr<BackgroundWorker>>& workers_;
  Readiness& readiness_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // Declared last: it runs on the members above.
  std::thread thread_;
};

}  // namespace

int RunBackend(const BackendSpec& spec, int argc, char** argv,
               const std::function<absl::StatusOr<BackendComponents>(PgPool&)>&
                   make_components) {
  absl::SetFlag(&FLAGS_grpc_port, spec.defaults.grpc_port);
  absl::SetFlag(&FLAGS_admin_port, spec.defaults.admin_port);
  InitProcess(spec.service, argc, argv, spec.usage);
  ServiceHostOptions options =
      ValueOrExit(BackendHostOptionsFromFlags(spec.service), "configuration");
  PgPoolOptions database_options =
      ValueOrExit(PgPoolOptionsFromFlags(spec.service), "configuration");
  std::unique_ptr<PgPool> database =
      ValueOrExit(PgPool::Create(std::move(database_options)), "database");
  BackendComponents components =
      ValueOrExit(make_components(*database), "configuration");
  // The ports are bound before the schema is touched, so that a start that
  // fails on a taken port changes nothing; the service is not ready (health
  // NOT_SERVING) until its schema is up to date.
  std::unique_ptr<ServiceHost> host = ValueOrExit(
      ServiceHost::Start(std::move(options), std::move(components.services),
                         HttpRouter(), metrics::DefaultRegistry()),
      "servers");
  OkOrExit(MigrateSchema(*database, spec.service, *spec.migrations),
           "database migrations");
  for (const auto& worker : components.workers) worker->Start();
  host->readiness().Set(true);
  {
    BlockedWatch watch(components.workers, host->readiness());
    host->WaitForShutdownSignal();
  }
  for (const auto& worker : components.workers) worker->Stop();
  for (const auto& end : components.before_drain) end();
  host->Drain();
  return 0;
}

}  // namespace chainsync
