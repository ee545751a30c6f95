#pragma once

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "services/indexer/indexer.h"

namespace chainsync::indexer {

// IndexerGrpcService answers the indexer's RPCs from the indexer's state,
// queries and event stream.
class IndexerGrpcService final : public v1::IndexerService::Service {
 public:
  explicit IndexerGrpcService(Indexer& indexer, metrics::Registry& registry =
                                                    metrics::DefaultRegistry());

  grpc::Status GetSyncStatus(grpc::ServerContext* context,
                             const v1::GetSyncStatusRequest* request,
                             v1::GetSyncStatusResponse* response) override;
  grpc::Status GetBalances(grpc::ServerContext* context,
                           const v1::GetBalancesRequest* request,
                           v1::GetBalancesResponse* response) override;
  grpc::Status ListActivity(grpc::ServerContext* context,
                            const v1::ListActivityRequest* request,
                            v1::ListActivityResponse* response) override;
  grpc::Status ListEvents(grpc::ServerContext* context,
                          const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override;
  grpc::Status ListEmergencyBurns(
      grpc::ServerContext* context,
      const v1::ListEmergencyBurnsRequest* request,
      v1::ListEmergencyBurnsResponse* response) override;
  grpc::Status ListContracts(grpc::ServerContext* context,
                             const v1::ListContractsRequest* request,
                             v1::ListContractsResponse* response) override;
  grpc::Status Subscribe(
      grpc::ServerContext* context, const v1::SubscribeRequest* request,
      grpc::ServerWriter<v1::SubscribeResponse>* writer) override;

 private:
  Indexer& indexer_;
  metrics::Gauge& subscribers_;
  metrics::Counter& events_sent_;
  metrics::Counter& removals_sent_;
};

}  // namespace chainsync::indexer
