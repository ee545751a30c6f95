// chainsync-indexer: follows EVM chains into Postgres and serves balances,
// activity, events and a resumable event stream.
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "indexer_migrations.h"
#include "libs/common/server/backend.h"

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "indexer",
       .usage =
           "chainsync-indexer: follows EVM chains into Postgres and serves "
           "balances, activity, events and a resumable event stream.",
       .defaults = {.grpc_port = 50051, .admin_port = 9101},
       .migrations = &chainsync::indexer::IndexerMigrations()},
      argc, argv, [](chainsync::PgPool&) {
        // The generated base answers UNIMPLEMENTED until the indexer's handlers
        // land; the contract is served (and reflected) already.
        using chainsync::indexer::v1::IndexerService;
        return std::vector<chainsync::NamedService>{
            {std::make_shared<IndexerService::Service>(),
             IndexerService::service_full_name()}};
      });
}
