#pragma once

// The last filters of the gateway's chain: they answer a request from a
// backend, as an event stream or as one call.

#include <map>
#include <memory>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "services/api-gateway/filter.h"
#include "services/api-gateway/realtime_hub.h"

namespace chainsync::gateway {

// StreamFilter serves the streaming routes — Server-Sent Events, and
// WebSocket on /api/realtime/ws — from the realtime hub; it passes on every
// other route.
class StreamFilter final : public Filter {
 public:
  // Without a hub (no indexer configured), streams answer UNAVAILABLE.
  explicit StreamFilter(RealtimeHub* hub) : hub_(hub) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  RealtimeHub* hub_;
};

// BackendCall is a backend's gRPC service, called without its generated
// stub: requests and answers are the route's messages, serialized.
struct BackendCall {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
};

// CallFilter calls the route's RPC on its backend, with a deadline and the
// caller's identity and request id in metadata, and answers the reply as
// proto3 JSON, or its error with the HTTP status of its code.
class CallFilter final : public Filter {
 public:
  // `backends` by service full name, for example
  // "chainsync.indexer.v1.IndexerService".
  CallFilter(const std::map<std::string, BackendCall>& backends,
             absl::Duration timeout)
      : backends_(backends), timeout_(timeout) {}
  void Handle(std::shared_ptr<Exchange> exchange, Next next) const override;

 private:
  const std::map<std::string, BackendCall>& backends_;
  const absl::Duration timeout_;
};

}  // namespace chainsync::gateway
