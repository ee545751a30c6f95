#pragma once

// Ethereum transactions the oracle and the deploy tool send: legacy with
// EIP-155 replay protection, and EIP-1559 (type 2) with an empty access list.

#include <optional>

#include "libs/evm/address.h"
#include "libs/evm/signer.h"
#include "libs/evm/uint256.h"

namespace chainsync::evm {

struct LegacyTransaction {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  Uint256 gas_price = 0;
  uint64_t gas_limit = 0;
  // Absent for contract creation.
  std::optional<Address> to;
  Uint256 value = 0;
  Bytes data;
};

struct Eip1559Transaction {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  Uint256 max_priority_fee_per_gas = 0;
  Uint256 max_fee_per_gas = 0;
  uint64_t gas_limit = 0;
  std::optional<Address> to;
  Uint256 value = 0;
  Bytes data;
};

// SignedTransaction is what eth_sendRawTransaction takes, and its hash.
struct SignedTransaction {
  Bytes raw;
  Hash hash;
};

// SigningPayload is the serialization that is hashed and signed: for legacy,
// rlp([nonce, gas_price, gas, to, value, data, chain_id, 0, 0]); for EIP-1559,
// 0x02 || rlp([chain_id, nonce, tip, fee cap, gas, to, value, data, []]).
Bytes SigningPayload(const LegacyTransaction& transaction);
Bytes SigningPayload(const Eip1559Transaction& transaction);

// Sign signs a transaction. A chain id of 0 is INVALID_ARGUMENT: chainsync
// never sends a transaction that another chain could replay.
absl::StatusOr<SignedTransaction> Sign(const LegacyTransaction& transaction,
                                       Signer& signer);
absl::StatusOr<SignedTransaction> Sign(const Eip1559Transaction& transaction,
                                       Signer& signer);

}  // namespace chainsync::evm
