#pragma once

// A JSON-RPC client for EVM nodes: typed calls over a JsonRpcConnection,
// whose decorators (json_rpc_connection.h) add what nodes and providers need
// — fail-over across endpoints, retries with jittered backoff, a rate limit,
// metrics and logs. Responses are parsed with simdjson; a malformed response
// is an error naming the method, never a partial result.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/evm/json_rpc_connection.h"
#include "libs/evm/json_rpc_types.h"

namespace chainsync::evm {

// BlockHeaderFromJson reads a block object as nodes send it (eth_getBlock*,
// newHeads notifications).
absl::StatusOr<BlockHeader> BlockHeaderFromJson(
    const simdjson::dom::element& block);

// JsonRpcClient makes typed calls on a connection, each with the client's
// call policy. Copies are cheap and share the connection.
class JsonRpcClient {
 public:
  // Create makes a client on MakeJsonRpcConnection(options, transport),
  // whose calls follow options.call.
  static absl::StatusOr<std::unique_ptr<JsonRpcClient>> Create(
      const JsonRpcOptions& options,
      std::shared_ptr<JsonRpcTransport> transport = nullptr);

  JsonRpcClient(std::shared_ptr<JsonRpcConnection> connection,
                JsonRpcCallOptions call)
      : connection_(std::move(connection)), call_(call) {}

  // WithRetry is a client on the same connection whose calls follow
  // `retry`: a caller that must give up soon, such as a start-up check,
  // and one that never gives up share one connection.
  JsonRpcClient WithRetry(RetryPolicy retry) const;

  // Call sends one request with `params` (a JSON array) and returns the
  // "result" as JSON text. Errors are those of JsonRpcConnection::Exchange.
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
  // EthCalls makes the calls in one batch, all at `block`, and returns each
  // one's output in the order asked.
  std::vector<absl::StatusOr<Bytes>> EthCalls(
      const std::vector<CallRequest>& requests, const BlockRef& block);
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
  // Execute runs the requests as one exchange and returns each one's
  // outcome: its node error, or what its parser returned.
  std::vector<absl::Status> Execute(
      const std::vector<JsonRpcRequest>& requests);

  // Single runs one request.
  absl::Status Single(
      std::string method, std::string params,
      std::function<absl::Status(const simdjson::dom::element&)> parse);

  std::shared_ptr<JsonRpcConnection> connection_;
  JsonRpcCallOptions call_;
};

}  // namespace chainsync::evm
