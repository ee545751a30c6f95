#pragma once

// AccountStore keeps the oracle's accounts and the Bitcoin addresses they
// proved they own, in the oracle's schema. Profile fields are sealed with
// the ProfileCipher before they are written and opened when read.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/signed_message.h"
#include "libs/common/postgres/pool.h"
#include "libs/evm/address.h"
#include "services/oracle/ownership_proof.h"
#include "services/oracle/profile_cipher.h"

namespace chainsync::oracle {

// AddressRecord is a registered address as stored.
struct AddressRecord {
  std::string bitcoin_address;
  evm::Address account;
  bitcoin::Network network = bitcoin::Network::kMainnet;
  bitcoin::AddressType type = bitcoin::AddressType::kP2pkh;
  bitcoin::ProofKind proof_kind = bitcoin::ProofKind::kLegacy;
  absl::Time verified_at;
  bool monitored = true;
  std::string label;
  // The position of its registration, which orders an account's list.
  int64_t sequence = 0;
  // What its last read found (see bitcoin::AddressBalance); unset before the
  // first.
  int64_t confirmed_sats = 0;
  int64_t pending_sats = 0;
  std::optional<absl::Time> checked_at;
};

// Registration is a verified proof with what the caller sent beside it.
struct Registration {
  VerifiedProof proof;
  std::string message;
  std::string signature;
  std::string label;
  std::string email;
};

class AccountStore {
 public:
  // Without a cipher, a registration carrying a label or an e-mail is
  // FAILED_PRECONDITION: personal data is never stored in the clear.
  AccountStore(PgPool& pool, std::optional<ProfileCipher> cipher)
      : pool_(pool), cipher_(std::move(cipher)) {}

  // Register stores the address for the account (creating the account),
  // the proof's message as used, and the sealed profile fields, in one
  // transaction. The owner registering its address again refreshes the
  // proof and label. ALREADY_EXISTS when another account owns the address;
  // INVALID_ARGUMENT when the message was used before.
  absl::StatusOr<AddressRecord> Register(const Registration& registration);

  // Remove deletes the account's address and returns the ones left;
  // NOT_FOUND when the account does not own it.
  absl::StatusOr<std::vector<AddressRecord>> Remove(
      const evm::Address& account, absl::string_view bitcoin_address);

  // List returns up to `limit` of the account's addresses registered after
  // `after_sequence`, oldest first.
  absl::StatusOr<std::vector<AddressRecord>> List(const evm::Address& account,
                                                  int64_t after_sequence,
                                                  int limit);

  // Emails returns the e-mails of those of `accounts` that gave one.
  absl::StatusOr<absl::flat_hash_map<evm::Address, std::string>> Emails(
      const std::vector<evm::Address>& accounts);

 private:
  absl::StatusOr<std::optional<Sealed>> SealField(absl::string_view value,
                                                  absl::string_view context);
  // Open opens the sealed field in columns `column` (key id), +1 (nonce,
  // hex) and +2 (ciphertext, hex); empty when NULL.
  absl::StatusOr<std::string> Open(const PgResult& rows, int row, int column,
                                   absl::string_view context) const;
  absl::StatusOr<AddressRecord> AddressFromRow(const PgResult& rows,
                                               int row) const;

  PgPool& pool_;
  const std::optional<ProfileCipher> cipher_;
};

}  // namespace chainsync::oracle
