#include "libs/common/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/status.h"

namespace chainsync {

grpc::Status ToGrpcStatus(const absl::Status& status) {
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

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace chainsync
