#pragma once

// 256-bit integers, the EVM's word. Amounts travel as decimal strings in
// protos, JSON and NUMERIC(78,0) columns, and as 0x-hex quantities in
// JSON-RPC; both conversions are lossless.

#include <string>

#include "boost/multiprecision/cpp_int.hpp"
#include "libs/evm/bytes.h"

namespace chainsync::evm {

// Uint256 wraps modulo 2^256, like the EVM.
using Uint256 = boost::multiprecision::uint256_t;
// Int256 holds the values of the ABI's int<N> types.
using Int256 = boost::multiprecision::int256_t;

// ParseUint256 reads a decimal number, or a 0x-prefixed hex number. Empty
// text, other characters, or a value of 2^256 and more are INVALID_ARGUMENT
// naming `field`.
absl::StatusOr<Uint256> ParseUint256(absl::string_view text,
                                     absl::string_view field);

// ToDecimal renders the value in base 10.
std::string ToDecimal(const Uint256& value);
std::string ToDecimal(const Int256& value);

// ToQuantity renders a JSON-RPC quantity: "0x" and hex without leading
// zeros ("0x0" for zero).
std::string ToQuantity(const Uint256& value);

// ToWord returns the 32-byte big-endian encoding.
Hash ToWord(const Uint256& value);

// FromBigEndian reads up to 32 big-endian bytes.
Uint256 FromBigEndian(ByteSpan bytes);

}  // namespace chainsync::evm
