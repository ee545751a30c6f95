#pragma once

// The exchange of JSON-RPC messages with EVM nodes, as a stack of decorators
// around one interface, JsonRpcConnection, in the google-cloud-cpp manner.
// MakeJsonRpcConnection(options) builds the stack the client runs on:
//
//   metrics → retry with backoff → fail-over across endpoints
//     → per endpoint: logging → rate limit → HTTP
//
// Each layer does one thing, so that what a call costs, how often it is
// tried and where it goes can be read, tested and changed apart. The policy
// of a call (how many attempts) travels with the call, not with the stack:
// one connection serves callers that give up fast and callers that never
// do.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/http/http_client.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/token_bucket.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace chainsync::evm {

// JsonRpcRequest is one call of an exchange: a method, its params (a JSON
// array) and `parse`, which reads the call's "result" from the parsed
// answer, so that no answer is parsed twice.
struct JsonRpcRequest {
  std::string method;
  std::string params;
  std::function<absl::Status(const simdjson::dom::element& result)> parse;
};

// JsonRpcCallOptions is the policy of one exchange, chosen by its caller.
struct JsonRpcCallOptions {
  // Rounds over every endpoint, the first included, with backoff between
  // rounds.
  RetryPolicy retry = {.max_attempts = 6,
                       .backoff = {.initial_delay = absl::Milliseconds(50),
                                   .max_delay = absl::Seconds(5)}};
};

// JsonRpcAnswer is what an exchange brought back.
struct JsonRpcAnswer {
  // Not OK when the exchange as a whole failed — the transport, an HTTP
  // error, a malformed or incomplete answer, a batch refused, a rate limit
  // answered in JSON — so that no request has an outcome.
  absl::Status failure;
  // The failure's name for metrics: "transport", "http_503", "malformed",
  // "node_error", "rate_limited".
  std::string reason;
  // How long the server asked to be left alone (HTTP Retry-After).
  std::optional<absl::Duration> retry_after;
  // When the exchange succeeded: each request's outcome, in request order —
  // its node error, or what its parser returned.
  std::vector<absl::Status> outcomes;
};

// IsRetryable tells whether a failed exchange is worth sending again: the
// node or the path to it failed, not the request.
bool IsRetryable(const JsonRpcAnswer& answer);

// JsonRpcConnection exchanges JSON-RPC messages with a node.
class JsonRpcConnection {
 public:
  virtual ~JsonRpcConnection() = default;

  // Exchange sends `requests` (as a batch when more than one) and returns
  // their outcomes, or why the exchange failed. Node errors map to canonical
  // codes: range limits RESOURCE_EXHAUSTED (see IsRangeLimit), unknown
  // methods UNIMPLEMENTED, invalid parameters INVALID_ARGUMENT, reverts and
  // nonce conflicts FAILED_PRECONDITION; unreachable or failing nodes and
  // malformed answers UNAVAILABLE.
  virtual JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                                 const JsonRpcCallOptions& options) = 0;
};

// JsonRpcTransport posts a request body to an endpoint and returns the
// answer. The production transport is the common HTTP client; fuzzers and
// tests may pass their own.
class JsonRpcTransport {
 public:
  virtual ~JsonRpcTransport() = default;
  virtual absl::StatusOr<HttpClientResponse> Post(const std::string& url,
                                                  const std::string& body) = 0;
};

struct JsonRpcOptions {
  // HTTP(S) endpoints in order of preference.
  std::vector<std::string> endpoints;
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(3);
  // The policy of calls that do not choose their own.
  JsonRpcCallOptions call;
  // Requests per second across endpoints; 0 for no limit.
  double rate_limit = 0;
  double rate_burst = 10;
  metrics::Registry* registry = &metrics::DefaultRegistry();
  Clock* clock = &SystemClock();
};

// MakeJsonRpcConnection builds the decorated stack above over `transport`,
// or over HTTP without one. Endpoints that are not http(s) URLs are
// INVALID_ARGUMENT.
absl::StatusOr<std::shared_ptr<JsonRpcConnection>> MakeJsonRpcConnection(
    const JsonRpcOptions& options,
    std::shared_ptr<JsonRpcTransport> transport = nullptr);

// The decorators MakeJsonRpcConnection stacks, for tests and for callers
// that build a stack of their own.

// MakeEndpointConnection speaks to one endpoint: it frames the requests,
// posts them, and matches the answers to the requests by id.
std::unique_ptr<JsonRpcConnection> MakeEndpointConnection(
    std::string url, std::shared_ptr<JsonRpcTransport> transport, Clock& clock);

// MakeRateLimitedConnection waits for a token of `bucket`, which every
// endpoint shares, before each exchange.
std::unique_ptr<JsonRpcConnection> MakeRateLimitedConnection(
    std::unique_ptr<JsonRpcConnection> inner,
    std::shared_ptr<TokenBucket> bucket);

// MakeLoggingConnection logs each failed exchange with the endpoint it went
// to, and counts it by reason.
std::unique_ptr<JsonRpcConnection> MakeLoggingConnection(
    std::unique_ptr<JsonRpcConnection> inner, std::string endpoint,
    metrics::Registry& registry);

// MakeFailoverConnection sends an exchange to the endpoint that last
// answered, and on a retryable failure to each other one in turn: one
// round over every endpoint.
std::unique_ptr<JsonRpcConnection> MakeFailoverConnection(
    std::vector<std::unique_ptr<JsonRpcConnection>> endpoints);

// MakeRetryConnection runs rounds of `inner` until one does not fail
// retryably or the call's RetryPolicy has none left, waiting on `clock`
// with jittered backoff, or as long as a Retry-After asked (up to the
// policy's max_delay).
std::unique_ptr<JsonRpcConnection> MakeRetryConnection(
    std::unique_ptr<JsonRpcConnection> inner, Clock& clock);

// MakeMetricsConnection counts requests by method and outcome and times
// each exchange, retries included.
std::unique_ptr<JsonRpcConnection> MakeMetricsConnection(
    std::unique_ptr<JsonRpcConnection> inner, metrics::Registry& registry,
    Clock& clock);

// IsRangeLimit tells whether a status is a provider's refusal of an
// eth_getLogs range (too many results, too many blocks).
bool IsRangeLimit(const absl::Status& status);

// RangeLimitError is the status a provider's range-limit answer maps to,
// for sources other than a node that speak of the same refusal.
absl::Status RangeLimitError(absl::string_view message);

// SuggestedRange returns the range a provider proposed in its range-limit
// error ("this block range should work: [0x1, 0x1f4]"), if it did.
std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(
    const absl::Status& status);

// RedactedEndpoint is an endpoint as messages and logs show it: scheme and
// host, since paths may carry API keys.
std::string RedactedEndpoint(absl::string_view url);

}  // namespace chainsync::evm
