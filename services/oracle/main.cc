// chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync() transactions.
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/server/backend.h"
#include "oracle_migrations.h"

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "oracle",
       .usage = "chainsync-oracle: mirrors users' Bitcoin balances on chain with signed sync() transactions.",
       .defaults = {.grpc_port = 50052, .admin_port = 9102},
       .migrations = &chainsync::oracle::OracleMigrations()},
      argc, argv, [](chainsync::PgPool&) {
        // The generated base answers UNIMPLEMENTED until the oracle's handlers
        // land; the contract is served (and reflected) already.
        std::vector<std::unique_ptr<grpc::Service>> services;
        services.push_back(
            std::make_unique<chainsync::oracle::v1::OracleService::Service>());
        return services;
      });
}
