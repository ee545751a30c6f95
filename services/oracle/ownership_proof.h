#pragma once

// The proof that an account's owner controls a Bitcoin address: a message
// in one fixed form, naming the address, the account and when it was
// issued, signed with the address's key (legacy signed message or BIP-322
// simple). Pure: the time is the caller's.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/signed_message.h"
#include "libs/evm/address.h"

namespace chainsync::oracle {

// ProofMessage is the message a wallet signs to link `bitcoin_address` to
// `account` at `issued` (see RegisterBitcoinAddressRequest.message).
std::string ProofMessage(absl::string_view bitcoin_address,
                         const evm::Address& account, absl::Time issued);

struct ProofRules {
  bitcoin::Network network = bitcoin::Network::kMainnet;
  // How long after it was issued a message is accepted, and how far ahead
  // of the oracle's clock a wallet's clock may be.
  absl::Duration max_age = absl::Minutes(10);
  absl::Duration max_skew = absl::Minutes(5);
};

struct ProofClaim {
  std::string account;
  std::string bitcoin_address;
  std::string message;
  std::string signature;
  // The kind the caller says it signed with; absent, detected.
  std::optional<bitcoin::ProofKind> kind;
};

struct VerifiedProof {
  evm::Address account;
  bitcoin::Address address;
  bitcoin::ProofKind kind = bitcoin::ProofKind::kLegacy;
  absl::Time issued;
};

// VerifyProof checks a claim at `now`: the account and the address (of
// the rules' network), the message's exact form and its naming them, its
// age, and the signature. INVALID_ARGUMENT names the first thing wrong.
// Whether the message was used before is the store's to check.
absl::StatusOr<VerifiedProof> VerifyProof(const ProofClaim& claim,
                                          const ProofRules& rules,
                                          absl::Time now);

}  // namespace chainsync::oracle
