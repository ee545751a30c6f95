#include "services/api-gateway/realtime_hub.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/events/event_filter.h"

namespace chainsync::gateway {
namespace {

constexpr absl::Duration kRoomPoll = absl::Milliseconds(5);
// How long the upstream must fall quiet before what it sent is fanned
// out, and how long at most fan-out waits for that.
constexpr std::chrono::microseconds kGatherQuiet(1000);
constexpr std::chrono::milliseconds kGatherAtMost(5);
// Events read from the upstream and not yet fanned out, at most.
constexpr size_t kInboxLimit = 10'000;

absl::Status NotAvailableYet() {
  return absl::UnavailableError(
      "the event stream is not available yet: the indexer has not answered; "
      "retry shortly");
}

absl::Status TooManyCatchingUp(int limit) {
  return absl::UnavailableError(absl::StrCat(
      "too many clients are catching up (", limit, "); retry shortly"));
}

}  // namespace

// Subscription is one filter on one client stream. The fields below the
// stream are guarded by the hub's mutex, under which every send to the
// stream happens, so that catch-up and live events keep their order.
struct RealtimeHub::Subscription {
  std::shared_ptr<HttpStream> stream;
  Transport transport = Transport::kEventStream;
  indexer::v1::EventFilter filter;
  // Events at or below this sequence were sent or passed over.
  uint64_t last_sequence = 0;
  bool ended = false;
  // The catch-up's replay, while it has one.
  ReplayCall* replay = nullptr;
};

struct RealtimeHub::Metrics {
  // The children of a family by transport, looked up once: the hub counts
  // every delivery.
  template <typename T>
  struct ByTransport {
    T& event_stream;
    T& websocket;
    explicit ByTransport(metrics::Family<T>& family)
        : event_stream(family.WithLabels({"sse"})),
          websocket(family.WithLabels({"websocket"})) {}
    T& operator[](Transport transport) const {
      return transport == Transport::kWebSocket ? websocket : event_stream;
    }
  };

  ByTransport<metrics::Gauge> clients;
  ByTransport<metrics::Counter> sent;
  ByTransport<metrics::Counter> dropped;
  ByTransport<metrics::Counter> slow;
  metrics::Gauge& ring;
  metrics::Gauge& catch_ups;

  explicit Metrics(metrics::Registry& registry)
      : clients(registry.AddGauge("realtime_clients",
                                  "Open realtime streams by transport.",
                                  {"transport"})),
        sent(registry.AddCounter(
            "realtime_messages_sent_total",
            "Events queued to realtime clients, by transport.", {"transport"})),
        dropped(registry.AddCounter(
            "realtime_messages_dropped_total",
            "Events a realtime client could not take (queue full or "
            "stream ended), by transport.",
            {"transport"})),
        slow(registry.AddCounter(
            "realtime_slow_client_disconnects_total",
            "Realtime clients disconnected for falling behind, by "
            "transport.",
            {"transport"})),
        ring(registry
                 .AddGauge("realtime_ring_events",
                           "Recent events kept for clients that resume.", {})
                 .WithLabels({})),
        catch_ups(registry
                      .AddGauge("realtime_catch_ups",
                                "Clients catching up before they go live.", {})
                      .WithLabels({})) {}
};

RealtimeHub::RealtimeHub(std::shared_ptr<grpc::Channel> indexer,
                         RealtimeOptions options, metrics::Registry& registry)
    : replays_(MakeIndexerReplaySource(std::move(indexer))),
      options_(std::move(options)),
      ring_(options_.ring_size),
      metrics_(std::make_unique<Metrics>(registry)) {}

std::unique_ptr<RealtimeHub> RealtimeHub::Start(
    std::shared_ptr<grpc::Channel> indexer, RealtimeOptions options,
    metrics::Registry& registry, ResponseCache* cache) {
  std::unique_ptr<RealtimeHub> hub(
      new RealtimeHub(indexer, std::move(options), registry));
  hub->dispatcher_ = std::thread([hub = hub.get()] { hub->DispatchEvents(); });
  hub->upstream_ =
      RealtimeUpstream::Start(std::move(indexer), *hub, hub->options_.reconnect,
                              *hub->options_.clock, registry, cache);
  return hub;
}

RealtimeHub::~RealtimeHub() {
  // The upstream first: nothing new is published after it stops.
  upstream_.reset();
  std::set<std::shared_ptr<Subscription>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (CatchUpThread& catch_up : catch_ups_) {
      catch_up.subscription->ended = true;
      if (catch_up.subscription->replay != nullptr) {
        catch_up.subscription->replay->Cancel();
      }
      open.insert(catch_up.subscription);
    }
    open.insert(live_.begin(), live_.end());
    live_.clear();
  }
  stop_.notify_all();
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_closed_ = true;
  }
  inbox_ready_.notify_all();
  inbox_room_.notify_all();
  dispatcher_.join();
  for (CatchUpThread& catch_up : catch_ups_) catch_up.thread.join();
  for (const auto& subscription : open) {
    subscription->stream->Close("the server is shutting down",
                                /*policy=*/false);
  }
}

// --- Upstream.

std::optional<uint64_t> RealtimeHub::OnCaughtUp(uint64_t latest) {
  std::lock_guard<std::mutex> lock(mu_);
  live_from_ = std::max(live_from_, latest);
  if (position_.has_value()) return std::nullopt;
  // First contact: start over from a ring's worth before the newest event,
  // so that clients resuming after a gateway restart find their position
  // in the ring.
  position_ = latest > options_.ring_size ? latest - options_.ring_size : 0;
  ring_.CoverAfter(*position_);
  return position_;
}

void RealtimeHub::OnEvent(std::shared_ptr<const RenderedEvent> published) {
  std::unique_lock<std::mutex> lock(inbox_mu_);
  inbox_room_.wait(
      lock, [this] { return inbox_closed_ || inbox_.size() < kInboxLimit; });
  inbox_.push_back(std::move(published));
  inbox_ready_.notify_one();
}

void RealtimeHub::DispatchEvents() {
  std::vector<std::shared_ptr<const RenderedEvent>> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(inbox_mu_);
      inbox_ready_.wait(lock,
                        [this] { return inbox_closed_ || !inbox_.empty(); });
      // The events of one commit arrive microseconds apart: gathering them
      // until the upstream falls quiet writes each client once per commit
      // rather than once for the first event and again for the rest.
      const auto deadline = std::chrono::steady_clock::now() + kGatherAtMost;
      for (size_t seen = 0; !inbox_closed_ && inbox_.size() != seen;) {
        seen = inbox_.size();
        inbox_ready_.wait_until(
            lock,
            std::min(std::chrono::steady_clock::now() + kGatherQuiet, deadline),
            [&] { return inbox_closed_ || inbox_.size() != seen; });
        if (std::chrono::steady_clock::now() >= deadline) break;
      }
      if (inbox_closed_) return;
      batch.clear();
      batch.swap(inbox_);
      inbox_room_.notify_all();
    }
    Publish(batch);
  }
}

void RealtimeHub::Publish(
    absl::Span<const std::shared_ptr<const RenderedEvent>> batch) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& published : batch) {
    position_ = published->sequence;
    live_from_ = std::max(live_from_, published->sequence);
  }
  ring_.Append(batch);
  metrics_->ring.Set(static_cast<double>(ring_.size()));
  std::vector<std::shared_ptr<Subscription>> gone;
  for (const std::shared_ptr<Subscription>& subscription : live_) {
    if (!Deliver(*subscription, batch)) gone.push_back(subscription);
  }
  for (const auto& subscription : gone) live_.erase(subscription);
}

bool RealtimeHub::Deliver(
    Subscription& subscription,
    absl::Span<const std::shared_ptr<const RenderedEvent>> events) {
  if (subscription.ended) return false;
  // Reused: the hub delivers under its mutex, one subscription at a time.
  texts_.clear();
  for (const auto& published : events) {
    if (published->sequence <= subscription.last_sequence) continue;
    subscription.last_sequence = published->sequence;
    if (events::Matches(subscription.filter, published->event)) {
      texts_.push_back(published->For(subscription.transport));
    }
  }
  if (texts_.empty()) return true;
  const double count = static_cast<double>(texts_.size());
  if (subscription.stream->Send(texts_)) {
    metrics_->sent[subscription.transport].Increment(count);
    return true;
  }
  metrics_->dropped[subscription.transport].Increment(count);
  Drop(subscription, /*slow=*/subscription.stream->queued() + texts_.size() >
                         options_.client_queue);
  return false;
}

void RealtimeHub::Drop(Subscription& subscription, bool slow) {
  subscription.ended = true;
  if (subscription.replay != nullptr) subscription.replay->Cancel();
  if (!slow) return;
  metrics_->slow[subscription.transport].Increment();
  log::Info(
      "realtime client too slow; disconnected",
      {{"transport",
        subscription.transport == Transport::kWebSocket ? "websocket" : "sse"},
       {"last_sequence", subscription.last_sequence},
       {"queue", options_.client_queue}});
  subscription.stream->Close(
      absl::StrCat("too slow: ", options_.client_queue,
                   " messages were waiting; reconnect and resume after the "
                   "last sequence received"),
      /*policy=*/true);
}

// --- Subscribing.

absl::Status RealtimeHub::Admit(const indexer::v1::SubscribeRequest& request) {
  if (absl::Status valid = events::ValidateFilter(request.filter());
      !valid.ok()) {
    return valid;
  }
  // Sequences are Postgres bigints: a position beyond would wait forever.
  if (request.after_sequence() >
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "after_sequence: ", request.after_sequence(), " is beyond any event"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!position_.has_value()) {
    return NotAvailableYet();
  }
  ReapCatchUps();
  // Whether it will need a catch-up: it resumes from before the ring, or
  // from further back in it than its queue holds.
  const bool behind =
      request.has_after_sequence() &&
      (!ring_.Covers(request.after_sequence()) ||
       std::distance(ring_.After(request.after_sequence()), ring_.end()) >
           static_cast<std::ptrdiff_t>(options_.client_queue));
  if (behind &&
      catch_ups_.size() >= static_cast<size_t>(options_.max_catch_ups)) {
    return TooManyCatchingUp(options_.max_catch_ups);
  }
  return absl::OkStatus();
}

absl::Status RealtimeHub::Subscribe(std::shared_ptr<Subscription> subscription,
                                    std::optional<uint64_t> after_sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    return absl::UnavailableError("the server is shutting down");
  }
  if (!position_.has_value()) {
    return NotAvailableYet();
  }
  subscription->last_sequence = after_sequence.value_or(live_from_);
  subscription->stream->Answer(
      SubscribedFrame(subscription->transport, subscription->last_sequence));
  if (!after_sequence.has_value()) {
    live_.insert(subscription);
    return absl::OkStatus();
  }
  if (TryJoin(subscription)) return absl::OkStatus();
  ReapCatchUps();
  if (catch_ups_.size() >= static_cast<size_t>(options_.max_catch_ups)) {
    subscription->ended = true;
    return TooManyCatchingUp(options_.max_catch_ups);
  }
  metrics_->catch_ups.Increment();
  CatchUpThread& catch_up = catch_ups_.emplace_back();
  catch_up.subscription = subscription;
  catch_up.thread = std::thread([this, subscription] {
    CatchUp(subscription);
    metrics_->catch_ups.Decrement();
    std::lock_guard<std::mutex> lock(mu_);
    for (CatchUpThread& done : catch_ups_) {
      if (done.subscription == subscription) done.done = true;
    }
  });
  return absl::OkStatus();
}

void RealtimeHub::ReapCatchUps() {
  for (auto it = catch_ups_.begin(); it != catch_ups_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    it = catch_ups_.erase(it);
  }
}

void RealtimeHub::Unsubscribe(
    const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard<std::mutex> lock(mu_);
  Drop(*subscription, /*slow=*/false);
  live_.erase(subscription);
}

bool RealtimeHub::TryJoin(const std::shared_ptr<Subscription>& subscription) {
  if (subscription->ended || !ring_.Covers(subscription->last_sequence)) {
    return false;
  }
  const auto next = ring_.After(subscription->last_sequence);
  const size_t queued = subscription->stream->queued();
  const size_t room =
      options_.client_queue > queued ? options_.client_queue - queued : 0;
  // As far as the queue has room for the events that pass the filter.
  auto stop = next;
  for (size_t matching = 0; stop != ring_.end(); ++stop) {
    if (!events::Matches(subscription->filter, (*stop)->event)) continue;
    if (matching == room) break;
    ++matching;
  }
  const std::vector<std::shared_ptr<const RenderedEvent>> batch(next, stop);
  if (!Deliver(*subscription, batch) || stop != ring_.end()) return false;
  live_.insert(subscription);
  return true;
}

void RealtimeHub::CatchUp(std::shared_ptr<Subscription> subscription) {
  Backoff backoff(options_.reconnect);
  while (true) {
    bool covered;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || subscription->ended) return;
      if (TryJoin(subscription)) return;
      covered = ring_.Covers(subscription->last_sequence);
    }
    if (covered) {
      if (!WaitForRoom(*subscription)) return;
      continue;
    }
    if (Replay(subscription)) {
      backoff.Reset();
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    options_.clock->WaitFor(stop_, lock, backoff.NextDelay(),
                            [&] { return stopping_ || subscription->ended; });
  }
}

bool RealtimeHub::Replay(const std::shared_ptr<Subscription>& subscription) {
  std::unique_ptr<ReplayCall> call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || subscription->ended) return false;
    call = replays_->Open(subscription->filter, subscription->last_sequence);
    subscription->replay = call.get();
  }
  bool joined = false;
  while (!joined) {
    const std::optional<ReplayCall::ReplayMessage> message = call->Next();
    if (!message.has_value()) break;
    if (message->event != nullptr && !WaitForRoom(*subscription)) break;
    std::lock_guard<std::mutex> lock(mu_);
    if (message->event != nullptr) {
      if (!Deliver(*subscription, absl::MakeConstSpan(&message->event, 1))) {
        break;
      }
    } else {
      subscription->last_sequence =
          std::max(subscription->last_sequence, message->caught_up);
    }
    joined = position_.has_value() && ring_.Covers(subscription->last_sequence);
  }
  call->Cancel();
  const absl::Status status = call->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  subscription->replay = nullptr;
  if (!joined && !subscription->ended && !stopping_) {
    log::Warning("realtime catch-up replay failed; retrying",
                 {{"after_sequence", subscription->last_sequence},
                  {"error", status.message()}});
  }
  return joined;
}

bool RealtimeHub::WaitForRoom(const Subscription& subscription) {
  while (subscription.stream->queued() > options_.client_queue / 2) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || subscription.ended) return false;
    }
    options_.clock->SleepFor(kRoomPoll);
  }
  return true;
}

// --- Transports.

absl::Status RealtimeHub::ServeEventStream(
    const indexer::v1::SubscribeRequest& request,
    std::vector<std::pair<std::string, std::string>> headers,
    HttpReply& reply) {
  if (absl::Status admitted = Admit(request); !admitted.ok()) return admitted;
  auto subscription = std::make_shared<Subscription>();
  subscription->transport = Transport::kEventStream;
  subscription->filter = request.filter();
  metrics_->clients[Transport::kEventStream].Increment();
  subscription->stream = std::move(reply).StartEventStream(
      std::move(headers),
      {.max_queued = options_.client_queue,
       .send_buffer_bytes = options_.send_buffer_bytes,
       .heartbeat = options_.heartbeat,
       .on_closed = [this, subscription] {
         metrics_->clients[Transport::kEventStream].Decrement();
         Unsubscribe(subscription);
       }});
  const std::optional<uint64_t> after =
      request.has_after_sequence()
          ? std::optional<uint64_t>(request.after_sequence())
          : std::nullopt;
  if (absl::Status subscribed = Subscribe(subscription, after);
      !subscribed.ok()) {
    subscription->stream->Close(std::string(subscribed.message()),
                                /*policy=*/false);
  }
  return absl::OkStatus();
}

void RealtimeHub::ServeWebSocket(HttpReply reply) {
  metrics_->clients[Transport::kWebSocket].Increment();
  // The socket's subscription: touched only from the stream's callbacks,
  // which run one at a time.
  auto current = std::make_shared<std::shared_ptr<Subscription>>();
  std::move(reply).AcceptWebSocket(
      {.max_queued = options_.client_queue,
       .send_buffer_bytes = options_.send_buffer_bytes,
       .heartbeat = options_.heartbeat,
       .on_message =
           [this, current](const std::shared_ptr<HttpStream>& stream,
                           std::string text) {
             OnWebSocketMessage(stream, *current, text);
           },
       .on_closed =
           [this, current] {
             metrics_->clients[Transport::kWebSocket].Decrement();
             if (*current != nullptr) Unsubscribe(*current);
           }});
}

void RealtimeHub::OnWebSocketMessage(const std::shared_ptr<HttpStream>& stream,
                                     std::shared_ptr<Subscription>& current,
                                     const std::string& text) {
  absl::StatusOr<ClientCommand> command = ParseClientMessage(text);
  if (!command.ok()) {
    stream->Answer(ErrorFrame(command.status()));
    return;
  }
  switch (command->kind) {
    case ClientCommand::Kind::kPing:
      stream->Answer(PongFrame());
      return;
    case ClientCommand::Kind::kUnsubscribe:
      if (current != nullptr) Unsubscribe(current);
      current = nullptr;
      stream->Answer(UnsubscribedFrame());
      return;
    case ClientCommand::Kind::kSubscribe:
      break;
  }
  const indexer::v1::SubscribeRequest& request = command->subscribe;
  if (absl::Status admitted = Admit(request); !admitted.ok()) {
    stream->Answer(ErrorFrame(admitted));
    return;
  }
  if (current != nullptr) Unsubscribe(current);
  current = std::make_shared<Subscription>();
  current->transport = Transport::kWebSocket;
  current->filter = request.filter();
  current->stream = stream;
  const std::optional<uint64_t> after =
      request.has_after_sequence()
          ? std::optional<uint64_t>(request.after_sequence())
          : std::nullopt;
  if (absl::Status subscribed = Subscribe(current, after); !subscribed.ok()) {
    stream->Answer(ErrorFrame(subscribed));
    current = nullptr;
  }
}

}  // namespace chainsync::gateway
