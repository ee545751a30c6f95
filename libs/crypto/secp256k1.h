#pragma once

// ECDSA on secp256k1 with public-key recovery, as Ethereum transactions and
// Bitcoin signed messages use it. Wraps libsecp256k1.

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace chainsync::crypto {

using Digest32 = std::array<uint8_t, 32>;
using PrivateKey = std::array<uint8_t, 32>;
// An uncompressed public key without its 0x04 prefix: x || y.
using PublicKey = std::array<uint8_t, 64>;

// RecoverableSignature is r, s (low-s, as libsecp256k1 produces) and the
// recovery id (0..3) that selects the public key.
struct RecoverableSignature {
  std::array<uint8_t, 32> r;
  std::array<uint8_t, 32> s;
  int recovery_id = 0;
};

// ValidatePrivateKey checks that the key is in [1, n-1].
absl::Status ValidatePrivateKey(const PrivateKey& key);

// DerivePublicKey returns the key's public key.
absl::StatusOr<PublicKey> DerivePublicKey(const PrivateKey& key);

// SignRecoverable signs a 32-byte digest deterministically (RFC 6979).
absl::StatusOr<RecoverableSignature> SignRecoverable(const PrivateKey& key,
                                                     const Digest32& digest);

// RecoverPublicKey returns the public key that made `signature` over
// `digest`; INVALID_ARGUMENT when the signature is malformed or recovers
// nothing.
absl::StatusOr<PublicKey> RecoverPublicKey(
    const RecoverableSignature& signature, const Digest32& digest);

// CompressPublicKey returns the 33-byte SEC1 compressed form.
std::array<uint8_t, 33> CompressPublicKey(const PublicKey& key);

// ParsePublicKey reads a 33-byte compressed or 65-byte uncompressed key.
absl::StatusOr<PublicKey> ParsePublicKey(absl::Span<const uint8_t> serialized);

// SignDer signs a digest deterministically and returns the DER encoding, as
// Bitcoin witnesses carry it.
absl::StatusOr<std::vector<uint8_t>> SignDer(const PrivateKey& key,
                                             const Digest32& digest);

// VerifySignature checks a DER-encoded ECDSA signature (as in Bitcoin
// witnesses) over `digest`. Non-low-s signatures are normalized first, as
// Bitcoin's consensus rules allow.
bool VerifyDerSignature(absl::Span<const uint8_t> der, const Digest32& digest,
                        const PublicKey& key);

}  // namespace chainsync::crypto
