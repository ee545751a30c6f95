#include "services/api-gateway/filter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"

namespace chainsync::gateway {

void Exchange::Answer(HttpResponse response) {
  response.headers.insert(response.headers.end(), headers.begin(),
                          headers.end());
  if (response.status / 100 == 2) {
    for (const auto& observe : on_success) observe(response);
  }
  Record(response.status);
  Send(std::move(response));
}

void Exchange::Fail(const absl::Status& status, absl::Duration retry_after) {
  HttpResponse response = HttpResponse::Error(HttpStatusFromCode(status.code()),
                                              status.code(), status.message());
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    std::string challenge = "Bearer realm=\"chainsync\"";
    if (!absl::StrContains(status.message(), "needs a bearer token")) {
      absl::StrAppend(&challenge, ", error=\"invalid_token\"");
    }
    response.headers.emplace_back("www-authenticate", challenge);
  }
  if (retry_after > absl::ZeroDuration()) {
    response.headers.emplace_back(
        "retry-after", absl::StrCat(absl::ToInt64Seconds(
                           absl::Ceil(retry_after, absl::Seconds(1)))));
  }
  Answer(std::move(response));
}

void Exchange::Stream(
    int status, const std::function<absl::Status(HttpReply& reply)>& serve) {
  HttpReply* reply = Connection();
  if (reply == nullptr) {
    Fail(absl::FailedPreconditionError("no connection to stream on"));
    return;
  }
  if (absl::Status served = serve(*reply); !served.ok()) {
    Fail(served);
    return;
  }
  Record(status);
}

void FilterChain::RunFrom(size_t i, std::shared_ptr<Exchange> exchange) const {
  if (i == filters_.size()) {
    exchange->Fail(absl::InternalError("no filter answered the request"));
    return;
  }
  filters_[i]->Handle(std::move(exchange),
                      [this, i](std::shared_ptr<Exchange> passed) {
                        RunFrom(i + 1, std::move(passed));
                      });
}

}  // namespace chainsync::gateway
