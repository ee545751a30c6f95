#include "libs/common/metrics/grpc_metrics_interceptor.h"

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "libs/common/status.h"

namespace chainsync::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

absl::string_view RpcTypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
    default:
      return "unknown";
  }
}

class GrpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(ServerRpcInfo* info, Family<Counter>& started,
                         Family<Counter>& handled,
                         Family<Histogram>& handling_seconds,
                         Family<Counter>& received, Family<Counter>& sent)
      : handled_(handled), start_(absl::Now()) {
    // "/chainsync.indexer.v1.IndexerService/GetBalances"
    const absl::string_view full = info->method();
    const size_t slash = full.rfind('/');
    type_ = std::string(RpcTypeName(info->type()));
    service_ = std::string(full.substr(1, slash - 1));
    method_ = std::string(full.substr(slash + 1));
    started.WithLabels({type_, service_, method_}).Increment();
    handling_seconds_ =
        &handling_seconds.WithLabels({type_, service_, method_});
    received_ = &received.WithLabels({type_, service_, method_});
    sent_ = &sent.WithLabels({type_, service_, method_});
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE)) {
      received_->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      sent_->Increment();
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::string_view code =
          StatusCodeName(static_cast<absl::StatusCode>(status.error_code()));
      handled_.WithLabels({type_, service_, method_, code}).Increment();
      handling_seconds_->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  Family<Counter>& handled_;
  Histogram* handling_seconds_;
  Counter* received_;
  Counter* sent_;
  absl::Time start_;
  std::string type_;
  std::string service_;
  std::string method_;
};

}  // namespace

GrpcMetricsInterceptorFactory::GrpcMetricsInterceptorFactory(Registry& registry)
    : started_(
          registry.AddCounter("grpc_server_started_total",
                              "Total number of RPCs started on the server.",
                              {"grpc_type", "grpc_service", "grpc_method"})),
      handled_(registry.AddCounter(
          "grpc_server_handled_total",
          "Total number of RPCs completed on the server, regardless of "
          "success or failure.",
          {"grpc_type", "grpc_service", "grpc_method", "grpc_code"})),
      handling_seconds_(registry.AddHistogram(
          "grpc_server_handling_seconds",
          "Histogram of response latency (seconds) of gRPC that had been "
          "application-level handled by the server.",
          {"grpc_type", "grpc_service", "grpc_method"}, LatencyBuckets())),
      received_(registry.AddCounter(
          "grpc_server_msg_received_total",
          "Total number of RPC stream messages received on the server.",
          {"grpc_type", "grpc_service", "grpc_method"})),
      sent_(registry.AddCounter(
          "grpc_server_msg_sent_total",
          "Total number of gRPC stream messages sent by the server.",
          {"grpc_type", "grpc_service", "grpc_method"})) {}

grpc::experimental::Interceptor*
GrpcMetricsInterceptorFactory::CreateServerInterceptor(ServerRpcInfo* info) {
  return new GrpcMetricsInterceptor(info, started_, handled_, handling_seconds_,
                                    received_, sent_);
}

}  // namespace chainsync::metrics
