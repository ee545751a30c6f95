#pragma once

#include "libs/evm/bytes.h"

namespace chainsync::evm {

// Keccak256 is Ethereum's hash: Keccak-256 with the original padding (0x01),
// not the NIST SHA3-256 padding (0x06) that OpenSSL 3.0 offers.
Hash Keccak256(ByteSpan data);
inline Hash Keccak256(absl::string_view data) {
  return Keccak256(AsBytes(data));
}

}  // namespace chainsync::evm
