#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace chainsync {

// HttpRequest is a parsed HTTP/1.1 request as handlers see it. Header names
// are lower case.
struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/realtime/balances?address=0x..."
  std::string path;    // "/api/realtime/balances" (still percent-encoded)
  std::string query;   // "address=0x..." without the '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1"
  int remote_port = 0;
  // A valid request to become a WebSocket (RFC 6455 section 4.2.1), which
  // HttpReply::AcceptWebSocket may accept.
  bool websocket_upgrade = false;

  // Header returns the first value of `name` (lower case), or "".
  absl::string_view Header(absl::string_view name) const;
};

// HttpResponse is what a handler answers.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Json answers `body` (already JSON) with the JSON content type.
  static HttpResponse Json(int status, std::string body);
  // Text answers plain text.
  static HttpResponse Text(int status, std::string body);
  // Error answers {"code": 5, "status": "NOT_FOUND", "message": ...,
  // "details": []} — the canonical code as a number and by name, as
  // grpc-gateway and Google's APIs answer.
  static HttpResponse Error(int status, absl::StatusCode code,
                            absl::string_view message);
};

}  // namespace chainsync
