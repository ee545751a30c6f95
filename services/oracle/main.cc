// chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync()
// transactions.
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/server/backend.h"
#include "oracle_migrations.h"

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "oracle",
       .usage = "chainsync-oracle: mirrors users' Bitcoin balances on chain "
                "with signed sync() transactions.",
       .defaults = {.grpc_port = 50052, .admin_port = 9102},
       .migrations = &chainsync::oracle::OracleMigrations()},
      argc, argv,
      [](chainsync::PgPool&) -> absl::StatusOr<chainsync::BackendComponents> {
        // The generated base answers UNIMPLEMENTED until the oracle's handlers
        // land; the contract is served (and reflected) already.
        using chainsync::oracle::v1::OracleService;
        chainsync::BackendComponents components;
        components.services.push_back(
            {std::make_shared<OracleService::Service>(),
             OracleService::service_full_name()});
        return components;
      });
}
