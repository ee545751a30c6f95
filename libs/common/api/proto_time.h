#pragma once

// Times and durations in the APIs' protobuf well-known types, to the
// microsecond the services keep.

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace chainsync {

void SetTime(absl::Time time, google::protobuf::Timestamp* out);
void SetDuration(absl::Duration duration, google::protobuf::Duration* out);
absl::Duration DurationOf(const google::protobuf::Duration& duration);
absl::Time TimeOf(const google::protobuf::Timestamp& time);

}  // namespace chainsync
