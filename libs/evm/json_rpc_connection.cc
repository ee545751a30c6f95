#include "libs/evm/json_rpc_connection.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"
#include "libs/evm/uint256.h"
#include "re2/re2.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

using simdjson::dom::element;

constexpr char kRangeLimitPayload[] = "type.chainsync.dev/evm.RangeLimit";

absl::string_view View(std::string_view text) {
  return {text.data(), text.size()};
}

// RangeLimited is a provider's refusal of a range, saying `text`; the
// provider's own words are kept for SuggestedRange.
absl::Status RangeLimited(absl::string_view text,
                          absl::string_view provider_message) {
  absl::Status status = absl::ResourceExhaustedError(text);
  status.SetPayload(kRangeLimitPayload, absl::Cord(provider_message));
  return status;
}

// ErrorStatus maps a JSON-RPC error object of `method` to a status.
absl::Status ErrorStatus(absl::string_view method, int64_t code,
                         absl::string_view message, absl::string_view data) {
  static const LazyRE2 kRangeLimit = {
      R"((?i)(more than \d+ results|exceeds? (the )?limit|block range|range (is )?too )"
      R"((large|wide|big)|too many (results|blocks|logs)|response size|query timeout))"};
  static const LazyRE2 kNonce = {
      R"((?i)(nonce too low|nonce too high|already known|replacement transaction )"
      R"(underpriced|transaction underpriced))"};
  const std::string text =
      absl::StrCat(method, ": ", message, " (code ", code, ")",
                   data.empty() ? "" : absl::StrCat(" data ", data));
  const re2::StringPiece piece(message.data(), message.size());
  if (method == "eth_getLogs" && RE2::PartialMatch(piece, *kRangeLimit)) {
    return RangeLimited(text, message);
  }
  // Blocks past the node's head — a node behind another, or a chain just
  // shortened by a reorg — are there a moment later: a transient state.
  static const LazyRE2 kPastHead = {
      R"((?i)(block ?out ?of ?range|block height is \d+ but requested|)"
      R"(header not found|unknown block))"};
  if (RE2::PartialMatch(piece, *kPastHead)) {
    return absl::UnavailableError(text);
  }
  if (code == -32601) return absl::UnimplementedError(text);
  if (code == 3 || absl::StrContains(message, "revert") ||
      RE2::PartialMatch(piece, *kNonce)) {
    return absl::FailedPreconditionError(text);
  }
  if (code == -32602 || code == -32600 || code == -32700) {
    return absl::InvalidArgumentError(text);
  }
  if (code == -32005)
    return absl::ResourceExhaustedError(text);  // rate limited
  return absl::UnknownError(text);
}

// ErrorFromObject maps the "error" member of an answer.
absl::Status ErrorFromObject(absl::string_view method, const element& error) {
  int64_t code = 0;
  if (error["code"].get(code) != simdjson::SUCCESS) code = 0;
  std::string_view message;
  if (error["message"].get(message) != simdjson::SUCCESS)
    message = "(no message)";
  std::string data;
  if (element value; error["data"].get(value) == simdjson::SUCCESS) {
    data = simdjson::minify(value);
  }
  return ErrorStatus(method, code, View(message), data);
}

// IsRetryableStatus tells whether a node's answer to a request says the
// node, not the request, failed.
bool IsRetryableStatus(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         (absl::IsResourceExhausted(status) && !IsRangeLimit(status));
}

// MethodLabel names an exchange in messages and metrics: its method, or
// "batch:<method of the first request>".
std::string MethodLabel(const std::vector<JsonRpcRequest>& requests) {
  return requests.size() == 1 ? requests[0].method
                              : absl::StrCat("batch:", requests[0].method);
}

JsonRpcAnswer Failed(absl::Status failure, std::string reason) {
  return {.failure = std::move(failure), .reason = std::move(reason)};
}

// HttpTransport posts JSON over the common HTTP client.
class HttpTransport final : public JsonRpcTransport {
 public:
  explicit HttpTransport(std::unique_ptr<HttpClient> http)
      : http_(std::move(http)) {}
  absl::StatusOr<HttpClientResponse> Post(const std::string& url,
                                          const std::string& body) override {
    return http_->Send({.method = "POST",
                        .url = url,
                        .headers = {{"content-type", "application/json"}},
                        .body = body});
  }

 private:
  std::unique_ptr<HttpClient> http_;
};

class EndpointConnection final : public JsonRpcConnection {
 public:
  EndpointConnection(std::string url,
                     std::shared_ptr<JsonRpcTransport> transport, Clock& clock)
      : url_(std::move(url)),
        redacted_(RedactedEndpoint(url_)),
        transport_(std::move(transport)),
        clock_(clock) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions&) override {
    const size_t count = requests.size();
    // Ids need only tell apart the requests of one HTTP exchange.
    constexpr uint64_t first_id = 1;
    std::string body;
    if (count > 1) body.push_back('[');
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) body.push_back(',');
      absl::StrAppend(&body, "{\"jsonrpc\":\"2.0\",\"id\":", first_id + i,
                      ",\"method\":");
      log::AppendJsonString(&body, requests[i].method);
      absl::StrAppend(&body, ",\"params\":", requests[i].params, "}");
    }
    if (count > 1) body.push_back(']');
    const std::string label = MethodLabel(requests);

    absl::StatusOr<HttpClientResponse> response = transport_->Post(url_, body);
    if (!response.ok()) {
      return Failed(
          absl::Status(response.status().code(),
                       absl::StrCat(label, ": ", response.status().message())),
          "transport");
    }
    if (response->status == 429 || response->status >= 500) {
      JsonRpcAnswer answer = Failed(
          absl::UnavailableError(absl::StrCat(
              label, ": ", redacted_, " answered HTTP ", response->status)),
          absl::StrCat("http_", response->status));
      answer.retry_after =
          ParseRetryAfter(response->Header("retry-after"), clock_.Now());
      return answer;
    }
    simdjson::dom::parser parser;
    element document;
    if (const simdjson::error_code error =
            parser.parse(response->body).get(document);
        error != simdjson::SUCCESS) {
      return Malformed(label, absl::StrCat(" (HTTP ", response->status, "): ",
                                           simdjson::error_message(error)));
    }
    // Each request's envelope, by id.
    std::vector<element> envelopes(count);
    std::vector<bool> found(count, false);
    std::vector<element> items;
    if (simdjson::dom::array list; document.get(list) == simdjson::SUCCESS) {
      for (element item : list) items.push_back(item);
    } else {
      items.push_back(document);
    }
    absl::Status whole_batch_error;
    for (const element& item : items) {
      uint64_t id;
      if (item["id"].get(id) == simdjson::SUCCESS && id >= first_id &&
          id < first_id + count) {
        envelopes[id - first_id] = item;
        found[id - first_id] = true;
      } else if (element error_object;
                 item["error"].get(error_object) == simdjson::SUCCESS) {
        // An error for the exchange as a whole (a batch refused).
        whole_batch_error = ErrorFromObject(requests[0].method, error_object);
      }
    }
    if (!whole_batch_error.ok() &&
        std::none_of(found.begin(), found.end(), [](bool f) { return f; })) {
      return Failed(whole_batch_error, "node_error");
    }
    if (std::find(found.begin(), found.end(), false) != found.end()) {
      return Malformed(label, ": not every request was answered");
    }
    JsonRpcAnswer answer;
    answer.outcomes.resize(count);
    for (size_t i = 0; i < count; ++i) {
      if (element error_object;
          envelopes[i]["error"].get(error_object) == simdjson::SUCCESS) {
        answer.outcomes[i] = ErrorFromObject(requests[i].method, error_object);
        // A rate limit answered in JSON is a refusal to try again.
        if (count == 1 && IsRetryableStatus(answer.outcomes[i])) {
          return Failed(answer.outcomes[i], "rate_limited");
        }
        continue;
      }
      element result;
      if (envelopes[i]["result"].get(result) != simdjson::SUCCESS) {
        return Malformed(requests[i].method, ": neither result nor error");
      }
      if (absl::Status parsed = requests[i].parse(result); !parsed.ok()) {
        // A result of the wrong shape: the node or a proxy misbehaved.
        return Failed(absl::UnavailableError(absl::StrCat(
                          requests[i].method, ": malformed result from ",
                          redacted_, ": ", parsed.message())),
                      "malformed");
      }
    }
    return answer;
  }

 private:
  JsonRpcAnswer Malformed(absl::string_view label, absl::string_view what) {
    return Failed(absl::UnavailableError(absl::StrCat(
                      label, ": malformed response from ", redacted_, what)),
                  "malformed");
  }

  const std::string url_;
  const std::string redacted_;
  std::shared_ptr<JsonRpcTransport> transport_;
  Clock& clock_;
};

class RateLimitedConnection final : public JsonRpcConnection {
 public:
  RateLimitedConnection(std::unique_ptr<JsonRpcConnection> inner,
                        std::shared_ptr<TokenBucket> bucket)
      : inner_(std::move(inner)), bucket_(std::move(bucket)) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions& options) override {
    bucket_->Take();
    return inner_->Exchange(requests, options);
  }

 private:
  std::unique_ptr<JsonRpcConnection> inner_;
  std::shared_ptr<TokenBucket> bucket_;
};

class LoggingConnection final : public JsonRpcConnection {
 public:
  LoggingConnection(std::unique_ptr<JsonRpcConnection> inner,
                    std::string endpoint, metrics::Registry& registry)
      : inner_(std::move(inner)),
        endpoint_(std::move(endpoint)),
        failures_(registry.AddCounter(
            "chainsync_evm_rpc_retries_total",
            "JSON-RPC exchanges that failed as a whole, by reason; each is "
            "sent again while its call has attempts left.",
            {"reason"})) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions& options) override {
    JsonRpcAnswer answer = inner_->Exchange(requests, options);
    if (!answer.failure.ok()) {
      failures_.WithLabels({answer.reason}).Increment();
      log::Warning("JSON-RPC exchange failed",
                   {{"method", MethodLabel(requests)},
                    {"endpoint", endpoint_},
                    {"reason", answer.reason},
                    {"error", answer.failure.message()}});
    }
    return answer;
  }

 private:
  std::unique_ptr<JsonRpcConnection> inner_;
  const std::string endpoint_;
  metrics::Family<metrics::Counter>& failures_;
};

class FailoverConnection final : public JsonRpcConnection {
 public:
  explicit FailoverConnection(
      std::vector<std::unique_ptr<JsonRpcConnection>> endpoints)
      : endpoints_(std::move(endpoints)) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions& options) override {
    const size_t first = preferred_.load();
    JsonRpcAnswer answer;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      const size_t endpoint = (first + i) % endpoints_.size();
      answer = endpoints_[endpoint]->Exchange(requests, options);
      if (!IsRetryable(answer)) {
        preferred_.store(endpoint);
        return answer;
      }
    }
    return answer;
  }

 private:
  std::vector<std::unique_ptr<JsonRpcConnection>> endpoints_;
  // The endpoint that answered last: the next exchange starts there.
  std::atomic<size_t> preferred_{0};
};

class RetryConnection final : public JsonRpcConnection {
 public:
  RetryConnection(std::unique_ptr<JsonRpcConnection> inner, Clock& clock)
      : inner_(std::move(inner)), clock_(clock) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions& options) override {
    const RetryPolicy& policy = options.retry;
    Backoff backoff(policy.backoff);
    JsonRpcAnswer answer = inner_->Exchange(requests, options);
    for (int attempt = 1; attempt < policy.max_attempts && IsRetryable(answer);
         ++attempt) {
      absl::Duration delay = backoff.NextDelay();
      if (answer.retry_after.has_value()) {
        delay = std::max(
            delay, std::min(*answer.retry_after, policy.backoff.max_delay));
      }
      clock_.SleepFor(delay);
      answer = inner_->Exchange(requests, options);
    }
    return answer;
  }

 private:
  std::unique_ptr<JsonRpcConnection> inner_;
  Clock& clock_;
};

class MetricsConnection final : public JsonRpcConnection {
 public:
  MetricsConnection(std::unique_ptr<JsonRpcConnection> inner,
                    metrics::Registry& registry, Clock& clock)
      : inner_(std::move(inner)),
        clock_(clock),
        requests_(registry.AddCounter(
            "chainsync_evm_rpc_requests_total",
            "JSON-RPC requests by method and outcome.", {"method", "outcome"})),
        duration_(registry.AddHistogram(
            "chainsync_evm_rpc_request_duration_seconds",
            "JSON-RPC exchanges (a batch counts once) by method, retries "
            "included.",
            {"method"}, metrics::LatencyBuckets())) {}

  JsonRpcAnswer Exchange(const std::vector<JsonRpcRequest>& requests,
                         const JsonRpcCallOptions& options) override {
    const absl::Time start = clock_.Now();
    JsonRpcAnswer answer = inner_->Exchange(requests, options);
    duration_.WithLabels({MethodLabel(requests)})
        .Observe(absl::ToDoubleSeconds(clock_.Now() - start));
    for (size_t i = 0; i < requests.size(); ++i) {
      const absl::Status& outcome =
          answer.failure.ok() ? answer.outcomes[i] : answer.failure;
      requests_
          .WithLabels(
              {requests[i].method, std::string(StatusCodeName(outcome.code()))})
          .Increment();
    }
    return answer;
  }

 private:
  std::unique_ptr<JsonRpcConnection> inner_;
  Clock& clock_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& duration_;
};

}  // namespace

bool IsRetryable(const JsonRpcAnswer& answer) {
  if (answer.failure.ok()) return false;
  // A node's refusal of the whole exchange is retried only when it speaks
  // of the node; every other failure is of the path to it.
  return answer.reason != "node_error" || IsRetryableStatus(answer.failure);
}

std::unique_ptr<JsonRpcConnection> MakeEndpointConnection(
    std::string url, std::shared_ptr<JsonRpcTransport> transport,
    Clock& clock) {
  return std::make_unique<EndpointConnection>(std::move(url),
                                              std::move(transport), clock);
}

std::unique_ptr<JsonRpcConnection> MakeRateLimitedConnection(
    std::unique_ptr<JsonRpcConnection> inner,
    std::shared_ptr<TokenBucket> bucket) {
  return std::make_unique<RateLimitedConnection>(std::move(inner),
                                                 std::move(bucket));
}

std::unique_ptr<JsonRpcConnection> MakeLoggingConnection(
    std::unique_ptr<JsonRpcConnection> inner, std::string endpoint,
    metrics::Registry& registry) {
  return std::make_unique<LoggingConnection>(std::move(inner),
                                             std::move(endpoint), registry);
}

std::unique_ptr<JsonRpcConnection> MakeFailoverConnection(
    std::vector<std::unique_ptr<JsonRpcConnection>> endpoints) {
  return std::make_unique<FailoverConnection>(std::move(endpoints));
}

std::unique_ptr<JsonRpcConnection> MakeRetryConnection(
    std::unique_ptr<JsonRpcConnection> inner, Clock& clock) {
  return std::make_unique<RetryConnection>(std::move(inner), clock);
}

std::unique_ptr<JsonRpcConnection> MakeMetricsConnection(
    std::unique_ptr<JsonRpcConnection> inner, metrics::Registry& registry,
    Clock& clock) {
  return std::make_unique<MetricsConnection>(std::move(inner), registry, clock);
}

absl::StatusOr<std::shared_ptr<JsonRpcConnection>> MakeJsonRpcConnection(
    const JsonRpcOptions& options,
    std::shared_ptr<JsonRpcTransport> transport) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError(
        "JSON-RPC client needs at least one endpoint");
  }
  for (const std::string& endpoint : options.endpoints) {
    if (!absl::StartsWith(endpoint, "http://") &&
        !absl::StartsWith(endpoint, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("JSON-RPC endpoint \"", RedactedEndpoint(endpoint),
                       "\" is not an http(s) URL"));
    }
  }
  Clock& clock = *options.clock;
  if (transport == nullptr) {
    HttpClientOptions http;
    http.connect_timeout = options.connect_timeout;
    http.request_timeout = options.request_timeout;
    // Retries, with fail-over, happen in this stack, where the endpoints
    // are known.
    http.retry.max_attempts = 1;
    http.clock = options.clock;
    http.registry = options.registry;
    http.name = "jsonrpc";
    absl::StatusOr<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(http);
    if (!client.ok()) return client.status();
    transport = std::make_shared<HttpTransport>(*std::move(client));
  }
  std::shared_ptr<TokenBucket> bucket;
  if (options.rate_limit > 0) {
    bucket = std::make_shared<TokenBucket>(options.rate_limit,
                                           options.rate_burst, clock);
  }
  std::vector<std::unique_ptr<JsonRpcConnection>> endpoints;
  for (const std::string& url : options.endpoints) {
    std::unique_ptr<JsonRpcConnection> endpoint =
        MakeEndpointConnection(url, transport, clock);
    if (bucket != nullptr) {
      endpoint = MakeRateLimitedConnection(std::move(endpoint), bucket);
    }
    endpoints.push_back(MakeLoggingConnection(
        std::move(endpoint), RedactedEndpoint(url), *options.registry));
  }
  return std::shared_ptr<JsonRpcConnection>(MakeMetricsConnection(
      MakeRetryConnection(MakeFailoverConnection(std::move(endpoints)), clock),
      *options.registry, clock));
}

bool IsRangeLimit(const absl::Status& status) {
  return status.GetPayload(kRangeLimitPayload).has_value();
}

absl::Status RangeLimitError(absl::string_view message) {
  return RangeLimited(message, message);
}

std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(
    const absl::Status& status) {
  const absl::optional<absl::Cord> message =
      status.GetPayload(kRangeLimitPayload);
  if (!message.has_value()) return std::nullopt;
  static const LazyRE2 kRange = {
      R"(\[\s*0x([0-9a-fA-F]+)\s*,\s*0x([0-9a-fA-F]+)\s*\])"};
  std::string from, to;
  uint64_t first = 0, last = 0;
  if (!RE2::PartialMatch(std::string(*message), *kRange, &from, &to) ||
      !absl::SimpleHexAtoi(from, &first) || !absl::SimpleHexAtoi(to, &last) ||
      first > last) {
    return std::nullopt;
  }
  return std::make_pair(first, last);
}

std::string RedactedEndpoint(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t host_start = scheme == absl::string_view::npos ? 0 : scheme + 3;
  const size_t path = url.find('/', host_start);
  return std::string(url.substr(0, path));
}

}  // namespace chainsync::evm
