#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace chainsync {

// The mapping between absl::Status, used everywhere inside chainsync, and
// grpc::Status at the gRPC edge. The codes share their numbering, so both
// directions keep code and message.

// ToGrpcStatus converts an absl::Status for a gRPC reply; a message longer
// than kMaxErrorMessageBytes is cut there, so that no error can outgrow the
// caller's limit on trailers and break its channel.
grpc::Status ToGrpcStatus(const absl::Status& status);

// FromGrpcStatus converts the status of a gRPC call made by chainsync.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace chainsync
