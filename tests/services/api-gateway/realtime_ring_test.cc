// The ring of recent events that resuming subscribers are served from.
#include "services/api-gateway/realtime_ring.h"

#include <catch2/catch.hpp>
#include <vector>

namespace chainsync::gateway {
namespace {

std::vector<std::shared_ptr<const RenderedEvent>> Events(uint64_t first,
                                                         uint64_t last) {
  std::vector<std::shared_ptr<const RenderedEvent>> events;
  for (uint64_t sequence = first; sequence <= last; ++sequence) {
    auto event = std::make_shared<RenderedEvent>();
    event->sequence = sequence;
    events.push_back(std::move(event));
  }
  return events;
}

TEST_CASE("the ring covers what it holds, and less once it is full",
          "[gateway][realtime]") {
  EventRing ring(5);
  ring.CoverAfter(100);
  CHECK(ring.Covers(100));
  CHECK_FALSE(ring.Covers(99));
  ring.Append(Events(101, 103));
  CHECK(ring.size() == 3);
  CHECK((*ring.After(101))->sequence == 102);
  CHECK(ring.After(103) == ring.end());
  CHECK((*ring.After(0))->sequence == 101);
  // Two more than it holds: the two oldest go, and with them the cover.
  ring.Append(Events(104, 107));
  CHECK(ring.size() == 5);
  CHECK(ring.covered_after() == 102);
  CHECK_FALSE(ring.Covers(101));
  CHECK(ring.Covers(102));
  CHECK((*ring.After(102))->sequence == 103);
  // Starting over empties it.
  ring.CoverAfter(500);
  CHECK(ring.size() == 0);
  CHECK(ring.After(500) == ring.end());
}

}  // namespace
}  // namespace chainsync::gateway
