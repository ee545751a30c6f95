#include "libs/evm/signer.h"

#include "libs/evm/keccak.h"

namespace chainsync::evm {

Address AddressOf(const crypto::PublicKey& key) {
  return Address::FromWord(Keccak256(ByteSpan(key)));
}

absl::StatusOr<std::unique_ptr<LocalKeySigner>> LocalKeySigner::Create(
    const Secret& key_hex) {
  // The error names the problem but never echoes the text, which could be a
  // real key with a typo.
  absl::StatusOr<Bytes> bytes = FromHex(key_hex.value(), "private key");
  if (!bytes.ok() || bytes->size() != 32) {
    return absl::InvalidArgumentError(
        "private key: expected 32 bytes as 64 hex digits");
  }
  crypto::PrivateKey key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  absl::StatusOr<crypto::PublicKey> public_key = crypto::DerivePublicKey(key);
  if (!public_key.ok()) return public_key.status();
  return std::unique_ptr<LocalKeySigner>(
      new LocalKeySigner(key, AddressOf(*public_key)));
}

absl::StatusOr<std::unique_ptr<LocalKeySigner>> LocalKeySigner::FromSecret(
    absl::string_view name) {
  absl::StatusOr<Secret> secret = ReadSecret(name);
  if (!secret.ok()) return secret.status();
  return Create(*secret);
}

absl::StatusOr<crypto::RecoverableSignature> LocalKeySigner::Sign(
    const Hash& digest) {
  return crypto::SignRecoverable(key_, digest);
}

}  // namespace chainsync::evm
