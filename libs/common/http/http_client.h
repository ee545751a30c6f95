#pragma once

// An HTTP client on libcurl for calls to the outside (JSON-RPC nodes, the
// Bitcoin API): connections are kept alive and reused, every request has a
// timeout, and transient failures (connection errors, timeouts, 429, 502,
// 503, 504) are retried with jittered exponential backoff that honours
// Retry-After.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"

namespace chainsync {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Overrides HttpClientOptions::request_timeout for this request.
  std::optional<absl::Duration> timeout;
  // Whether the request may be sent twice. A non-idempotent request is
  // retried only when it certainly did not reach the server (connection
  // refused) or the server refused it without acting (429, 503).
  bool idempotent = true;
};

struct HttpClientResponse {
  int status = 0;
  // Header names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Attempts it took, 1 when the first one succeeded.
  int attempts = 1;

  // Header returns the last value of `name` (lower case), or "".
  absl::string_view Header(absl::string_view name) const;
};

struct HttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  RetryPolicy retry;
  // The longest Retry-After honoured; a longer one ends the retries and
  // returns the 429/503 response.
  absl::Duration max_retry_after = absl::Seconds(60);
  std::string user_agent = "chainsync/0.1";
  Clock* clock = &SystemClock();
  metrics::Registry* registry = &metrics::DefaultRegistry();
  // Labels this client's metrics, for example "jsonrpc" or "esplora".
  std::string name = "http";
};

// HttpClient is thread-safe; share one per upstream.
class HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      HttpClientOptions options);
  ~HttpClient();

  // Send performs the request with retries. Any HTTP status is a response
  // (the caller decides what a 404 means); retryable statuses are returned
  // once the retries are spent. Transport failures after the last attempt
  // are UNAVAILABLE, timeouts DEADLINE_EXCEEDED, naming the method and the
  // URL's scheme and host (never its path or query, which may hold keys).
  absl::StatusOr<HttpClientResponse> Send(const HttpClientRequest& request);

 private:
  struct Handles;
  HttpClient(HttpClientOptions options, std::unique_ptr<Handles> handles);

  absl::StatusOr<HttpClientResponse> SendOnce(const HttpClientRequest& request,
                                              bool* may_retry);

  HttpClientOptions options_;
  std::unique_ptr<Handles> handles_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Counter>& retries_;
  metrics::Family<metrics::Histogram>& duration_;
};

// ParseRetryAfter reads a Retry-After value, delta-seconds or an HTTP date,
// relative to `now`. nullopt when absent or unparsable.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now);

}  // namespace chainsync
