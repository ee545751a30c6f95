#pragma once

// CallPerAccount reads one uint256 view function (balanceOf,
// syncedBalance, ...) of a contract for many accounts at one block, in
// JSON-RPC batches a provider accepts.

#include <vector>

#include "absl/status/statusor.h"
#include "libs/evm/contract_abi.h"
#include "libs/evm/json_rpc_client.h"

namespace chainsync::evm {

// Calls per JSON-RPC batch: providers refuse batches much larger (Alchemy
// and Infura cap them at 1,000 or less).
inline constexpr size_t kCallsPerBatch = 200;

// CallPerAccount calls `function(account)` on `contract` for each account,
// in order; `function` must take one address and return one uint256. The
// first failed call fails the whole.
absl::StatusOr<std::vector<Uint256>> CallPerAccount(
    JsonRpcClient& client, const AbiFunction& function, const Address& contract,
    const std::vector<Address>& accounts, const BlockRef& block);

}  // namespace chainsync::evm
