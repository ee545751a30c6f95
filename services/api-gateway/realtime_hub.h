#pragma once

// The gateway's realtime streams (ADR 0006): the indexer's Subscribe served
// to browsers as Server-Sent Events and WebSocket.
//
// One upstream Subscribe per process (RealtimeUpstream) feeds a ring of
// recent events (EventRing) and the bounded queue of every live subscriber.
// A subscriber that resumes from a position within the ring is served from
// it; one from further back first replays on its own (ReplaySource), then
// joins at the seam. Every subscriber remembers the last sequence it was
// sent, so nothing reaches it twice whichever way it arrived. A subscriber
// whose queue is full is disconnected with the reason, and nobody else
// waits for it. When the upstream is lost it reconnects and resumes after
// the last sequence it read: subscribers see a delay, never a gap.

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "grpcpp/channel.h"
#include "libs/common/backoff.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_server.h"
#include "services/api-gateway/realtime_frames.h"
#include "services/api-gateway/realtime_replay.h"
#include "services/api-gateway/realtime_ring.h"
#include "services/api-gateway/realtime_upstream.h"
#include "services/api-gateway/response_cache.h"

namespace chainsync::gateway {

struct RealtimeOptions {
  // Recent events kept for subscribers that resume.
  size_t ring_size = 10'000;
  // Messages a subscriber may have unwritten; one more disconnects it.
  size_t client_queue = 1'000;
  // Each client socket's kernel send buffer; 0 for the system's default.
  int send_buffer_bytes = 256 << 10;
  // Subscribers catching up at once (each from the ring or its own replay);
  // more are refused with UNAVAILABLE until one has joined.
  int max_catch_ups = 64;
  // SSE heartbeat comments; WebSocket pings after this much silence.
  absl::Duration heartbeat = absl::Seconds(15);
  BackoffPolicy reconnect = {.initial_delay = absl::Milliseconds(100),
                             .max_delay = absl::Seconds(5)};
  Clock* clock = &SystemClock();
};

class RealtimeHub final : private UpstreamListener {
 public:
  // Start opens the upstream Subscribe on its own thread; it reconnects for
  // as long as the hub lives. `cache`, when given, is told of every account
  // an event touches and of whether the stream is followed.
  static std::unique_ptr<RealtimeHub> Start(
      std::shared_ptr<grpc::Channel> indexer, RealtimeOptions options,
      metrics::Registry& registry, ResponseCache* cache);
  // Ends every stream ("the server is shutting down") and the upstream.
  ~RealtimeHub() override;

  // ServeEventStream answers `reply` with a stream of server-sent events
  // for `request`: a comment when the subscription starts, then one event
  // per message, its `id:` the sequence. Nothing is sent, and the error
  // says why, when the filter is invalid (INVALID_ARGUMENT) or the stream
  // cannot start now (UNAVAILABLE).
  absl::Status ServeEventStream(
      const indexer::v1::SubscribeRequest& request,
      std::vector<std::pair<std::string, std::string>> headers,
      HttpReply& reply);

  // ServeWebSocket accepts a WebSocket upgrade. The client subscribes,
  // unsubscribes and pings with gateway.v1.ClientMessage JSON messages.
  void ServeWebSocket(HttpReply reply);

 private:
  struct Subscription;
  struct Metrics;

  RealtimeHub(std::shared_ptr<grpc::Channel> indexer, RealtimeOptions options,
              metrics::Registry& registry);

  // Admit tells whether a subscription to `request` can start now.
  absl::Status Admit(const indexer::v1::SubscribeRequest& request);
  // Subscribe starts `subscription`, live at once or through a catch-up:
  // it is sent an acknowledgement with its starting position, then events.
  absl::Status Subscribe(std::shared_ptr<Subscription> subscription,
                         std::optional<uint64_t> after_sequence);
  // Unsubscribe stops sending to `subscription`. Idempotent.
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  // OnWebSocketMessage handles one client message of a WebSocket.
  void OnWebSocketMessage(const std::shared_ptr<HttpStream>& stream,
                          std::shared_ptr<Subscription>& current,
                          const std::string& text);

  // UpstreamListener: the upstream's position, and its events for the
  // dispatcher.
  std::optional<uint64_t> OnCaughtUp(uint64_t latest) override;
  void OnEvent(std::shared_ptr<const RenderedEvent> event) override;
  // DispatchEvents publishes, on a thread of its own, every event that
  // arrived meanwhile at once: a burst then costs each subscriber one queue
  // operation and one write, however fast it came.
  void DispatchEvents();
  void Publish(absl::Span<const std::shared_ptr<const RenderedEvent>> batch);
  // Deliver sends a subscription the events that are new to it and pass
  // its filter; false when it cannot take them.
  bool Deliver(Subscription& subscription,
               absl::Span<const std::shared_ptr<const RenderedEvent>> events);
  // TryJoin serves a subscription from the ring as far as its queue has
  // room, and makes it live when it reaches the newest event.
  bool TryJoin(const std::shared_ptr<Subscription>& subscription);
  void CatchUp(std::shared_ptr<Subscription> subscription);
  // Replay sends events from a replay of the subscription's own until the
  // ring covers where it stands. False when it should stop.
  bool Replay(const std::shared_ptr<Subscription>& subscription);
  // WaitForRoom waits until the subscription's queue is at most half full.
  bool WaitForRoom(const Subscription& subscription);
  void Drop(Subscription& subscription, bool slow);
  void ReapCatchUps();

  std::unique_ptr<ReplaySource> replays_;
  const RealtimeOptions options_;
  std::unique_ptr<Metrics> metrics_;

  std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  // The last sequence of the upstream stream; unknown until it first
  // answers.
  std::optional<uint64_t> position_;
  // The newest sequence known to exist: where a live-only subscriber starts.
  uint64_t live_from_ = 0;
  // Recent events, up to position_.
  EventRing ring_;
  std::set<std::shared_ptr<Subscription>> live_;
  struct CatchUpThread {
    std::shared_ptr<Subscription> subscription;
    std::thread thread;
    bool done = false;
  };
  std::list<CatchUpThread> catch_ups_;
  // What Deliver sends, reused.
  std::vector<std::shared_ptr<const std::string>> texts_;

  // From the upstream reader to the dispatcher.
  std::mutex inbox_mu_;
  std::condition_variable inbox_ready_;
  std::condition_variable inbox_room_;
  std::vector<std::shared_ptr<const RenderedEvent>> inbox_;
  bool inbox_closed_ = false;

  std::thread dispatcher_;
  std::unique_ptr<RealtimeUpstream> upstream_;
};

}  // namespace chainsync::gateway
