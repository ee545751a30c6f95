#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "libs/common/config/secret.h"
#include "libs/crypto/secp256k1.h"
#include "libs/evm/address.h"

namespace chainsync::evm {

// Signer signs digests for one account. The oracle holds a Signer, not a key,
// so that a remote signer (an HSM, a KMS, a signing service) can replace the
// local key without touching the code that builds transactions.
class Signer {
 public:
  virtual ~Signer() = default;

  // address is the account whose key signs.
  virtual const Address& address() const = 0;

  // Sign signs a 32-byte digest.
  virtual absl::StatusOr<crypto::RecoverableSignature> Sign(
      const Hash& digest) = 0;
};

// LocalKeySigner signs with a private key held in memory. The key is never
// logged or shown in an error message.
class LocalKeySigner final : public Signer {
 public:
  // Create reads the key as 64 hex digits (with or without 0x).
  static absl::StatusOr<std::unique_ptr<LocalKeySigner>> Create(
      const Secret& key_hex);

  // FromSecret reads the key named `name` through ReadSecret: the file named
  // by CHAINSYNC_<NAME>_FILE, or CHAINSYNC_<NAME>.
  static absl::StatusOr<std::unique_ptr<LocalKeySigner>> FromSecret(
      absl::string_view name);

  const Address& address() const override { return address_; }
  absl::StatusOr<crypto::RecoverableSignature> Sign(
      const Hash& digest) override;

 private:
  LocalKeySigner(const crypto::PrivateKey& key, const Address& address)
      : key_(key), address_(address) {}

  crypto::PrivateKey key_;
  Address address_;
};

// AddressOf returns the Ethereum address of a public key: the last 20 bytes
// of keccak256(x || y).
Address AddressOf(const crypto::PublicKey& key);

}  // namespace chainsync::evm
