#pragma once

#include "grpcpp/support/server_interceptor.h"
#include "libs/common/metrics/registry.h"

namespace chainsync::metrics {

// GrpcMetricsInterceptorFactory records the standard gRPC server families,
// named and labelled like go-grpc-prometheus so that existing dashboards work:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}
//   grpc_server_msg_received_total / grpc_server_msg_sent_total
class GrpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcMetricsInterceptorFactory(Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Family<Counter>& started_;
  Family<Counter>& handled_;
  Family<Histogram>& handling_seconds_;
  Family<Counter>& received_;
  Family<Counter>& sent_;
};

}  // namespace chainsync::metrics
