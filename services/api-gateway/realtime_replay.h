#pragma once

// Where a subscriber that resumes from before the ring catches up: a replay
// of the stream from its position, read on the catch-up's thread and
// cancellable from any other (the subscriber left, the server stops).

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "grpcpp/channel.h"
#include "services/api-gateway/realtime_frames.h"

namespace chainsync::gateway {

// ReplayCall is one replay under way.
class ReplayCall {
 public:
  // ReplayMessage is an event, or — when `event` is null — the marker that
  // the replay reached the stream's newest sequence, `caught_up`.
  struct ReplayMessage {
    std::shared_ptr<const RenderedEvent> event;
    uint64_t caught_up = 0;
  };

  virtual ~ReplayCall() = default;
  // Next reads the next message; nullopt once the replay ended.
  virtual std::optional<ReplayMessage> Next() = 0;
  // Cancel ends the replay from any thread; Next then returns nullopt.
  virtual void Cancel() = 0;
  // Finish says why the replay ended, once Next returned nullopt or it was
  // cancelled.
  virtual absl::Status Finish() = 0;
};

class ReplaySource {
 public:
  virtual ~ReplaySource() = default;
  // Open starts a replay of the events after `after_sequence` that pass
  // `filter`.
  virtual std::unique_ptr<ReplayCall> Open(
      const indexer::v1::EventFilter& filter, uint64_t after_sequence) = 0;
};

// MakeIndexerReplaySource replays through a Subscribe of the indexer's.
std::unique_ptr<ReplaySource> MakeIndexerReplaySource(
    std::shared_ptr<grpc::Channel> indexer);

}  // namespace chainsync::gateway
