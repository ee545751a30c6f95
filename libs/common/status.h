#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace chainsync {

// The one mapping between absl::Status (used everywhere inside chainsync),
// grpc::Status (at the gRPC edge) and HTTP status codes (at the gateway). The
// codes share their numbering, so the gRPC mapping keeps code and message;
// the HTTP table follows grpc-gateway, which frontends already know.

// ToGrpcStatus converts an absl::Status for a gRPC reply.
grpc::Status ToGrpcStatus(const absl::Status& status);

// FromGrpcStatus converts the status of a gRPC call made by chainsync.
absl::Status FromGrpcStatus(const grpc::Status& status);

// HttpStatusFromCode returns the HTTP status for a canonical code, for
// example 400 for INVALID_ARGUMENT and 503 for UNAVAILABLE.
int HttpStatusFromCode(absl::StatusCode code);

// StatusCodeName returns the canonical upper-case name of a code, for example
// "INVALID_ARGUMENT", as used in JSON error bodies and metric labels.
absl::string_view StatusCodeName(absl::StatusCode code);

}  // namespace chainsync
