#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libs/common/server/backend.h"
#include "libs/evm/new_heads_subscription.h"
#include "services/indexer/event_stream.h"
#include "services/indexer/index_queries.h"
#include "services/indexer/indexer_worker.h"
#include "services/indexer/json_rpc_chain_source.h"
#include "services/indexer/rereads.h"

namespace chainsync::indexer {

struct IndexerOptions {
  // The deployment configuration the deploy tool writes: the chain id and
  // the contracts with their addresses, start blocks and ABIs.
  std::string deployment_config;
  // JSON-RPC endpoints of the chain, in order of preference.
  std::vector<std::string> rpc_urls;
  // How long one JSON-RPC request may take before it is retried.
  absl::Duration rpc_timeout = absl::Seconds(10);
  uint64_t confirmations = 12;
  // Final blocks from the node's `finalized` tag instead of confirmations.
  bool finalized_tag = false;
  absl::Duration poll_interval = absl::Milliseconds(200);
  uint64_t max_batch_blocks = 2000;
  uint64_t max_batch_events = 5000;
  // Batches of final blocks fetched concurrently ahead of the committing one.
  size_t fetch_ahead = 4;
  // Whether to subscribe to newHeads (when the node offers it) or only poll.
  bool new_heads = true;
  // How long steps may fail in a row before the service is not ready.
  absl::Duration stall_after = absl::Minutes(1);
  // Blocks a RereadBlocks request may reach under the indexed block.
  uint64_t max_reread_blocks = 100'000;
  // Signs the lists' page tokens; without one, a random key serves this
  // process only.
  Secret page_token_key;
  Clock* clock = &SystemClock();
};

// Indexer is the indexer of one chain: its node client, contracts, store,
// follower and worker.
class Indexer final : public BackgroundWorker {
 public:
  // Create checks what a misconfiguration would break later, naming it: the
  // configuration file reads and parses, the node answers with the
  // configured chain id, and every contract has code.
  static absl::StatusOr<std::unique_ptr<Indexer>> Create(
      const IndexerOptions& options, PgPool& pool);

  // Start records the contracts and starts following the chain.
  void Start() override;
  void Stop() override { worker_->Stop(); }
  std::string Blocked() const override { return worker_->Blocked(); }

  uint64_t chain_id() const { return chain_id_; }
  Clock& clock() const { return *clock_; }
  const ContractRegistry& registry() const { return *registry_; }
  ChainStatus status() const { return worker_->status(); }
  IndexQueries& queries() { return *queries_; }
  EventStream& stream() { return *stream_; }

  // RequestReread records a request to read the chain again from a block
  // (see RereadBlocks in indexer.proto) for the writer to carry out.
  absl::StatusOr<v1::RereadBlocksResponse> RequestReread(
      const v1::RereadBlocksRequest& request);

 private:
  Indexer() = default;

  uint64_t chain_id_ = 0;
  uint64_t max_reread_blocks_ = 0;
  Clock* clock_ = nullptr;
  std::unique_ptr<evm::JsonRpcClient> client_;
  std::unique_ptr<JsonRpcChainSource> source_;
  std::unique_ptr<ContractRegistry> registry_;
  std::unique_ptr<PostgresChainStore> store_;
  std::unique_ptr<ChainFollower> follower_;
  std::unique_ptr<RereadQueue> rereads_;
  std::unique_ptr<IndexerWorker> worker_;
  std::unique_ptr<IndexQueries> queries_;
  std::unique_ptr<EventStream> stream_;
  // Declared after the worker it wakes, so that it goes first.
  std::unique_ptr<evm::NewHeadsSubscription> new_heads_;
};

}  // namespace chainsync::indexer
