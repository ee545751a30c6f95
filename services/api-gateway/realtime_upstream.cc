#include "services/api-gateway/realtime_upstream.h"

#include "grpcpp/client_context.h"
#include "libs/common/logging/log.h"

namespace chainsync::gateway {

RealtimeUpstream::RealtimeUpstream(std::shared_ptr<grpc::Channel> indexer,
                                   UpstreamListener& listener,
                                   BackoffPolicy reconnect, Clock& clock,
                                   metrics::Registry& registry,
                                   ResponseCache* cache)
    : stub_(indexer::v1::IndexerService::NewStub(std::move(indexer))),
      listener_(listener),
      reconnect_(reconnect),
      clock_(clock),
      cache_(cache),
      reconnects_(registry
                      .AddCounter("realtime_upstream_reconnects_total",
                                  "Times the upstream Subscribe to the "
                                  "indexer was lost and opened again.",
                                  {})
                      .WithLabels({})),
      connected_(registry
                     .AddGauge("realtime_upstream_connected",
                               "1 while the upstream Subscribe is open.", {})
                     .WithLabels({})) {}

std::unique_ptr<RealtimeUpstream> RealtimeUpstream::Start(
    std::shared_ptr<grpc::Channel> indexer, UpstreamListener& listener,
    BackoffPolicy reconnect, Clock& clock, metrics::Registry& registry,
    ResponseCache* cache) {
  std::unique_ptr<RealtimeUpstream> upstream(new RealtimeUpstream(
      std::move(indexer), listener, reconnect, clock, registry, cache));
  upstream->thread_ = std::thread([raw = upstream.get()] { raw->Follow(); });
  return upstream;
}

RealtimeUpstream::~RealtimeUpstream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  stop_.notify_all();
  thread_.join();
}

void RealtimeUpstream::Follow() {
  Backoff backoff(reconnect_);
  bool lost = false;
  // The last sequence read; unknown until the first marker.
  std::optional<uint64_t> read;
  // Events up to the newest at first contact were committed before any
  // answer was kept, so the replay of them makes nothing stale.
  uint64_t stale_after = 0;
  while (true) {
    grpc::ClientContext context;
    // While the indexer is unreachable the call waits for the channel to
    // connect, rather than failing at once and backing off further each
    // time: the stream is back as soon as the indexer is.
    context.set_wait_for_ready(true);
    indexer::v1::SubscribeRequest request;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      context_ = &context;
      if (read.has_value()) request.set_after_sequence(*read);
    }
    std::unique_ptr<grpc::ClientReader<indexer::v1::SubscribeResponse>> reader =
        stub_->Subscribe(&context, request);
    indexer::v1::SubscribeResponse message;
    bool start_over = false;
    while (reader->Read(&message)) {
      if (lost) {
        lost = false;
        log::Info("realtime upstream is back",
                  {{"after_sequence", request.after_sequence()}});
      }
      backoff.Reset();
      connected_.Set(1);
      // Before the first marker the upstream does not know where it
      // stands; what comes then is read again after it.
      if (message.has_event()) {
        if (cache_ != nullptr && message.event().sequence() > stale_after) {
          for (const std::string& account : message.event().accounts()) {
            cache_->Touch(account);
          }
        }
        if (!read.has_value()) continue;
        read = message.event().sequence();
        listener_.OnEvent(RenderEvent(message.event()));
        continue;
      }
      // Replay is done: what was missed has been seen.
      if (cache_ != nullptr) cache_->SetLive(true);
      const uint64_t latest = message.caught_up().last_sequence();
      if (const std::optional<uint64_t> start = listener_.OnCaughtUp(latest);
          start.has_value()) {
        read = start;
        stale_after = latest;
        if (*start < latest) {
          start_over = true;
          context.TryCancel();
          break;
        }
      }
    }
    const grpc::Status status = reader->Finish();
    connected_.Set(0);
    if (cache_ != nullptr && !start_over) cache_->SetLive(false);
    std::unique_lock<std::mutex> lock(mu_);
    context_ = nullptr;
    if (stopping_) return;
    if (start_over) continue;
    reconnects_.Increment();
    const absl::Duration delay = backoff.NextDelay();
    if (!lost) {
      lost = true;
      log::Warning("realtime upstream lost; reconnecting",
                   {{"error", status.error_message()},
                    {"code", static_cast<int>(status.error_code())},
                    {"retry_in", delay}});
    }
    clock_.WaitFor(stop_, lock, delay, [this] { return stopping_; });
  }
}

}  // namespace chainsync::gateway
