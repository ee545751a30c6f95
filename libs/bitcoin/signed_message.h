#pragma once

// Proofs that a user controls a Bitcoin address: a message signed with the
// address's key. Two formats are in use:
//  - legacy signed messages (Bitcoin Core's signmessage, BIP-137 header
//    bytes for P2PKH, P2SH-P2WPKH and P2WPKH): a 65-byte compact
//    signature from which the public key is recovered;
//  - BIP-322 "simple" signatures: the witness of a virtual transaction that
//    spends from the address (P2WPKH here).

#include <string>

#include "libs/bitcoin/address.h"
#include "libs/crypto/secp256k1.h"

namespace chainsync::bitcoin {

enum class ProofKind { kLegacy, kBip322Simple };

// LegacyMessageHash is SHA256d("\x18Bitcoin Signed Message:\n" ||
// varint(len) || message).
crypto::Digest32 LegacyMessageHash(absl::string_view message);

// Bip322MessageHash is the BIP-340 tagged hash "BIP0322-signed-message".
crypto::Digest32 Bip322MessageHash(absl::string_view message);

// VerifyMessage checks that `signature` (base64; BIP-322 ones with or
// without the "smp" prefix) proves control of `address` over `message`, and
// returns the kind of proof. A malformed signature, an address type the
// format cannot prove, or a signature by another key is INVALID_ARGUMENT
// saying which.
absl::StatusOr<ProofKind> VerifyMessage(const Address& address,
                                        absl::string_view message,
                                        absl::string_view signature);

// SignLegacyMessage signs for a P2PKH (compressed key), P2SH-P2WPKH or P2WPKH
// address and returns base64.
absl::StatusOr<std::string> SignLegacyMessage(const crypto::PrivateKey& key,
                                              AddressType type,
                                              absl::string_view message);

// SignBip322Simple signs for the key's P2WPKH address and returns the
// base64 witness.
absl::StatusOr<std::string> SignBip322Simple(const crypto::PrivateKey& key,
                                             absl::string_view message);

}  // namespace chainsync::bitcoin
