#pragma once

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace chainsync::crypto {

using Digest32 = std::array<uint8_t, 32>;
using Digest20 = std::array<uint8_t, 20>;

Digest32 Sha256(absl::Span<const uint8_t> data);
// Sha256d is SHA-256 applied twice, Bitcoin's hash for transactions and
// checksums.
Digest32 Sha256d(absl::Span<const uint8_t> data);
// Hash160 is RIPEMD-160(SHA-256(data)), Bitcoin's hash of keys and scripts.
Digest20 Hash160(absl::Span<const uint8_t> data);
// TaggedHash is BIP-340's SHA-256(SHA-256(tag) || SHA-256(tag) || data).
Digest32 TaggedHash(absl::string_view tag, absl::Span<const uint8_t> data);

inline absl::Span<const uint8_t> BytesOf(absl::string_view text) {
  return absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace chainsync::crypto
