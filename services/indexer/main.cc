// chainsync-indexer: follows EVM chains into Postgres and serves balances,
// activity, events and a resumable event stream.
#include "absl/flags/flag.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "indexer_migrations.h"
#include "libs/common/config/flags.h"
#include "libs/common/config/secret.h"
#include "libs/common/server/backend.h"
#include "services/indexer/indexer_grpc_service.h"

ABSL_FLAG(std::string, deployment_config, "",
          "The contracts to index: the configuration chainsync-deploy writes "
          "(chain id, "
          "names, addresses, start blocks, ABIs). Required.");
ABSL_FLAG(std::vector<std::string>, rpc_url, {"http://127.0.0.1:8545"},
          "JSON-RPC endpoints of the chain, comma-separated, in order of "
          "preference.");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(10),
          "How long one JSON-RPC request may take before it is retried.");
ABSL_FLAG(uint64_t, confirmations, 12,
          "Blocks this deep under the head are final; above it every header is "
          "checked.");
ABSL_FLAG(bool, finalized_tag, false,
          "Take final blocks from the node's `finalized` tag (chains with a "
          "finality gadget) instead of --confirmations.");
ABSL_FLAG(absl::Duration, poll_interval, absl::Milliseconds(200),
          "How often to look for a new head.");
ABSL_FLAG(uint64_t, max_batch_blocks, 2000,
          "Blocks per batch (one transaction) at most.");
ABSL_FLAG(uint64_t, max_batch_events, 5000,
          "Events per batch, about: a denser batch narrows the next ones.");
ABSL_FLAG(uint32_t, fetch_ahead, 4,
          "Batches of final blocks fetched concurrently ahead of the one "
          "committing; 0 fetches one batch at a time.");
ABSL_FLAG(int32_t, max_subscribers, 512,
          "Subscribe streams open at once, at most; one more is refused with "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, stall_after, absl::Minutes(1),
          "How long indexing steps may fail in a row before the service "
          "reports not ready (/readyz 503, gRPC health NOT_SERVING) with the "
          "reason.");
ABSL_FLAG(uint64_t, max_reread_blocks, 100'000,
          "Blocks under the indexed one that a RereadBlocks request may "
          "reach; a deeper one is refused with OUT_OF_RANGE.");
ABSL_FLAG(bool, new_heads, true,
          "Subscribe to newHeads over WebSocket, where the node offers it, to "
          "hear of blocks at once; otherwise poll every --poll_interval.");

int main(int argc, char** argv) {
  return chainsync::RunBackend(
      {.service = "indexer",
       .usage = "chainsync-indexer: follows EVM chains into Postgres and "
                "serves balances, "
                "activity, events and a resumable event stream.",
       .defaults = {.grpc_port = 50051, .admin_port = 9101},
       .migrations = &chainsync::indexer::IndexerMigrations()},
      argc, argv,
      [](chainsync::PgPool& pool)
          -> absl::StatusOr<chainsync::BackendComponents> {
        for (const auto& [name, value] :
             {std::pair{"max_batch_blocks",
                        absl::GetFlag(FLAGS_max_batch_blocks)},
              std::pair{"max_batch_events",
                        absl::GetFlag(FLAGS_max_batch_events)}}) {
          if (value == 0) {
            return chainsync::InvalidFlag(name, "0", "must be at least 1");
          }
        }
        const int32_t max_subscribers = absl::GetFlag(FLAGS_max_subscribers);
        if (max_subscribers < 1 || max_subscribers > 100'000) {
          return chainsync::InvalidFlag("max_subscribers",
                                        absl::StrCat(max_subscribers),
                                        "must be from 1 to 100000");
        }
        if (absl::GetFlag(FLAGS_rpc_timeout) <= absl::ZeroDuration()) {
          return chainsync::InvalidFlag(
              "rpc_timeout",
              absl::FormatDuration(absl::GetFlag(FLAGS_rpc_timeout)),
              "must be positive");
        }
        // Replicas behind one gateway must share the key, or a page token
        // from one is refused by the next.
        absl::StatusOr<chainsync::Secret> page_token_key =
            chainsync::ReadOptionalSecret("page_token_key");
        if (!page_token_key.ok()) return page_token_key.status();
        auto indexer = chainsync::indexer::Indexer::Create(
            {.deployment_config = absl::GetFlag(FLAGS_deployment_config),
             .rpc_urls = absl::GetFlag(FLAGS_rpc_url),
             .rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout),
             .confirmations = absl::GetFlag(FLAGS_confirmations),
             .finalized_tag = absl::GetFlag(FLAGS_finalized_tag),
             .poll_interval = absl::GetFlag(FLAGS_poll_interval),
             .max_batch_blocks = absl::GetFlag(FLAGS_max_batch_blocks),
             .max_batch_events = absl::GetFlag(FLAGS_max_batch_events),
             .fetch_ahead = absl::GetFlag(FLAGS_fetch_ahead),
             .new_heads = absl::GetFlag(FLAGS_new_heads),
             .stall_after = absl::GetFlag(FLAGS_stall_after),
             .max_reread_blocks = absl::GetFlag(FLAGS_max_reread_blocks),
             .page_token_key = *std::move(page_token_key)},
            pool);
        if (!indexer.ok()) return indexer.status();
        chainsync::BackendComponents components;
        auto service = std::make_shared<chainsync::indexer::IndexerGrpcService>(
            **indexer, max_subscribers);
        components.services.push_back(
            {service,
             chainsync::indexer::v1::IndexerService::service_full_name()});
        components.before_drain.push_back([service] { service->EndStreams(); });
        components.workers.push_back(*std::move(indexer));
        return components;
      });
}
