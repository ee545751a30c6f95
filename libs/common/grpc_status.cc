#include "libs/common/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync {

grpc::Status ToGrpcStatus(const absl::Status& status,
                          absl::string_view request_id) {
  if (HasInternalDetail(status)) {
    log::Warning("answered an internal error generically",
                 {{"request_id", request_id}, {"error", status}});
    return grpc::Status(
        status.code() == absl::StatusCode::kUnavailable
            ? grpc::StatusCode::UNAVAILABLE
            : grpc::StatusCode::INTERNAL,
        absl::StrCat("internal error; the service's log has it under request "
                     "id ",
                     request_id.empty() ? "(none)" : request_id));
  }
  absl::string_view message = status.message();
  if (message.size() > kMaxErrorMessageBytes) {
    return grpc::Status(
        static_cast<grpc::StatusCode>(status.code()),
        absl::StrCat(message.substr(0, kMaxErrorMessageBytes), "... (",
                     message.size() - kMaxErrorMessageBytes, " bytes more)"));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(message));
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("x-request-id");
  return RequestIdFrom(
      found == metadata.end()
          ? absl::string_view()
          : absl::string_view(found->second.data(), found->second.size()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

void Finish(grpc::ServerUnaryReactor* reactor,
            const grpc::ServerContextBase& context,
            const absl::Status& status) {
  reactor->Finish(status.ok() ? grpc::Status::OK
                              : ToGrpcStatus(status, RequestIdOf(context)));
}

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Finish(reactor, *context, status);
  return reactor;
}

}  // namespace chainsync
