#pragma once

// A contract's interface as solc describes it: events, functions and the
// constructor, loaded from ABI JSON or written as human-readable signatures
// ("Transfer(address indexed from, address indexed to, uint256 value)").

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "libs/evm/abi.h"

namespace chainsync::evm {

struct AbiParameter {
  std::string name;
  AbiType type = AbiType::Tuple({});
  bool indexed = false;
};

// AbiEvent is an event declaration.
class AbiEvent {
 public:
  AbiEvent(std::string name, std::vector<AbiParameter> inputs, bool anonymous);

  // Parse reads "Name(type [indexed] [name], ...)".
  static absl::StatusOr<AbiEvent> Parse(absl::string_view signature);

  const std::string& name() const { return name_; }
  const std::vector<AbiParameter>& inputs() const { return inputs_; }
  bool anonymous() const { return anonymous_; }
  // Signature is the canonical form hashed into topic0,
  // "Transfer(address,address,uint256)".
  const std::string& signature() const { return signature_; }
  const Hash& topic0() const { return topic0_; }

  // Decode returns the arguments in declaration order: indexed ones from the
  // topics after topic0, the others from `data`. An indexed string, bytes,
  // array or tuple is stored on chain only as the Keccak-256 of its encoding,
  // so it decodes to those 32 bytes. A wrong topic count (a log that does
  // not match this declaration) or malformed data is INVALID_ARGUMENT naming
  // the event and the problem.
  absl::StatusOr<std::vector<AbiValue>> Decode(absl::Span<const Hash> topics,
                                               ByteSpan data) const;

  // AppendArgumentsJson renders decoded arguments as a JSON object keyed by
  // parameter name ("arg<i>" for unnamed ones).
  void AppendArgumentsJson(std::string* out,
                           const std::vector<AbiValue>& values) const;

 private:
  std::string name_;
  std::vector<AbiParameter> inputs_;
  bool anonymous_;
  std::string signature_;
  Hash topic0_;
  std::vector<AbiType> data_types_;
  std::vector<std::string> data_names_;
};

// AbiFunction is a function declaration.
class AbiFunction {
 public:
  AbiFunction(std::string name, std::vector<AbiParameter> inputs,
              std::vector<AbiParameter> outputs);

  // Parse reads "name(type [name], ...)" with an optional
  // " returns (type, ...)".
  static absl::StatusOr<AbiFunction> Parse(absl::string_view signature);

  const std::string& name() const { return name_; }
  const std::vector<AbiParameter>& inputs() const { return inputs_; }
  const std::vector<AbiParameter>& outputs() const { return outputs_; }
  const std::string& signature() const { return signature_; }
  const std::array<uint8_t, 4>& selector() const { return selector_; }

  // EncodeCall returns the selector followed by the encoded arguments, for
  // eth_call and transactions.
  absl::StatusOr<Bytes> EncodeCall(
      const std::vector<AbiValue>& arguments) const;
  // DecodeOutput decodes return data.
  absl::StatusOr<std::vector<AbiValue>> DecodeOutput(ByteSpan data) const;

 private:
  std::string name_;
  std::vector<AbiParameter> inputs_;
  std::vector<AbiParameter> outputs_;
  std::string signature_;
  std::array<uint8_t, 4> selector_;
};

// ContractAbi is the interface of one contract.
class ContractAbi {
 public:
  // FromJson reads an ABI as solc writes it (a JSON array) or an artifact
  // holding one under "abi". Unknown entry kinds (errors, fallback, receive)
  // are kept out; malformed entries are INVALID_ARGUMENT naming the entry.
  static absl::StatusOr<ContractAbi> FromJson(absl::string_view json);

  const std::vector<AbiEvent>& events() const { return events_; }
  const std::vector<AbiFunction>& functions() const { return functions_; }
  const std::vector<AbiParameter>& constructor_inputs() const {
    return constructor_inputs_;
  }

  // FindEvent returns the non-anonymous event with this topic0, or null.
  const AbiEvent* FindEvent(const Hash& topic0) const;
  // FindFunction returns the first function of this name, or null.
  const AbiFunction* FindFunction(absl::string_view name) const;

 private:
  std::vector<AbiEvent> events_;
  std::vector<AbiFunction> functions_;
  std::vector<AbiParameter> constructor_inputs_;
  absl::flat_hash_map<Hash, size_t> events_by_topic_;
};

}  // namespace chainsync::evm
