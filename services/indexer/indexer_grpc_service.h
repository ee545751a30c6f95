#pragma once

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "services/indexer/indexer.h"
#include "services/indexer/subscribe_feed.h"

namespace chainsync::indexer {

// IndexerGrpcService answers the indexer's RPCs from the indexer's state,
// queries and event stream.
// Every RPC answers on gRPC's callback threads. The synchronous server
// hands each call to a thread of its own: on two cores the switching cost a
// fifth of the REST throughput of cache misses (bench/RESULTS.md), and each
// open Subscribe stream held a thread. Subscribe streams are served by the
// SubscribeFeed.
class IndexerGrpcService final : public v1::IndexerService::CallbackService {
 public:
  // At most `max_subscribers` Subscribe streams are open at once; one more
  // is RESOURCE_EXHAUSTED.
  IndexerGrpcService(Indexer& indexer, int max_subscribers,
                     metrics::Registry& registry = metrics::DefaultRegistry());

  grpc::ServerUnaryReactor* GetSyncStatus(
      grpc::CallbackServerContext* context,
      const v1::GetSyncStatusRequest* request,
      v1::GetSyncStatusResponse* response) override;
  grpc::ServerUnaryReactor* GetBalances(
      grpc::CallbackServerContext* context,
      const v1::GetBalancesRequest* request,
      v1::GetBalancesResponse* response) override;
  grpc::ServerUnaryReactor* ListActivity(
      grpc::CallbackServerContext* context,
      const v1::ListActivityRequest* request,
      v1::ListActivityResponse* response) override;
  grpc::ServerUnaryReactor* ListEvents(
      grpc::CallbackServerContext* context,
      const v1::ListEventsRequest* request,
      v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* ListEmergencyBurns(
      grpc::CallbackServerContext* context,
      const v1::ListEmergencyBurnsRequest* request,
      v1::ListEmergencyBurnsResponse* response) override;
  grpc::ServerUnaryReactor* ListHolders(
      grpc::CallbackServerContext* context,
      const v1::ListHoldersRequest* request,
      v1::ListHoldersResponse* response) override;
  grpc::ServerUnaryReactor* ListContracts(
      grpc::CallbackServerContext* context,
      const v1::ListContractsRequest* request,
      v1::ListContractsResponse* response) override;
  grpc::ServerUnaryReactor* RereadBlocks(
      grpc::CallbackServerContext* context,
      const v1::RereadBlocksRequest* request,
      v1::RereadBlocksResponse* response) override;
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;

  // EndStreams ends every Subscribe stream, and refuses new ones, with
  // UNAVAILABLE: the process is shutting down, and a subscriber resumes on
  // another replica from its last sequence.
  void EndStreams();

 private:
  Indexer& indexer_;
  SubscribeFeed feed_;
};

}  // namespace chainsync::indexer
