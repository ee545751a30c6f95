#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace chainsync {

// The mapping between absl::Status, used everywhere inside chainsync, and
// grpc::Status at the gRPC edge. The codes share their numbering, so both
// directions keep code and message.

// ToGrpcStatus converts an absl::Status for a gRPC reply; a message longer
// than kMaxErrorMessageBytes is cut there, so that no error can outgrow the
// caller's limit on trailers and break its channel. A status with internal
// detail (WithInternalDetail) is answered INTERNAL (UNAVAILABLE when it
// was, so that callers retry) with a generic message naming `request_id`,
// and logged whole with that id.
grpc::Status ToGrpcStatus(const absl::Status& status,
                          absl::string_view request_id = "");

// RequestIdOf is the id of a call: the caller's x-request-id when it is a
// sane token (the gateway sends one), else a new one.
std::string RequestIdOf(const grpc::ServerContextBase& context);

// FromGrpcStatus converts the status of a gRPC call made by chainsync.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Finish ends the unary call of `context` through `reactor` with `status`,
// mapped as ToGrpcStatus does under the call's request id.
void Finish(grpc::ServerUnaryReactor* reactor,
            const grpc::ServerContextBase& context, const absl::Status& status);

// Finish ends it with `result`: its value moved into `response`, or its
// error.
template <typename Response>
void Finish(grpc::ServerUnaryReactor* reactor,
            const grpc::ServerContextBase& context,
            absl::StatusOr<Response> result, Response* response) {
  if (result.ok()) *response = *std::move(result);
  Finish(reactor, context, result.status());
}

// Reply ends a unary callback call at once with `status`, as Finish does.
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                const absl::Status& status);

// Reply ends a unary callback call at once with `result`, as Finish does.
template <typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                absl::StatusOr<Response> result,
                                Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finish(reactor, *context, std::move(result), response);
  return reactor;
}

}  // namespace chainsync
