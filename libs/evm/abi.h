#pragma once

// The Solidity ABI: types, values, and the head/tail encoding of calls,
// return data and event data. Decoding checks every offset and length
// against the input and rejects values with dirty high bits, as solc's own
// decoder does; it never reads past the buffer.

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "libs/evm/address.h"
#include "libs/evm/uint256.h"

namespace chainsync::evm {

namespace internal {
class AbiTypeParser;
}  // namespace internal

// AbiType is a parsed ABI type.
class AbiType {
 public:
  enum class Kind {
    kUint,  // uint<bits>
    kInt,   // int<bits>
    kAddress,
    kBool,
    kFixedBytes,  // bytes<size>
    kBytes,
    kString,
    kArray,       // element[]
    kFixedArray,  // element[size]
    kTuple,       // (components...)
  };

  // Parse reads a canonical type: "uint256", "bytes32", "address[]",
  // "(uint256,address)[2]", "tuple(uint256,bool)". Aliases "uint" and "int"
  // mean 256 bits.
  static absl::StatusOr<AbiType> Parse(absl::string_view text);

  // Factories for composite types.
  static AbiType Tuple(std::vector<AbiType> components,
                       std::vector<std::string> names = {});
  static AbiType Array(AbiType element);
  static AbiType FixedArray(AbiType element, int size);

  Kind kind() const { return kind_; }
  int bits() const { return size_; }  // kUint, kInt
  int size() const { return size_; }  // kFixedBytes, kFixedArray
  const AbiType& element() const { return components_.front(); }  // arrays
  const std::vector<AbiType>& components() const { return components_; }
  // Component names of a tuple, from an ABI JSON file; may be empty.
  const std::vector<std::string>& names() const { return names_; }

  // IsDynamic tells whether the value sits in the tail behind an offset.
  bool IsDynamic() const;
  // HeadSize is the bytes the type takes in the head of its enclosing tuple.
  size_t HeadSize() const;
  // Canonical is the form used in signatures: "(uint256,address)[]".
  std::string Canonical() const;

 private:
  friend class internal::AbiTypeParser;
  AbiType(Kind kind, int size) : kind_(kind), size_(size) {}

  Kind kind_ = Kind::kUint;
  int size_ = 256;
  std::vector<AbiType> components_;
  std::vector<std::string> names_;
};

// AbiValue is a value of an AbiType. Integers of every width are Uint256
// (uint) or Int256 (int); bytes<N> and bytes are Bytes; arrays and tuples
// are lists of values.
struct AbiValue {
  using List = std::vector<AbiValue>;
  std::variant<Uint256, Int256, Address, bool, Bytes, std::string, List> value;

  AbiValue() = default;
  template <typename T>
  AbiValue(T v) : value(std::move(v)) {}  // NOLINT: values convert freely
};

// DecodeParameters decodes the ABI encoding of a tuple of `types` (a call's
// arguments, return data, or a log's non-indexed data). INVALID_ARGUMENT
// names the parameter and what is wrong: data too short, an offset or length
// beyond the data, a value too wide for its type.
// `names`, when given, name the parameters in error messages.
absl::StatusOr<std::vector<AbiValue>> DecodeParameters(
    const std::vector<AbiType>& types, ByteSpan data,
    const std::vector<std::string>& names = {});

// EncodeParameters encodes values as a tuple of `types`. A value of the wrong
// shape or out of range for its type is INVALID_ARGUMENT.
absl::StatusOr<Bytes> EncodeParameters(const std::vector<AbiType>& types,
                                       const std::vector<AbiValue>& values);

// ParseAbiValue reads a scalar value from text: decimal or 0x-hex integers,
// addresses, true/false, 0x-hex bytes, strings as they are.
absl::StatusOr<AbiValue> ParseAbiValue(const AbiType& type,
                                       absl::string_view text);

// AppendAbiValueJson renders a value as JSON for storage and APIs: integers
// as decimal strings (uint256 does not fit a JSON number), addresses EIP-55
// checksummed, bytes as 0x-hex, arrays as lists, and tuples as objects keyed
// by component name (or as lists when unnamed).
void AppendAbiValueJson(std::string* out, const AbiType& type,
                        const AbiValue& value);

}  // namespace chainsync::evm
