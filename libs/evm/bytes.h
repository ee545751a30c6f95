#pragma once

// Byte strings and their hex form, as they appear in JSON-RPC and ABI data.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace chainsync::evm {

using Bytes = std::vector<uint8_t>;
using ByteSpan = absl::Span<const uint8_t>;

// Hash is a 32-byte Keccak-256 digest (block, transaction and log hashes,
// topics).
using Hash = std::array<uint8_t, 32>;

// ToHex returns "0x" followed by two lower-case hex digits per byte.
std::string ToHex(ByteSpan bytes);

// FromHex parses hex with or without "0x"; an odd number of digits or a
// non-hex character is INVALID_ARGUMENT naming `field` and the position.
absl::StatusOr<Bytes> FromHex(absl::string_view text, absl::string_view field);

// FixedFromHex parses exactly N bytes of hex, for hashes and keys.
template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> FixedFromHex(absl::string_view text,
                                                    absl::string_view field) {
  absl::StatusOr<Bytes> bytes = FromHex(text, field);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != N) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": expected ", N, " bytes of hex, got ", bytes->size()));
  }
  std::array<uint8_t, N> fixed;
  std::copy(bytes->begin(), bytes->end(), fixed.begin());
  return fixed;
}

// AsBytes views a string's characters as bytes.
inline ByteSpan AsBytes(absl::string_view text) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace chainsync::evm
