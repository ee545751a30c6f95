#pragma once

// The one upstream Subscribe to the indexer that feeds a gateway's realtime
// streams (ADR 0006). It reconnects with backoff and resumes after the last
// sequence it read, so that what it hands on has no gap; it tells the
// response cache which accounts each event touches.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/channel.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "services/api-gateway/realtime_frames.h"
#include "services/api-gateway/response_cache.h"

namespace chainsync::gateway {

// UpstreamListener is told what the upstream reads, from its thread.
class UpstreamListener {
 public:
  virtual ~UpstreamListener() = default;

  // OnCaughtUp says the stream has replayed what it missed: `latest` is the
  // newest sequence. At first contact the listener answers the sequence to
  // read after — the upstream starts over from there when it is older than
  // `latest` — and nullopt after.
  virtual std::optional<uint64_t> OnCaughtUp(uint64_t latest) = 0;

  // OnEvent hands on an event, in sequence order; it may block to push back.
  virtual void OnEvent(std::shared_ptr<const RenderedEvent> event) = 0;
};

class RealtimeUpstream {
 public:
  // Start follows the indexer's Subscribe on a thread of its own. `cache`,
  // when given, is told of every account an event touches and of whether
  // the stream is followed.
  static std::unique_ptr<RealtimeUpstream> Start(
      std::shared_ptr<grpc::Channel> indexer, UpstreamListener& listener,
      BackoffPolicy reconnect, Clock& clock, metrics::Registry& registry,
      ResponseCache* cache);
  // Stops the stream and waits for its thread.
  ~RealtimeUpstream();

 private:
  RealtimeUpstream(std::shared_ptr<grpc::Channel> indexer,
                   UpstreamListener& listener, BackoffPolicy reconnect,
                   Clock& clock, metrics::Registry& registry,
                   ResponseCache* cache);
  void Follow();

  std::unique_ptr<indexer::v1::IndexerService::Stub> stub_;
  UpstreamListener& listener_;
  const BackoffPolicy reconnect_;
  Clock& clock_;
  ResponseCache* const cache_;
  metrics::Counter& reconnects_;
  metrics::Gauge& connected_;

  std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  grpc::ClientContext* context_ = nullptr;
  std::thread thread_;
};

}  // namespace chainsync::gateway
