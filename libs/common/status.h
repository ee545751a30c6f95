#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace chainsync {

// The one mapping between absl::Status (used everywhere inside chainsync)
// and HTTP status codes (at the gateway), and the codes' names. The HTTP
// table follows grpc-gateway, which frontends already know. The mapping to
// grpc::Status is in grpc_status.h, for code that links gRPC.

// HttpStatusFromCode returns the HTTP status for a canonical code, for
// example 400 for INVALID_ARGUMENT and 503 for UNAVAILABLE.
int HttpStatusFromCode(absl::StatusCode code);

// StatusCodeName returns the canonical upper-case name of a code, for example
// "INVALID_ARGUMENT", as used in JSON error bodies and metric labels.
absl::string_view StatusCodeName(absl::StatusCode code);

// QuoteValue quotes a caller's value for an error message: whole when it is
// short, else its first bytes and its size. An error names the bad value,
// but a hostile one must not make a large error: errors travel in gRPC
// trailers, whose size a channel limits.
std::string QuoteValue(absl::string_view value);

// WithInternalDetail marks a status whose message is a dependency's own
// words — a database's error text and SQL state — which callers outside
// must not see: the gRPC edge (ToGrpcStatus) answers it with a generic
// message and logs it. HasInternalDetail tells a marked status.
absl::Status WithInternalDetail(absl::Status status);
bool HasInternalDetail(const absl::Status& status);

// RequestIdFrom keeps the request id a caller gave when it is a sane token
// (up to 64 letters, digits, '-', '_' and '.'), so that a request can be
// followed across systems; otherwise it makes one.
std::string RequestIdFrom(absl::string_view given);

// kMaxErrorMessageBytes bounds an error's message at the gRPC edge
// (ToGrpcStatus); longer ones are cut.
inline constexpr size_t kMaxErrorMessageBytes = 1024;

}  // namespace chainsync
