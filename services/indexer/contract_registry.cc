#include "services/indexer/contract_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "contracts/deploy/deployment.h"

namespace chainsync::indexer {

absl::StatusOr<std::unique_ptr<ContractRegistry>>
ContractRegistry::FromDeployment(const contracts::Deployment& deployment) {
  auto registry = std::make_unique<ContractRegistry>();
  for (const contracts::DeployedContract& deployed : deployment.contracts) {
    absl::StatusOr<evm::ContractAbi> abi =
        evm::ContractAbi::FromJson(deployed.abi_json);
    if (!abi.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "contract ", deployed.name, ": ", abi.status().message()));
    }
    if (registry->by_address_.contains(deployed.address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "contract ", deployed.name, ": address ",
          deployed.address.ToChecksumHex(), " is configured twice"));
    }
    registry->contracts_.push_back(std::make_unique<IndexedContract>(
        IndexedContract{deployed.name, deployed.address, deployed.start_block,
                        *std::move(abi), deployed.abi_json}));
    registry->by_address_[deployed.address] = registry->contracts_.back().get();
  }
  if (registry->contracts_.empty()) {
    return absl::InvalidArgumentError("no contracts to index");
  }
  return registry;
}

const IndexedContract* ContractRegistry::Find(
    const evm::Address& address) const {
  const auto found = by_address_.find(address);
  return found == by_address_.end() ? nullptr : found->second;
}

uint64_t ContractRegistry::start_block() const {
  uint64_t start = UINT64_MAX;
  for (const auto& contract : contracts_)
    start = std::min(start, contract->start_block);
  return start;
}

std::vector<evm::Address> ContractRegistry::addresses() const {
  std::vector<evm::Address> addresses;
  for (const auto& contract : contracts_)
    addresses.push_back(contract->address);
  return addresses;
}

DecodedEvent ContractRegistry::Decode(evm::Log log) const {
  DecodedEvent decoded;
  decoded.log = std::move(log);
  decoded.contract = Find(decoded.log.address);
  if (decoded.contract == nullptr) {
    decoded.decode_error = "log of a contract that is not indexed";
    return decoded;
  }
  if (decoded.log.topics.empty()) {
    decoded.decode_error = "anonymous log without topics";
    return decoded;
  }
  decoded.event = decoded.contract->abi.FindEvent(decoded.log.topics[0]);
  if (decoded.event == nullptr) {
    decoded.decode_error =
        absl::StrCat("topic0 ", evm::ToHex(decoded.log.topics[0]),
                     " is no event of ", decoded.contract->name);
    return decoded;
  }
  absl::StatusOr<std::vector<evm::AbiValue>> values =
      decoded.event->Decode(decoded.log.topics, decoded.log.data);
  if (!values.ok()) {
    decoded.decode_error = std::string(values.status().message());
    decoded.event = nullptr;
    return decoded;
  }
  decoded.values = *std::move(values);
  decoded.event->AppendArgumentsJson(&decoded.args_json, decoded.values);
  for (const evm::AbiValue& value : decoded.values) {
    if (const auto* address = std::get_if<evm::Address>(&value.value)) {
      if (*address != evm::Address() &&
          std::find(decoded.accounts.begin(), decoded.accounts.end(),
                    *address) == decoded.accounts.end()) {
        decoded.accounts.push_back(*address);
      }
    }
  }
  return decoded;
}

}  // namespace chainsync::indexer
