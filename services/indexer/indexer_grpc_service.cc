#include "services/indexer/indexer_grpc_service.h"

#include "absl/time/clock.h"
#include "libs/common/grpc_status.h"

namespace chainsync::indexer {
namespace {

v1::ChainState StateOf(ChainState state) {
  switch (state) {
    case ChainState::kStandby:
      return v1::CHAIN_STATE_STANDBY;
    case ChainState::kBackfilling:
      return v1::CHAIN_STATE_BACKFILLING;
    case ChainState::kFollowing:
      return v1::CHAIN_STATE_FOLLOWING;
    case ChainState::kStalled:
      return v1::CHAIN_STATE_STALLED;
    case ChainState::kStarting:
      break;
  }
  return v1::CHAIN_STATE_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* IndexerGrpcService::GetSyncStatus(
    grpc::CallbackServerContext* context,
    const v1::GetSyncStatusRequest* request,
    v1::GetSyncStatusResponse* response) {
  if (request->chain_id() != 0 && request->chain_id() != indexer_.chain_id()) {
    return Reply(context, absl::OkStatus());
  }
  const ChainStatus status = indexer_.status();
  v1::ChainSyncStatus* chain = response->add_chains();
  chain->set_chain_id(indexer_.chain_id());
  chain->set_state(StateOf(status.state));
  chain->set_head_block(status.head);
  chain->set_indexed_block(status.indexed);
  chain->set_finalized_block(status.finalized);
  chain->set_lag_blocks(
      status.head > status.indexed ? status.head - status.indexed : 0);
  if (status.indexed_time.has_value()) {
    const absl::Duration lag = indexer_.clock().Now() - *status.indexed_time;
    chain->mutable_lag()->set_seconds(absl::ToInt64Seconds(lag));
    chain->mutable_lag()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(lag % absl::Seconds(1))));
  }
  if (!status.last_error.empty()) {
    chain->set_last_error(status.last_error);
    chain->mutable_last_error_time()->set_seconds(
        absl::ToUnixSeconds(status.last_error_time));
  }
  if (status.state == ChainState::kBackfilling && status.head > 0) {
    v1::BackfillProgress* backfill = chain->mutable_backfill();
    backfill->set_start_block(indexer_.registry().start_block());
    backfill->set_target_block(status.head);
    backfill->set_current_block(status.indexed);
    const double span =
        static_cast<double>(status.head - backfill->start_block());
    backfill->set_events_per_second(status.events_per_second);
    backfill->set_fraction_done(
        span > 0
            ? static_cast<double>(status.indexed - backfill->start_block()) /
                  span
            : 1.0);
  }
  if (!status.last_final_reorg.empty()) {
    chain->set_last_final_reorg(status.last_final_reorg);
    chain->mutable_last_final_reorg_time()->set_seconds(
        absl::ToUnixSeconds(status.last_final_reorg_time));
  }
  chain->mutable_update_time()->set_seconds(
      absl::ToUnixSeconds(indexer_.clock().Now()));
  return Reply(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* IndexerGrpcService::GetBalances(
    grpc::CallbackServerContext* context, const v1::GetBalancesRequest* request,
    v1::GetBalancesResponse* response) {
  return Reply(context, indexer_.queries().GetBalances(*request), response);
}

grpc::ServerUnaryReactor* IndexerGrpcService::ListActivity(
    grpc::CallbackServerContext* context,
    const v1::ListActivityRequest* request,
    v1::ListActivityResponse* response) {
  return Reply(context, indexer_.queries().ListActivity(*request), response);
}

grpc::ServerUnaryReactor* IndexerGrpcService::ListEvents(
    grpc::CallbackServerContext* context, const v1::ListEventsRequest* request,
    v1::ListEventsResponse* response) {
  return Reply(context, indexer_.queries().ListEvents(*request), response);
}

grpc::ServerUnaryReactor* IndexerGrpcService::ListEmergencyBurns(
    grpc::CallbackServerContext* context,
    const v1::ListEmergencyBurnsRequest* request,
    v1::ListEmergencyBurnsResponse* response) {
  return Reply(context, indexer_.queries().ListEmergencyBurns(*request),
               response);
}

grpc::ServerUnaryReactor* IndexerGrpcService::ListHolders(
    grpc::CallbackServerContext* context, const v1::ListHoldersRequest* request,
    v1::ListHoldersResponse* response) {
  return Reply(context, indexer_.queries().ListHolders(*request), response);
}

grpc::ServerUnaryReactor* IndexerGrpcService::ListContracts(
    grpc::CallbackServerContext* context,
    const v1::ListContractsRequest* request,
    v1::ListContractsResponse* response) {
  if (request->chain_id() == 0 || request->chain_id() == indexer_.chain_id()) {
    *response = indexer_.queries().ListContracts();
  }
  return Reply(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* IndexerGrpcService::RereadBlocks(
    grpc::CallbackServerContext* context,
    const v1::RereadBlocksRequest* request,
    v1::RereadBlocksResponse* response) {
  return Reply(context, indexer_.RequestReread(*request), response);
}

IndexerGrpcService::IndexerGrpcService(Indexer& indexer, int max_subscribers,
                                       metrics::Registry& registry)
    : indexer_(indexer),
      feed_(
          indexer.stream(), [&indexer] { return indexer.status().indexed; },
          {.max_streams = max_subscribers}, registry) {}

grpc::ServerWriteReactor<v1::SubscribeResponse>* IndexerGrpcService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  return feed_.Open(context, *request);
}

void IndexerGrpcService::EndStreams() {
  feed_.Close(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                           "the indexer is shutting down; subscribe again "
                           "with after_sequence to resume"));
}

}  // namespace chainsync::indexer
