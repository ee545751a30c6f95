#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "absl/types/span.h"
#include "services/api-gateway/realtime_frames.h"

namespace chainsync::gateway {

// EventRing keeps a stream's most recent events, in sequence order, for
// subscribers that resume: every event after covered_after(), up to the
// newest appended. Not thread-safe: its owner guards it.
class EventRing {
 public:
  using Events = std::deque<std::shared_ptr<const RenderedEvent>>;

  explicit EventRing(size_t capacity) : capacity_(capacity) {}

  // CoverAfter empties the ring, which then holds every event after
  // `sequence`: where a stream first starts reading.
  void CoverAfter(uint64_t sequence);

  // Append adds events newer than those held, oldest first; past the
  // capacity the oldest go, and the ring covers less.
  void Append(absl::Span<const std::shared_ptr<const RenderedEvent>> events);

  // Covers tells whether the ring holds every event after `sequence`.
  bool Covers(uint64_t sequence) const { return sequence >= covered_after_; }
  uint64_t covered_after() const { return covered_after_; }

  // After is the first event held after `sequence` (end() when none).
  Events::const_iterator After(uint64_t sequence) const;
  Events::const_iterator end() const { return events_.end(); }
  size_t size() const { return events_.size(); }

 private:
  const size_t capacity_;
  uint64_t covered_after_ = 0;
  Events events_;
};

}  // namespace chainsync::gateway
