#pragma once

#include "absl/status/status.h"
#include "chainsync/indexer/v1/indexer.pb.h"

namespace chainsync::events {

// ValidateFilter checks the addresses of a subscriber's filter:
// INVALID_ARGUMENT naming the first that is not a 20-byte 0x-hex address.
absl::Status ValidateFilter(const indexer::v1::EventFilter& filter);

// Matches tells whether an event passes a subscriber's filter: every
// non-empty list of the filter must contain the event's value (addresses
// compared without regard to case; for accounts, any account the event
// touches).
bool Matches(const indexer::v1::EventFilter& filter,
             const indexer::v1::Event& event);

}  // namespace chainsync::events
