#pragma once

// Deploys the reference protocol (rBTC, wrBTC, the fee vault, the oracle
// contract and the yield pool) to a chain, wires its roles, and describes
// the result as the configuration the services read: the chain, the roles,
// and each contract's name, address, first block and ABI.

#include <optional>
#include <string>
#include <vector>

#include "libs/evm/contract_abi.h"
#include "libs/evm/json_rpc_client.h"
#include "libs/evm/signer.h"

namespace chainsync::contracts {

// ContractArtifact is a compiled contract: solcjs's .abi and .bin.
struct ContractArtifact {
  std::string name;
  std::string abi_json;
  evm::ContractAbi abi;
  evm::Bytes bytecode;
};

// LoadArtifact reads <dir>/<name>_sol_<name>.abi and .bin.
absl::StatusOr<ContractArtifact> LoadArtifact(const std::string& directory,
                                              const std::string& name);

struct DeployedContract {
  std::string name;
  evm::Address address;
  // The block the contract was created in: where indexing starts.
  uint64_t start_block = 0;
  std::string abi_json;
};

// Deployment describes a deployed protocol.
struct Deployment {
  uint64_t chain_id = 0;
  evm::Address owner;
  evm::Address committee;
  // The key allowed to publish proofs of reserves, when ReserveProofs is
  // deployed.
  std::optional<evm::Address> publisher;
  uint64_t yield_minimum_sats = 0;
  std::vector<DeployedContract> contracts;

  // Find returns the contract named `name`, or null.
  const DeployedContract* Find(absl::string_view name) const;

  // ToJson renders the configuration file; FromJson reads it back, and names
  // what is missing or malformed.
  std::string ToJson() const;
  static absl::StatusOr<Deployment> FromJson(absl::string_view json);
  // FromFile reads the file at `path`, which must name each of `required`;
  // the error says what is wrong with it.
  static absl::StatusOr<Deployment> FromFile(
      const std::string& path, const std::vector<std::string>& required);
};

struct DeployOptions {
  std::string artifacts_dir;
  // The key allowed to call OracleAggregator.sync (the oracle's signer).
  evm::Address committee;
  // The rBTC balance, in satoshis, from which a holder may join the pool.
  uint64_t yield_minimum_sats = 10'000;
  // The key allowed to publish the roots of proofs of reserves (the
  // reconciler's signer); without one, ReserveProofs is not deployed.
  std::optional<evm::Address> publisher;
};

// DeployReferenceProtocol deploys and wires the five contracts, and
// ReserveProofs when a publisher is given, with `deployer` as owner.
absl::StatusOr<Deployment> DeployReferenceProtocol(
    evm::JsonRpcClient& client, evm::Signer& deployer,
    const DeployOptions& options);

}  // namespace chainsync::contracts
