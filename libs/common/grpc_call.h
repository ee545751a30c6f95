#pragma once

// UnaryCall makes one gRPC call to a peer service with a deadline; a failure
// is UNAVAILABLE naming the call ("the indexer's ListHolders failed: ..."):
// the caller cannot answer without the peer, whatever the peer's own code
// was.

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "libs/common/grpc_status.h"

namespace chainsync {

// `call(context, response)` sends the request and returns the gRPC status.
template <typename Response, typename Call>
absl::StatusOr<Response> UnaryCall(absl::Duration timeout,
                                   absl::string_view what, Call call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
  Response response;
  if (const grpc::Status status = call(context, response); !status.ok()) {
    return absl::UnavailableError(
        absl::StrCat(what, " failed: ", FromGrpcStatus(status).message()));
  }
  return response;
}

}  // namespace chainsync
