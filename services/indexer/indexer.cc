#include "services/indexer/indexer.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "contracts/deploy/deployment.h"
#include "libs/common/logging/log.h"

namespace chainsync::indexer {

absl::StatusOr<std::unique_ptr<Indexer>> Indexer::Create(
    const IndexerOptions& options, PgPool& pool) {
  std::ifstream in(options.deployment_config);
  if (options.deployment_config.empty() || !in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the deployment configuration \"",
                     options.deployment_config, "\" (--deployment_config)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<contracts::Deployment> deployment =
      contracts::Deployment::FromJson(text.str());
  if (!deployment.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.deployment_config, ": ", deployment.status().message()));
  }
  std::unique_ptr<Indexer> indexer(new Indexer);
  indexer->chain_id_ = deployment->chain_id;
  indexer->max_reread_blocks_ = options.max_reread_blocks;
  indexer->clock_ = options.clock;
  absl::StatusOr<std::unique_ptr<ContractRegistry>> registry =
      ContractRegistry::FromDeployment(*deployment);
  if (!registry.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.deployment_config, ": ", registry.status().message()));
  }
  indexer->registry_ = *std::move(registry);

  evm::JsonRpcOptions rpc;
  rpc.endpoints = options.rpc_urls;
  rpc.request_timeout = options.rpc_timeout;
  rpc.clock = options.clock;
  // Once running, the node may come and go: calls retry for ever, with
  // backoff.
  rpc.call.retry.max_attempts = std::numeric_limits<int>::max();
  absl::StatusOr<std::unique_ptr<evm::JsonRpcClient>> client =
      evm::JsonRpcClient::Create(rpc);
  if (!client.ok()) return client.status();
  indexer->client_ = *std::move(client);
  // At start-up an unreachable node is a configuration error, reported
  // after a few seconds rather than retried for ever.
  RetryPolicy startup = rpc.call.retry;
  startup.max_attempts = 4;
  evm::JsonRpcClient checking = indexer->client_->WithRetry(startup);
  absl::StatusOr<uint64_t> chain_id = checking.ChainId();
  if (!chain_id.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the chain's node (--rpc_url): ",
                     chain_id.status().message()));
  }
  if (*chain_id != deployment->chain_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the node is chain ", *chain_id, " but ", options.deployment_config,
        " is for chain ", deployment->chain_id));
  }
  for (const auto& contract : indexer->registry_->contracts()) {
    absl::StatusOr<evm::Bytes> code =
        checking.GetCode(contract->address, evm::BlockRef::Latest());
    if (!code.ok()) return code.status();
    if (code->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("contract ", contract->name, " at ",
                       contract->address.ToChecksumHex(),
                       " has no code on chain ", *chain_id));
    }
  }

  // Tokens name themselves: symbol() and decimals(), where the ABI has them.
  absl::flat_hash_map<evm::Address, TokenInfo> tokens;
  for (const auto& contract : indexer->registry_->contracts()) {
    const evm::AbiFunction* symbol = contract->abi.FindFunction("symbol");
    const evm::AbiFunction* decimals = contract->abi.FindFunction("decimals");
    if (symbol == nullptr || decimals == nullptr) continue;
    TokenInfo info;
    const auto call = [&](const evm::AbiFunction& function) {
      return indexer->client_->EthCall(
          {.to = contract->address, .data = *function.EncodeCall({})},
          evm::BlockRef::Latest());
    };
    if (absl::StatusOr<evm::Bytes> output = call(*symbol); output.ok()) {
      if (auto values = symbol->DecodeOutput(*output);
          values.ok() && values->size() == 1) {
        if (const auto* text = std::get_if<std::string>(&values->front().value))
          info.symbol = *text;
      }
    }
    if (absl::StatusOr<evm::Bytes> output = call(*decimals); output.ok()) {
      if (auto values = decimals->DecodeOutput(*output);
          values.ok() && values->size() == 1) {
        if (const auto* number =
                std::get_if<evm::Uint256>(&values->front().value)) {
          info.decimals = static_cast<uint32_t>(*number);
        }
      }
    }
    tokens.emplace(contract->address, std::move(info));
  }
  if (options.page_token_key.empty()) {
    log::Info(
        "page tokens signed with a key of this process only; set "
        "CHAINSYNC_PAGE_TOKEN_KEY (or _FILE) alike on every replica");
  }
  indexer->queries_ =
      std::make_unique<IndexQueries>(pool, *chain_id, *indexer->registry_,
                                     std::move(tokens), options.page_token_key);
  absl::StatusOr<std::unique_ptr<EventStream>> stream =
      EventStream::Start(pool, *options.clock);
  if (!stream.ok()) return stream.status();
  indexer->stream_ = *std::move(stream);
  indexer->store_ = std::make_unique<PostgresChainStore>(pool);
  indexer->source_ = std::make_unique<JsonRpcChainSource>(*indexer->client_);
  indexer->follower_ = std::make_unique<ChainFollower>(
      *indexer->source_, *indexer->registry_, *indexer->store_,
      FollowerOptions{.chain_id = *chain_id,
                      .confirmations = options.confirmations,
                      .finalized_tag = options.finalized_tag,
                      .max_batch_blocks = options.max_batch_blocks,
                      .max_batch_events = options.max_batch_events,
                      .fetch_ahead = options.fetch_ahead},
      *options.clock);
  indexer->rereads_ = std::make_unique<RereadQueue>(pool);
  indexer->worker_ = std::make_unique<IndexerWorker>(
      *indexer->follower_, *indexer->rereads_,
      IndexerWorkerOptions{.follower = {.chain_id = *chain_id},
                           .poll_interval = options.poll_interval,
                           .stall_after = options.stall_after,
                           .lock_connection = pool.connect_options(),
                           .clock = options.clock});
  // New heads over WebSocket, where the node offers it, wake the worker at
  // once; polling stays the source of truth.
  const std::string ws_url =
      absl::StrReplaceAll(options.rpc_urls.front(), {{"http://", "ws://"}});
  IndexerWorker* worker = indexer->worker_.get();
  absl::StatusOr<std::unique_ptr<evm::NewHeadsSubscription>> new_heads =
      options.new_heads
          ? evm::NewHeadsSubscription::Start(
                {.url = ws_url, .clock = options.clock},
                [worker](const evm::BlockHeader&) { worker->Wake(); })
          : absl::FailedPreconditionError("turned off (--new_heads=false)");
  if (new_heads.ok()) {
    indexer->new_heads_ = *std::move(new_heads);
  } else {
    log::Info("no newHeads subscription; polling for new blocks",
              {{"reason", new_heads.status().message()},
               {"poll_interval_seconds", options.poll_interval}});
  }
  log::Info("indexer configured",
            {{"chain_id", *chain_id},
             {"contracts", indexer->registry_->contracts().size()},
             {"start_block", indexer->registry_->start_block()}});
  return indexer;
}

absl::StatusOr<v1::RereadBlocksResponse> Indexer::RequestReread(
    const v1::RereadBlocksRequest& request) {
  if (request.chain_id() != 0 && request.chain_id() != chain_id_) {
    return absl::NotFoundError(absl::StrCat("this indexer follows chain ",
                                            chain_id_, ", not chain ",
                                            request.chain_id()));
  }
  if (request.from_block() == 0) {
    return absl::InvalidArgumentError("from_block is required");
  }
  if (request.reason().empty()) {
    return absl::InvalidArgumentError(
        "reason is required: say why the blocks are read again");
  }
  // The cursor, not this process's status: a standby replica answers too.
  absl::StatusOr<std::optional<Cursor>> cursor = store_->LoadCursor(chain_id_);
  if (!cursor.ok()) return cursor.status();
  const uint64_t indexed = cursor->has_value() ? (*cursor)->indexed_block : 0;
  if (!cursor->has_value() || request.from_block() > indexed) {
    return absl::FailedPreconditionError(
        absl::StrCat("block ", request.from_block(),
                     " is not indexed yet (the indexer is at block ", indexed,
                     "): there is nothing to read again"));
  }
  if (indexed - request.from_block() >= max_reread_blocks_) {
    return absl::OutOfRangeError(absl::StrCat(
        "block ", request.from_block(), " is ", indexed - request.from_block(),
        " blocks under the indexed block ", indexed,
        "; at most --max_reread_blocks=", max_reread_blocks_,
        " are read again on request"));
  }
  const uint64_t from =
      std::max(request.from_block(), registry_->start_block());
  absl::StatusOr<Reread> pending =
      rereads_->Request(chain_id_, from, request.reason());
  if (!pending.ok()) return pending.status();
  worker_->RereadRequested();
  log::Info("indexer re-read requested", {{"chain_id", chain_id_},
                                          {"request", pending->id},
                                          {"from_block", pending->from_block},
                                          {"indexed", indexed},
                                          {"reason", request.reason()}});
  v1::RereadBlocksResponse response;
  response.set_request_id(pending->id);
  response.set_from_block(pending->from_block);
  response.set_indexed_block(indexed);
  return response;
}

void Indexer::Start() {
  if (absl::Status status = store_->RegisterContracts(chain_id_, *registry_);
      !status.ok()) {
    log::Warning("cannot record the indexed contracts", {{"error", status}});
  }
  worker_->Start();
}

}  // namespace chainsync::indexer
