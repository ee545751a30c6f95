// chainsync-reconciler: compares chain, indexer and oracle, runs disputes,
// scores health and publishes proof of reserves.
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "libs/common/server/backend.h"
#include "reconciler_migrations.h"

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "reconciler",
       .usage = "chainsync-reconciler: compares chain, indexer and oracle, "
                "runs disputes, scores health and publishes proof of reserves.",
       .defaults = {.grpc_port = 50053, .admin_port = 9103},
       .migrations = &chainsync::reconciler::ReconcilerMigrations()},
      argc, argv,
      [](chainsync::PgPool&) -> absl::StatusOr<chainsync::BackendComponents> {
        // The generated base answers UNIMPLEMENTED until the reconciler's
        // handlers land; the contract is served (and reflected) already.
        using chainsync::reconciler::v1::ReconcilerService;
        chainsync::BackendComponents components;
        components.services.push_back(
            {std::make_shared<ReconcilerService::Service>(),
             ReconcilerService::service_full_name()});
        return components;
      });
}
