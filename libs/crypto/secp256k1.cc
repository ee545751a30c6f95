#include "libs/crypto/secp256k1.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace chainsync::crypto {
namespace {

// One context for the process: creation is costly, and a context is safe to
// share between threads for signing and verification once created.
const secp256k1_context* Context() {
  static const secp256k1_context* context = secp256k1_context_create(
      SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  return context;
}

PublicKey Serialize(const secp256k1_pubkey& key) {
  uint8_t out[65];
  size_t length = sizeof(out);
  secp256k1_ec_pubkey_serialize(Context(), out, &length, &key,
                                SECP256K1_EC_UNCOMPRESSED);
  PublicKey result;
  std::copy(out + 1, out + 65, result.begin());
  return result;
}

secp256k1_pubkey Internal(const PublicKey& key) {
  uint8_t serialized[65];
  serialized[0] = 0x04;
  std::copy(key.begin(), key.end(), serialized + 1);
  secp256k1_pubkey parsed;
  if (secp256k1_ec_pubkey_parse(Context(), &parsed, serialized,
                                sizeof(serialized)) != 1) {
    // A PublicKey only ever holds a key that parsed or was derived.
    std::abort();
  }
  return parsed;
}

}  // namespace

absl::Status ValidatePrivateKey(const PrivateKey& key) {
  if (secp256k1_ec_seckey_verify(Context(), key.data()) != 1) {
    return absl::InvalidArgumentError(
        "private key is not a valid secp256k1 key (zero or not below the "
        "group order)");
  }
  return absl::OkStatus();
}

absl::StatusOr<PublicKey> DerivePublicKey(const PrivateKey& key) {
  if (absl::Status status = ValidatePrivateKey(key); !status.ok())
    return status;
  secp256k1_pubkey public_key;
  if (secp256k1_ec_pubkey_create(Context(), &public_key, key.data()) != 1) {
    return absl::InternalError("secp256k1_ec_pubkey_create failed");
  }
  return Serialize(public_key);
}

absl::StatusOr<RecoverableSignature> SignRecoverable(const PrivateKey& key,
                                                     const Digest32& digest) {
  if (absl::Status status = ValidatePrivateKey(key); !status.ok())
    return status;
  secp256k1_ecdsa_recoverable_signature signature;
  if (secp256k1_ecdsa_sign_recoverable(Context(), &signature, digest.data(),
                                       key.data(), nullptr, nullptr) != 1) {
    return absl::InternalError("secp256k1 signing failed");
  }
  uint8_t compact[64];
  RecoverableSignature result;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(
      Context(), compact, &result.recovery_id, &signature);
  std::copy(compact, compact + 32, result.r.begin());
  std::copy(compact + 32, compact + 64, result.s.begin());
  return result;
}

absl::StatusOr<PublicKey> RecoverPublicKey(
    const RecoverableSignature& signature, const Digest32& digest) {
  if (signature.recovery_id < 0 || signature.recovery_id > 3) {
    return absl::InvalidArgumentError("signature recovery id must be 0..3");
  }
  uint8_t compact[64];
  std::copy(signature.r.begin(), signature.r.end(), compact);
  std::copy(signature.s.begin(), signature.s.end(), compact + 32);
  secp256k1_ecdsa_recoverable_signature parsed;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(
          Context(), &parsed, compact, signature.recovery_id) != 1) {
    return absl::InvalidArgumentError("signature r or s is out of range");
  }
  secp256k1_pubkey key;
  if (secp256k1_ecdsa_recover(Context(), &key, &parsed, digest.data()) != 1) {
    return absl::InvalidArgumentError("signature recovers no public key");
  }
  return Serialize(key);
}

std::array<uint8_t, 33> CompressPublicKey(const PublicKey& key) {
  const secp256k1_pubkey internal = Internal(key);
  std::array<uint8_t, 33> out;
  size_t length = out.size();
  secp256k1_ec_pubkey_serialize(Context(), out.data(), &length, &internal,
                                SECP256K1_EC_COMPRESSED);
  return out;
}

absl::StatusOr<PublicKey> ParsePublicKey(absl::Span<const uint8_t> serialized) {
  secp256k1_pubkey key;
  if ((serialized.size() != 33 && serialized.size() != 65) ||
      secp256k1_ec_pubkey_parse(Context(), &key, serialized.data(),
                                serialized.size()) != 1) {
    return absl::InvalidArgumentError(
        "public key is not a valid 33- or 65-byte secp256k1 point");
  }
  return Serialize(key);
}

absl::StatusOr<std::vector<uint8_t>> SignDer(const PrivateKey& key,
                                             const Digest32& digest) {
  if (absl::Status status = ValidatePrivateKey(key); !status.ok())
    return status;
  secp256k1_ecdsa_signature signature;
  if (secp256k1_ecdsa_sign(Context(), &signature, digest.data(), key.data(),
                           nullptr, nullptr) != 1) {
    return absl::InternalError("secp256k1 signing failed");
  }
  std::vector<uint8_t> der(72);
  size_t length = der.size();
  secp256k1_ecdsa_signature_serialize_der(Context(), der.data(), &length,
                                          &signature);
  der.resize(length);
  return der;
}

bool VerifyDerSignature(absl::Span<const uint8_t> der, const Digest32& digest,
                        const PublicKey& key) {
  secp256k1_ecdsa_signature signature;
  if (secp256k1_ecdsa_signature_parse_der(Context(), &signature, der.data(),
                                          der.size()) != 1) {
    return false;
  }
  secp256k1_ecdsa_signature_normalize(Context(), &signature, &signature);
  const secp256k1_pubkey internal = Internal(key);
  return secp256k1_ecdsa_verify(Context(), &signature, digest.data(),
                                &internal) == 1;
}

}  // namespace chainsync::crypto
