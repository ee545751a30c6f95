#pragma once

// The contracts an indexer follows on its chain, with their ABIs, and the
// decoding of their logs.

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "libs/evm/contract_abi.h"
#include "libs/evm/json_rpc_types.h"

namespace chainsync::contracts {
struct Deployment;
}  // namespace chainsync::contracts

namespace chainsync::indexer {

struct IndexedContract {
  std::string name;
  evm::Address address;
  uint64_t start_block = 0;
  evm::ContractAbi abi;
  std::string abi_json;
};

// DecodedEvent is a log and what its contract's ABI makes of it. A log that
// matches no event of the ABI, or has the wrong topics or data for it, keeps
// the reason in `decode_error` and no values.
struct DecodedEvent {
  evm::Log log;
  const IndexedContract* contract = nullptr;
  const evm::AbiEvent* event = nullptr;
  std::vector<evm::AbiValue> values;
  // The arguments as JSON: uint256 as decimal strings, addresses checksummed.
  std::string args_json;
  // The address-typed arguments: the accounts the event touches.
  std::vector<evm::Address> accounts;
  std::string decode_error;
};

class ContractRegistry {
 public:
  // FromDeployment takes the contracts of a deployment configuration as the
  // deploy tool writes it. An ABI that does not parse is INVALID_ARGUMENT
  // naming the contract.
  static absl::StatusOr<std::unique_ptr<ContractRegistry>> FromDeployment(
      const contracts::Deployment& deployment);

  const std::vector<std::unique_ptr<IndexedContract>>& contracts() const {
    return contracts_;
  }
  // Find returns the contract at `address`, or null.
  const IndexedContract* Find(const evm::Address& address) const;
  // The lowest start block of all contracts.
  uint64_t start_block() const;
  std::vector<evm::Address> addresses() const;

  // Decode decodes a log of one of the contracts.
  DecodedEvent Decode(evm::Log log) const;

 private:
  std::vector<std::unique_ptr<IndexedContract>> contracts_;
  absl::flat_hash_map<evm::Address, const IndexedContract*> by_address_;
};

}  // namespace chainsync::indexer
