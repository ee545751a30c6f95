#pragma once

// The text encodings of Bitcoin addresses: Base58Check (legacy) and Bech32 /
// Bech32m (BIP-173, BIP-350, segwit).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace chainsync::bitcoin {

using Bytes = std::vector<uint8_t>;

// Base58CheckEncode appends the 4-byte double-SHA-256 checksum and encodes.
std::string Base58CheckEncode(absl::Span<const uint8_t> payload);

// Base58CheckDecode decodes and verifies the checksum; a character outside
// the alphabet or a wrong checksum is INVALID_ARGUMENT saying which.
absl::StatusOr<Bytes> Base58CheckDecode(absl::string_view text);

enum class Bech32Variant { kBech32, kBech32m };

// SegwitProgram is a decoded segwit address.
struct SegwitProgram {
  std::string hrp;
  int version = 0;
  Bytes program;
  Bech32Variant variant = Bech32Variant::kBech32;
};

// EncodeSegwit encodes a witness program with the variant its version takes
// (Bech32 for version 0, Bech32m after).
std::string EncodeSegwit(absl::string_view hrp, int version,
                         absl::Span<const uint8_t> program);

// DecodeSegwit decodes a segwit address and checks BIP-173/BIP-350: the
// checksum of the right variant for the version, one case, at most 90
// characters, a version of 0..16, a program of 2..40 bytes (20 or 32 for
// version 0), canonical padding. Errors say which rule failed.
absl::StatusOr<SegwitProgram> DecodeSegwit(absl::string_view text);

}  // namespace chainsync::bitcoin
