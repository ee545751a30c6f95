#include "services/indexer/subscribe_feed.h"

#include <deque>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/common/grpc_status.h"
#include "libs/events/event_filter.h"

namespace chainsync::indexer {
namespace {

metrics::Family<metrics::Counter>& Sent(metrics::Registry& registry) {
  return registry.AddCounter("chainsync_indexer_stream_sent_total",
                             "Events and removals sent to subscribers.",
                             {"kind"});
}

}  // namespace

// Stream is one Subscribe call. Its state is guarded by the feed's mutex;
// it writes one message at a time, from the front of its queue.
class SubscribeFeed::Stream final
    : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  // A stream refused at once.
  Stream(SubscribeFeed& feed, const grpc::Status& refused) : feed_(feed) {
    finished_ = true;
    Finish(refused);
  }

  Stream(SubscribeFeed& feed, const v1::SubscribeRequest& request,
         std::string request_id)
      : feed_(feed),
        filter_(request.filter()),
        request_id_(std::move(request_id)) {
    if (request.has_after_sequence()) position_ = request.after_sequence();
  }

  // Due says whether the stream waits for a read: it has written all it
  // had, and the last read was a full page or events were published since.
  bool Due(uint64_t generation) const {
    return !ending_.has_value() && queue_.empty() &&
           (behind_ || read_generation_ != generation);
  }
  // position is the sequence after which the stream reads; absent until
  // the feed looked up the latest one, where a stream without
  // after_sequence starts.
  const std::optional<uint64_t>& position() const { return position_; }
  void StartAt(uint64_t latest) { position_ = latest; }

  // Deliver queues what the stream may see of `events`, read after its
  // position; `full` says there may be more.
  void Deliver(const std::vector<v1::Event>& events, bool full,
               uint64_t generation, uint64_t indexed) {
    for (const v1::Event& event : events) {
      position_ = event.sequence();
      if (!events::Matches(filter_, event)) continue;
      v1::Event& queued = *queue_.emplace_back().mutable_event();
      queued = event;
      const uint64_t block = event.position().block_number();
      queued.set_confirmations(indexed > block ? indexed - block : 0);
    }
    behind_ = full;
    read_generation_ = generation;
    if (!full && !caught_up_) {
      queue_.emplace_back().mutable_caught_up()->set_last_sequence(*position_);
      caught_up_ = true;
    }
    if (!writing_ && !queue_.empty()) WriteNext();
  }

  // End finishes the stream with `status` once the message being written,
  // if any, is out; nothing more is queued.
  void End(grpc::Status status) {
    if (!ending_.has_value()) ending_ = std::move(status);
    queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
    if (writing_ || finished_) return;
    finished_ = true;
    Finish(*ending_);
  }

  // Fail ends the stream with a read's error: a database's words only in
  // the log, under the call's request id.
  void Fail(const absl::Status& error) {
    End(ToGrpcStatus(error, request_id_));
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(feed_.mu_);
    const v1::SubscribeResponse& written = queue_.front();
    if (ok && written.has_event()) {
      (written.event().removed() ? feed_.removals_sent_ : feed_.events_sent_)
          .Increment();
    }
    queue_.pop_front();
    writing_ = false;
    if (!ok) return End(grpc::Status(grpc::StatusCode::CANCELLED, "gone"));
    if (ending_.has_value()) return End(*ending_);
    if (!queue_.empty()) return WriteNext();
    // Drained: it may be due its next read.
    feed_.woken_ = true;
    feed_.wake_.notify_one();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(feed_.mu_);
    End(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(feed_.mu_);
      if (feed_.streams_.erase(this) > 0) feed_.open_.Decrement();
    }
    delete this;
  }

 private:
  void WriteNext() {
    writing_ = true;
    // Without a buffer hint: a buffered write completes only when a later
    // write flushes it, and the next write waits for this one's completion.
    StartWrite(&queue_.front());
  }

  SubscribeFeed& feed_;
  const v1::EventFilter filter_;
  const std::string request_id_;
  std::optional<uint64_t> position_;
  // The front is being written while writing_; a deque keeps it in place
  // as messages are queued behind it.
  std::deque<v1::SubscribeResponse> queue_;
  bool writing_ = false;
  bool behind_ = false;
  bool caught_up_ = false;
  std::optional<uint64_t> read_generation_;
  std::optional<grpc::Status> ending_;
  bool finished_ = false;
};

SubscribeFeed::SubscribeFeed(EventStream& events,
                             std::function<uint64_t()> indexed, Options options,
                             metrics::Registry& registry)
    : events_(events),
      indexed_(std::move(indexed)),
      options_(options),
      open_(registry
                .AddGauge("chainsync_indexer_subscribers",
                          "Open Subscribe streams.", {})
                .WithLabels({})),
      refused_(registry
                   .AddCounter("chainsync_indexer_subscribers_refused_total",
                               "Subscribe streams refused: as many were open "
                               "as --max_subscribers.",
                               {})
                   .WithLabels({})),
      events_sent_(Sent(registry).WithLabels({"event"})),
      removals_sent_(Sent(registry).WithLabels({"removal"})) {
  events_.OnChange([this] { Wake(); });
  thread_ = std::thread([this] { Run(); });
}

SubscribeFeed::~SubscribeFeed() {
  events_.OnChange(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

grpc::ServerWriteReactor<v1::SubscribeResponse>* SubscribeFeed::Open(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest& request) {
  if (absl::Status valid = events::ValidateFilter(request.filter());
      !valid.ok()) {
    return new Stream(*this, ToGrpcStatus(valid, RequestIdOf(*context)));
  }
  // Sequences are Postgres bigints: a position beyond would wait forever.
  if (request.after_sequence() >
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return new Stream(
        *this, ToGrpcStatus(absl::InvalidArgumentError(
                   absl::StrCat("after_sequence: ", request.after_sequence(),
                                " is beyond any sequence"))));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_.has_value()) return new Stream(*this, *closed_);
  if (streams_.size() >= static_cast<size_t>(options_.max_streams)) {
    refused_.Increment();
    return new Stream(
        *this, ToGrpcStatus(absl::ResourceExhaustedError(
                   absl::StrCat("too many Subscribe streams are open (",
                                options_.max_streams, "); retry shortly"))));
  }
  auto* stream = new Stream(*this, request, RequestIdOf(*context));
  streams_.insert(stream);
  open_.Increment();
  woken_ = true;
  wake_.notify_one();
  return stream;
}

void SubscribeFeed::Close(const grpc::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = status;
  for (Stream* stream : streams_) stream->End(status);
}

void SubscribeFeed::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_one();
}

void SubscribeFeed::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    woken_ = false;
    if (Round(lock)) continue;
    wake_.wait(lock, [&] { return stopping_ || woken_; });
  }
}

bool SubscribeFeed::Round(std::unique_lock<std::mutex>& lock) {
  // Before the reads: a commit during them changes it, and the streams are
  // due again.
  const uint64_t generation = events_.generation();
  bool starting = false;
  std::set<uint64_t> positions;
  for (const Stream* stream : streams_) {
    if (!stream->Due(generation)) continue;
    if (stream->position().has_value()) {
      positions.insert(*stream->position());
    } else {
      starting = true;
    }
  }
  if (positions.empty() && !starting) return false;

  lock.unlock();
  std::optional<absl::StatusOr<uint64_t>> latest;
  if (starting) latest = events_.Latest();
  std::map<uint64_t, absl::StatusOr<std::vector<v1::Event>>> reads;
  for (const uint64_t position : positions) {
    reads.emplace(position, events_.Read(position, options_.page));
  }
  const uint64_t indexed = indexed_();
  lock.lock();

  for (Stream* stream : streams_) {
    if (!stream->Due(generation)) continue;
    if (!stream->position().has_value()) {
      // Opened during the reads, it starts next round.
      if (!latest.has_value()) continue;
      if (latest->ok()) {
        stream->StartAt(**latest);
      } else {
        stream->Fail(latest->status());
      }
      continue;
    }
    const auto read = reads.find(*stream->position());
    if (read == reads.end()) continue;
    if (!read->second.ok()) {
      stream->Fail(read->second.status());
      continue;
    }
    stream->Deliver(*read->second,
                    read->second->size() == static_cast<size_t>(options_.page),
                    generation, indexed);
  }
  return true;
}

}  // namespace chainsync::indexer
