#include "libs/common/server/http_types.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync {

absl::string_view HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", "application/json");
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::Error(int status, absl::StatusCode code,
                                 absl::string_view message) {
  std::string body =
      absl::StrCat("{\"code\":", static_cast<int>(code), ",\"status\":");
  log::AppendJsonString(&body, StatusCodeName(code));
  body.append(",\"message\":");
  log::AppendJsonString(&body, message);
  body.append(",\"details\":[]}");
  return Json(status, std::move(body));
}

}  // namespace chainsync
