#pragma once

// A JSON-RPC client for EVM nodes. Requests go over the common HTTP client
// with keep-alive; the client adds what nodes and providers need:
//  - fail-over across several endpoints, starting from the last one that
//    worked;
//  - retries with jittered backoff (Retry-After honoured) for transport
//    failures, 429 and 5xx answers, and malformed or truncated bodies;
//  - a token-bucket rate limit shared by all requests;
//  - batches (one HTTP request, answers matched by id);
//  - recognition of provider range-limit errors, so that a caller can split
//    an eth_getLogs range (IsRangeLimit, SuggestedRange).
// Responses are parsed with simdjson; a malformed response is an error naming
// the method, never a partial result.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/http/http_client.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/token_bucket.h"
#include "libs/evm/json_rpc_types.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace chainsync::evm {

struct JsonRpcOptions {
  // HTTP(S) endpoints in order of preference.
  std::vector<std::string> endpoints;
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(3);
  // Attempts across all endpoints, with backoff between rounds.
  RetryPolicy retry = {.max_attempts = 6,
                       .backoff = {.initial_delay = absl::Milliseconds(50),
                                   .max_delay = absl::Seconds(5)}};
  // Requests per second across endpoints; 0 for no limit.
  double rate_limit = 0;
  double rate_burst = 10;
  metrics::Registry* registry = &metrics::DefaultRegistry();
  Clock* clock = &SystemClock();
};

// BlockHeaderFromJson reads a block object as nodes send it (eth_getBlock*,
// newHeads notifications).
absl::StatusOr<BlockHeader> BlockHeaderFromJson(
    const simdjson::dom::element& block);

// IsRangeLimit tells whether a status is a provider's refusal of an
// eth_getLogs range (too many results, too many blocks).
bool IsRangeLimit(const absl::Status& status);

// SuggestedRange returns the range a provider proposed in its range-limit
// error ("this block range should work: [0x1, 0x1f4]"), if it did.
std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(
    const absl::Status& status);

// JsonRpcTransport posts a request body to an endpoint and returns the
// answer. The production transport is the common HTTP client; fuzzers and
// tests may pass their own.
class JsonRpcTransport {
 public:
  virtual ~JsonRpcTransport() = default;
  virtual absl::StatusOr<HttpClientResponse> Post(const std::string& url,
                                                  const std::string& body) = 0;
};

class JsonRpcClient {
 public:
  // Create makes a client; without `transport`, it speaks HTTP.
  static absl::StatusOr<std::unique_ptr<JsonRpcClient>> Create(
      JsonRpcOptions options,
      std::unique_ptr<JsonRpcTransport> transport = nullptr);
  ~JsonRpcClient();

  // Call sends one request with `params` (a JSON array) and returns the
  // "result" as JSON text. Node errors are mapped to canonical codes: range
  // limits RESOURCE_EXHAUSTED (see IsRangeLimit), unknown methods
  // UNIMPLEMENTED, invalid parameters INVALID_ARGUMENT, reverts and nonce
  // conflicts FAILED_PRECONDITION; unreachable or failing nodes UNAVAILABLE.
  absl::StatusOr<std::string> Call(absl::string_view method,
                                   absl::string_view params);

  absl::StatusOr<uint64_t> ChainId();
  absl::StatusOr<uint64_t> BlockNumber();
  // Null results (no such block, no receipt yet) are nullopt.
  absl::StatusOr<std::optional<BlockHeader>> GetBlockByNumber(
      const BlockRef& block);
  absl::StatusOr<std::optional<BlockHeader>> GetBlockByHash(const Hash& hash);
  absl::StatusOr<std::vector<Log>> GetLogs(const LogFilter& filter);
  absl::StatusOr<Bytes> EthCall(const CallRequest& request,
                                const BlockRef& block);
  absl::StatusOr<uint64_t> GetTransactionCount(const Address& account,
                                               const BlockRef& block);
  absl::StatusOr<uint64_t> EstimateGas(const CallRequest& request);
  absl::StatusOr<Uint256> GasPrice();
  absl::StatusOr<FeeHistory> GetFeeHistory(
      uint64_t block_count, const BlockRef& newest,
      const std::vector<double>& percentiles);
  absl::StatusOr<Hash> SendRawTransaction(ByteSpan raw);
  absl::StatusOr<std::optional<Receipt>> GetTransactionReceipt(
      const Hash& hash);
  absl::StatusOr<Bytes> GetCode(const Address& account, const BlockRef& block);

  // GetBlocksByNumber fetches headers in one batch, in the order asked.
  std::vector<absl::StatusOr<std::optional<BlockHeader>>> GetBlocksByNumber(
      const std::vector<uint64_t>& numbers);

 private:
  // Request is one call; `parse` reads its "result" from the parsed
  // response, so that no response is parsed twice.
  struct Request {
    std::string method;
    std::string params;
    std::function<absl::Status(const simdjson::dom::element& result)> parse;
  };
  struct Metrics;
  JsonRpcClient(JsonRpcOptions options,
                std::unique_ptr<JsonRpcTransport> transport);

  // Execute sends the requests (as a batch when more than one) and returns
  // each one's outcome: its node error, or what its parser returned.
  std::vector<absl::Status> Execute(const std::vector<Request>& requests);

  // Single runs one request.
  absl::Status Single(
      std::string method, std::string params,
      std::function<absl::Status(const simdjson::dom::element&)> parse);

  JsonRpcOptions options_;
  std::unique_ptr<JsonRpcTransport> transport_;
  std::unique_ptr<TokenBucket> rate_limit_;
  std::unique_ptr<Metrics> metrics_;
  std::mutex mu_;
  size_t preferred_endpoint_ = 0;
  uint64_t next_id_ = 1;
};

}  // namespace chainsync::evm
