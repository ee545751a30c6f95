// Fuzzes the ABI decoder. Input: a type list on the first line, for example
// "(uint256,bytes,(string,address[])[])", then the data. Whatever decodes
// must survive encode then decode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libs/evm/abi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string::npos) return 0;
  const auto type = chainsync::evm::AbiType::Parse(input.substr(0, newline));
  if (!type.ok() || type->kind() != chainsync::evm::AbiType::Kind::kTuple)
    return 0;
  const std::vector<chainsync::evm::AbiType>& types = type->components();
  const chainsync::evm::ByteSpan payload =
      chainsync::evm::AsBytes(input).subspan(newline + 1);
  const auto values = chainsync::evm::DecodeParameters(types, payload);
  if (!values.ok()) return 0;
  const auto encoded = chainsync::evm::EncodeParameters(types, *values);
  if (!encoded.ok()) std::abort();
  const auto again = chainsync::evm::DecodeParameters(types, *encoded);
  if (!again.ok()) std::abort();
  std::string first, second;
  for (size_t i = 0; i < types.size(); ++i) {
    chainsync::evm::AppendAbiValueJson(&first, types[i], (*values)[i]);
    chainsync::evm::AppendAbiValueJson(&second, types[i], (*again)[i]);
  }
  if (first != second) std::abort();
  return 0;
}
