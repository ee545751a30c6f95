#include "contracts/deploy/deployment.h"

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"
#include "libs/evm/transaction_sender.h"
#include "simdjson.h"

namespace chainsync::contracts {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path,
                     " (build the contracts target, or pass --artifacts_dir)"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Deploy creates a contract with constructor `arguments` and returns it.
absl::StatusOr<DeployedContract> Deploy(
    evm::TransactionSender& sender, const ContractArtifact& artifact,
    const std::vector<evm::AbiValue>& arguments) {
  std::vector<evm::AbiType> types;
  for (const evm::AbiParameter& input : artifact.abi.constructor_inputs()) {
    types.push_back(input.type);
  }
  absl::StatusOr<evm::Bytes> encoded = evm::EncodeParameters(types, arguments);
  if (!encoded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        artifact.name, " constructor: ", encoded.status().message()));
  }
  evm::Bytes code = artifact.bytecode;
  code.insert(code.end(), encoded->begin(), encoded->end());
  absl::StatusOr<evm::Receipt> receipt =
      sender.SendAndWait({.data = std::move(code)});
  if (!receipt.ok()) {
    return absl::Status(receipt.status().code(),
                        absl::StrCat("deploying ", artifact.name, ": ",
                                     receipt.status().message()));
  }
  if (!receipt->contract_address.has_value()) {
    return absl::InternalError(
        absl::StrCat(artifact.name, ": receipt has no contract address"));
  }
  log::Info("contract deployed",
            {{"contract", artifact.name},
             {"address", receipt->contract_address->ToChecksumHex()},
             {"block", receipt->block_number}});
  return DeployedContract{artifact.name, *receipt->contract_address,
                          receipt->block_number, artifact.abi_json};
}

// Invoke calls `function` of a deployed contract in a transaction.
absl::Status Invoke(evm::TransactionSender& sender,
                    const ContractArtifact& artifact, const evm::Address& at,
                    absl::string_view function,
                    const std::vector<evm::AbiValue>& arguments) {
  const evm::AbiFunction* found = artifact.abi.FindFunction(function);
  if (found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(artifact.name, " has no function ", function));
  }
  absl::StatusOr<evm::Bytes> call = found->EncodeCall(arguments);
  if (!call.ok()) return call.status();
  return sender.SendAndWait({.to = at, .data = *std::move(call)}).status();
}

std::string Quoted(absl::string_view text) {
  std::string out;
  log::AppendJsonString(&out, text);
  return out;
}

}  // namespace

absl::StatusOr<ContractArtifact> LoadArtifact(const std::string& directory,
                                              const std::string& name) {
  const std::string stem = absl::StrCat(directory, "/", name, "_sol_", name);
  absl::StatusOr<std::string> abi_json = ReadFile(stem + ".abi");
  if (!abi_json.ok()) return abi_json.status();
  absl::StatusOr<std::string> bin = ReadFile(stem + ".bin");
  if (!bin.ok()) return bin.status();
  absl::StatusOr<evm::ContractAbi> abi = evm::ContractAbi::FromJson(*abi_json);
  if (!abi.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(stem, ".abi: ", abi.status().message()));
  }
  absl::StatusOr<evm::Bytes> bytecode = evm::FromHex(
      absl::StripAsciiWhitespace(*bin), absl::StrCat(name, " bytecode"));
  if (!bytecode.ok()) return bytecode.status();
  if (bytecode->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(stem, ".bin is empty (an interface?)"));
  }
  return ContractArtifact{name, *std::move(abi_json), *std::move(abi),
                          *std::move(bytecode)};
}

const DeployedContract* Deployment::Find(absl::string_view name) const {
  for (const DeployedContract& contract : contracts) {
    if (contract.name == name) return &contract;
  }
  return nullptr;
}

std::string Deployment::ToJson() const {
  std::string json = absl::StrCat(
      "{\n  \"chain_id\": ", chain_id,
      ",\n  \"roles\": {\"owner\": ", Quoted(owner.ToChecksumHex()),
      ", \"committee\": ", Quoted(committee.ToChecksumHex()),
      publisher.has_value() ? absl::StrCat(", \"publisher\": ",
                                           Quoted(publisher->ToChecksumHex()))
                            : "",
      "},\n  \"yield_minimum_sats\": ", yield_minimum_sats,
      ",\n  \"contracts\": [");
  for (size_t i = 0; i < contracts.size(); ++i) {
    const DeployedContract& contract = contracts[i];
    absl::StrAppend(
        &json, i == 0 ? "\n" : ",\n", "    {\"name\": ", Quoted(contract.name),
        ", \"address\": ", Quoted(contract.address.ToChecksumHex()),
        ", \"start_block\": ", contract.start_block,
        ",\n     \"abi\": ", absl::StripAsciiWhitespace(contract.abi_json),
        "}");
  }
  absl::StrAppend(&json, "\n  ]\n}\n");
  return json;
}

absl::StatusOr<Deployment> Deployment::FromFile(
    const std::string& path, const std::vector<std::string>& required) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "required: the file chainsync-deploy wrote");
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<Deployment> deployment = FromJson(text.str());
  if (!deployment.ok()) return deployment.status();
  for (const std::string& name : required) {
    if (deployment->Find(name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("names no ", name, " contract"));
    }
  }
  return deployment;
}

absl::StatusOr<Deployment> Deployment::FromJson(absl::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (parser.parse(json.data(), json.size()).get(document) !=
      simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "deployment configuration is not valid JSON");
  }
  const auto address_at =
      [](simdjson::dom::element object, const char* key,
         absl::string_view field) -> absl::StatusOr<evm::Address> {
    std::string_view text;
    if (object[key].get(text) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("deployment configuration: missing ", field));
    }
    return evm::Address::Parse(absl::string_view(text.data(), text.size()),
                               field);
  };
  Deployment deployment;
  if (document["chain_id"].get(deployment.chain_id) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "deployment configuration: missing chain_id");
  }
  simdjson::dom::element roles;
  if (document["roles"].get(roles) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "deployment configuration: missing roles");
  }
  absl::StatusOr<evm::Address> owner =
      address_at(roles, "owner", "roles.owner");
  if (!owner.ok()) return owner.status();
  deployment.owner = *owner;
  absl::StatusOr<evm::Address> committee =
      address_at(roles, "committee", "roles.committee");
  if (!committee.ok()) return committee.status();
  deployment.committee = *committee;
  if (roles["publisher"].error() == simdjson::SUCCESS) {
    absl::StatusOr<evm::Address> publisher =
        address_at(roles, "publisher", "roles.publisher");
    if (!publisher.ok()) return publisher.status();
    deployment.publisher = *publisher;
  }
  if (document["yield_minimum_sats"].get(deployment.yield_minimum_sats) !=
      simdjson::SUCCESS) {
    deployment.yield_minimum_sats = 0;
  }
  simdjson::dom::array contracts;
  if (document["contracts"].get(contracts) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "deployment configuration: missing contracts");
  }
  size_t index = 0;
  for (simdjson::dom::element item : contracts) {
    const std::string where = absl::StrCat("contracts[", index++, "]");
    DeployedContract contract;
    std::string_view name;
    if (item["name"].get(name) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("deployment configuration: ", where, " has no name"));
    }
    contract.name = std::string(name);
    absl::StatusOr<evm::Address> address =
        address_at(item, "address", where + ".address");
    if (!address.ok()) return address.status();
    contract.address = *address;
    if (item["start_block"].get(contract.start_block) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat(
          "deployment configuration: ", where, " has no start_block"));
    }
    simdjson::dom::element abi;
    if (item["abi"].get(abi) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("deployment configuration: ", where, " has no abi"));
    }
    contract.abi_json = simdjson::minify(abi);
    deployment.contracts.push_back(std::move(contract));
  }
  return deployment;
}

absl::StatusOr<Deployment> DeployReferenceProtocol(
    evm::JsonRpcClient& client, evm::Signer& deployer,
    const DeployOptions& options) {
  absl::StatusOr<uint64_t> chain_id = client.ChainId();
  if (!chain_id.ok()) return chain_id.status();
  std::map<std::string, ContractArtifact> artifacts;
  for (const char* name :
       {"RBTCSynth", "WrappedRBTC", "FeeVault", "OracleAggregator",
        "YieldScalesPool", "ReserveProofs"}) {
    absl::StatusOr<ContractArtifact> artifact =
        LoadArtifact(options.artifacts_dir, name);
    if (!artifact.ok()) return artifact.status();
    artifacts.emplace(name, *std::move(artifact));
  }
  evm::TransactionSender sender(client, deployer, *chain_id);
  Deployment deployment{.chain_id = *chain_id,
                        .owner = deployer.address(),
                        .committee = options.committee,
                        .publisher = options.publisher,
                        .yield_minimum_sats = options.yield_minimum_sats};
  const auto deploy =
      [&](const char* name,
          const std::vector<evm::AbiValue>& arguments) -> absl::Status {
    absl::StatusOr<DeployedContract> contract =
        Deploy(sender, artifacts.at(name), arguments);
    if (!contract.ok()) return contract.status();
    deployment.contracts.push_back(*std::move(contract));
    return absl::OkStatus();
  };
  const auto address_of = [&](const char* name) {
    return deployment.Find(name)->address;
  };
  if (absl::Status s = deploy("RBTCSynth", {}); !s.ok()) return s;
  if (absl::Status s = deploy("WrappedRBTC", {address_of("RBTCSynth")});
      !s.ok())
    return s;
  if (absl::Status s = deploy("FeeVault", {}); !s.ok()) return s;
  if (absl::Status s = deploy(
          "OracleAggregator",
          {address_of("RBTCSynth"), address_of("FeeVault"), options.committee});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = deploy(
          "YieldScalesPool",
          {address_of("RBTCSynth"), evm::Uint256(options.yield_minimum_sats)});
      !s.ok()) {
    return s;
  }
  if (options.publisher.has_value()) {
    if (absl::Status s = deploy("ReserveProofs", {*options.publisher});
        !s.ok()) {
      return s;
    }
  }
  // Roles: only the oracle contract mints and burns rBTC and charges fees;
  // only wrBTC moves rBTC.
  const evm::Address oracle = address_of("OracleAggregator");
  for (const auto& [contract, function, argument] :
       {std::tuple{"RBTCSynth", "setOracle", oracle},
        std::tuple{"RBTCSynth", "setWrapper", address_of("WrappedRBTC")},
        std::tuple{"FeeVault", "setOracle", oracle}}) {
    if (absl::Status s = Invoke(sender, artifacts.at(contract),
                                address_of(contract), function, {argument});
        !s.ok()) {
      return s;
    }
  }
  return deployment;
}

}  // namespace chainsync::contracts
