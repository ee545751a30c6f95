#include "services/api-gateway/realtime_ring.h"

#include <algorithm>

namespace chainsync::gateway {

void EventRing::CoverAfter(uint64_t sequence) {
  events_.clear();
  covered_after_ = sequence;
}

void EventRing::Append(
    absl::Span<const std::shared_ptr<const RenderedEvent>> events) {
  events_.insert(events_.end(), events.begin(), events.end());
  while (events_.size() > capacity_) {
    covered_after_ = events_.front()->sequence;
    events_.pop_front();
  }
}

EventRing::Events::const_iterator EventRing::After(uint64_t sequence) const {
  return std::upper_bound(
      events_.begin(), events_.end(), sequence,
      [](uint64_t value, const std::shared_ptr<const RenderedEvent>& event) {
        return value < event->sequence;
      });
}

}  // namespace chainsync::gateway
