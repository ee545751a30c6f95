#pragma once

// CallPerAccount reads one uint256 view function (balanceOf,
// syncedBalance, ...) of a contract for many accounts at one block, 700
// accounts per eth_call: each call runs PerAccountReader's
// creation code, whose constructor makes the calls and returns the answers
// (a "deployless" multicall: nothing is deployed, any node serves it). A
// request per account would have the node load the block's state once per
// account — what makes reads at a pinned block slow on large states.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/evm/contract_abi.h"
#include "libs/evm/json_rpc_client.h"

namespace chainsync::contracts {

// Accounts per eth_call. The answers are returned as the code the
// constructor would deploy, which a node caps at 24,576 bytes (EIP-170):
// 700 answers are 22,464 bytes with their header, and 700 view calls stay
// well under the gas a node allows one eth_call.
inline constexpr size_t kAccountsPerCall = 700;

// CallPerAccount calls `function(account)` on `contract` for each account,
// in order; `function` must take one address and return one uint256. A
// call that fails fails the whole, naming the account.
absl::StatusOr<std::vector<evm::Uint256>> CallPerAccount(
    evm::JsonRpcClient& client, const evm::AbiFunction& function,
    const evm::Address& contract, const std::vector<evm::Address>& accounts,
    const evm::BlockRef& block);

// PerAccountReaderCode is PerAccountReader's creation code, hex (generated
// at build time from the compiled contract).
absl::string_view PerAccountReaderCode();

}  // namespace chainsync::contracts
