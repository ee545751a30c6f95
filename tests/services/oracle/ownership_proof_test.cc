// Ownership proofs: the message's one form, its freshness, the network, and
// both signature kinds.
#include "services/oracle/ownership_proof.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "libs/crypto/secp256k1.h"

namespace chainsync::oracle {
namespace {

using bitcoin::Network;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const evm::Address kAccount =
    *evm::Address::Parse("0x52908400098527886E0F7030069857D2E4169EE7");

crypto::PrivateKey Key(uint8_t seed) {
  crypto::PrivateKey key{};
  key[31] = seed;
  key[0] = 1;
  return key;
}

std::array<uint8_t, 33> CompressedKey(const crypto::PrivateKey& key) {
  return crypto::CompressPublicKey(*crypto::DerivePublicKey(key));
}

// Claim signs the proof message for `address` with `key`.
ProofClaim Claim(const crypto::PrivateKey& key, const std::string& address,
                 bitcoin::AddressType type, bool bip322,
                 absl::Time issued = kNow) {
  const std::string message = ProofMessage(address, kAccount, issued);
  return {.account = kAccount.ToLowerHex(),
          .bitcoin_address = address,
          .message = message,
          .signature = bip322
                           ? *bitcoin::SignBip322Simple(key, message)
                           : *bitcoin::SignLegacyMessage(key, type, message)};
}

TEST_CASE("the proof message has one form, a wallet can write it", "[oracle]") {
  CHECK(ProofMessage("bc1qexample", kAccount, kNow) ==
        "chainsync: prove Bitcoin address ownership\n"
        "Bitcoin address: bc1qexample\n"
        "Account: 0x52908400098527886E0F7030069857D2E4169EE7\n"
        "Issued at: 2027-01-15T08:00:00Z");
}

TEST_CASE("legacy and BIP-322 proofs are accepted on each network",
          "[oracle]") {
  const crypto::PrivateKey key = Key(7);
  const auto public_key = CompressedKey(key);
  for (const Network network :
       {Network::kMainnet, Network::kTestnet, Network::kRegtest}) {
    const ProofRules rules{.network = network};
    const std::string p2pkh = bitcoin::P2pkhAddress(public_key, network);
    const std::string p2sh = bitcoin::P2shP2wpkhAddress(public_key, network);
    const std::string p2wpkh = bitcoin::P2wpkhAddress(public_key, network);
    for (const auto& [address, type] :
         {std::pair{p2pkh, bitcoin::AddressType::kP2pkh},
          std::pair{p2sh, bitcoin::AddressType::kP2sh},
          std::pair{p2wpkh, bitcoin::AddressType::kP2wpkh}}) {
      INFO(address);
      const auto proof = VerifyProof(Claim(key, address, type, false), rules,
                                     kNow + absl::Minutes(1));
      REQUIRE(proof.ok());
      CHECK(proof->kind == bitcoin::ProofKind::kLegacy);
      CHECK(proof->account == kAccount);
      CHECK(proof->address.text == address);
    }
    ProofClaim bip322 = Claim(key, p2wpkh, bitcoin::AddressType::kP2wpkh, true);
    bip322.kind = bitcoin::ProofKind::kBip322Simple;
    const auto proof = VerifyProof(bip322, rules, kNow);
    REQUIRE(proof.ok());
    CHECK(proof->kind == bitcoin::ProofKind::kBip322Simple);
  }
}

TEST_CASE("a proof is refused with the reason", "[oracle]") {
  const crypto::PrivateKey key = Key(9);
  const auto public_key = CompressedKey(key);
  const std::string address =
      bitcoin::P2wpkhAddress(public_key, Network::kMainnet);
  const ProofRules rules{.network = Network::kMainnet};
  const ProofClaim good =
      Claim(key, address, bitcoin::AddressType::kP2wpkh, false);
  const auto refused = [&](const ProofClaim& claim, absl::Time now = kNow) {
    const auto proof = VerifyProof(claim, rules, now);
    REQUIRE_FALSE(proof.ok());
    CHECK(absl::IsInvalidArgument(proof.status()));
    return std::string(proof.status().message());
  };

  SECTION("another network's address") {
    const std::string testnet =
        bitcoin::P2wpkhAddress(public_key, Network::kTestnet);
    CHECK(absl::StrContains(
        refused(Claim(key, testnet, bitcoin::AddressType::kP2wpkh, false)),
        "is a testnet address, not mainnet"));
  }
  SECTION("another account than the message names") {
    ProofClaim claim = good;
    claim.account = "0x0000000000000000000000000000000000000001";
    CHECK(absl::StrContains(refused(claim), "names account"));
  }
  SECTION("another address than the message names") {
    ProofClaim claim = good;
    claim.bitcoin_address =
        bitcoin::P2pkhAddress(public_key, Network::kMainnet);
    CHECK(absl::StrContains(refused(claim), "names Bitcoin address"));
  }
  SECTION("a message out of form") {
    ProofClaim claim = good;
    claim.message = "I own " + address;
    CHECK(absl::StrContains(refused(claim), "four lines"));
    claim.message = good.message + "\n";
    CHECK(absl::StrContains(refused(claim), "four lines"));
  }
  SECTION("too old, or from the future") {
    CHECK(absl::StrContains(refused(good, kNow + absl::Minutes(11)),
                            "sign a new one"));
    CHECK(absl::StrContains(refused(good, kNow - absl::Minutes(6)),
                            "in the future"));
  }
  SECTION("a signature by another key, or over another message") {
    ProofClaim claim =
        Claim(Key(10), address, bitcoin::AddressType::kP2wpkh, false);
    claim.message = good.message;
    refused(claim);
    claim = good;
    claim.message =
        absl::StrReplaceAll(good.message, {{"08:00:00Z", "08:00:01Z"}});
    refused(claim);
  }
  SECTION("the kind named is not the kind signed") {
    ProofClaim claim = good;
    claim.kind = bitcoin::ProofKind::kBip322Simple;
    CHECK(absl::StrContains(refused(claim), "proof_kind"));
  }
  SECTION("missing parts") {
    ProofClaim claim = good;
    claim.signature = "";
    CHECK(absl::StrContains(refused(claim), "signature"));
    claim = good;
    claim.account = "";
    CHECK(absl::StrContains(refused(claim), "address is required"));
  }
}

}  // namespace
}  // namespace chainsync::oracle
