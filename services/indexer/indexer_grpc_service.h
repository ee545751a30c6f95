#pragma once

#include <atomic>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "services/indexer/indexer.h"

namespace chainsync::indexer {

// IndexerGrpcService answers the indexer's RPCs from the indexer's state,
// queries and event stream.
// The unary RPCs answer on gRPC's callback threads. The synchronous server
// hands each call to a thread of its own, and on two cores the switching
// cost a fifth of the REST throughput of cache misses (bench/RESULTS.md).
// Subscribe, a long-lived stream that waits for commits, keeps a thread of
// its own.
using IndexerServiceBase = v1::IndexerService::WithCallbackMethod_GetSyncStatus<
    v1::IndexerService::WithCallbackMethod_GetBalances<
        v1::IndexerService::WithCallbackMethod_ListActivity<
            v1::IndexerService::WithCallbackMethod_ListEvents<
                v1::IndexerService::WithCallbackMethod_ListEmergencyBurns<
                    v1::IndexerService::WithCallbackMethod_ListContracts<
                        v1::IndexerService::Service>>>>>>;

class IndexerGrpcService final : public IndexerServiceBase {
 public:
  // At most `max_subscribers` Subscribe streams are open at once; one more
  // is RESOURCE_EXHAUSTED (each stream holds a thread of the server's).
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
  grpc::ServerUnaryReactor* ListContracts(
      grpc::CallbackServerContext* context,
      const v1::ListContractsRequest* request,
      v1::ListContractsResponse* response) override;
  grpc::Status Subscribe(
      grpc::ServerContext* context, const v1::SubscribeRequest* request,
      grpc::ServerWriter<v1::SubscribeResponse>* writer) override;

 private:
  Indexer& indexer_;
  const int max_subscribers_;
  std::atomic<int> open_streams_{0};
  metrics::Gauge& subscribers_;
  metrics::Counter& refused_streams_;
  metrics::Counter& events_sent_;
  metrics::Counter& removals_sent_;
};

}  // namespace chainsync::indexer
