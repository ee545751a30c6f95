#include "libs/evm/batched_calls.h"

#include <algorithm>

namespace chainsync::evm {

absl::StatusOr<std::vector<Uint256>> CallPerAccount(
    JsonRpcClient& client, const AbiFunction& function, const Address& contract,
    const std::vector<Address>& accounts, const BlockRef& block) {
  std::vector<Uint256> values;
  values.reserve(accounts.size());
  for (size_t start = 0; start < accounts.size(); start += kCallsPerBatch) {
    std::vector<CallRequest> calls;
    const size_t end = std::min(accounts.size(), start + kCallsPerBatch);
    for (size_t i = start; i < end; ++i) {
      absl::StatusOr<Bytes> data = function.EncodeCall({accounts[i]});
      if (!data.ok()) return data.status();
      calls.push_back({.to = contract, .data = *std::move(data)});
    }
    for (absl::StatusOr<Bytes>& output : client.EthCalls(calls, block)) {
      if (!output.ok()) return output.status();
      absl::StatusOr<std::vector<AbiValue>> decoded =
          function.DecodeOutput(*output);
      if (!decoded.ok()) return decoded.status();
      if (decoded->size() != 1 ||
          !std::holds_alternative<Uint256>(decoded->front().value)) {
        return absl::InvalidArgumentError(
            "the call does not return one uint256");
      }
      values.push_back(std::get<Uint256>(decoded->front().value));
    }
  }
  return values;
}

}  // namespace chainsync::evm
