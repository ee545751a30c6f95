#include "libs/bitcoin/signed_message.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/bitcoin/transaction.h"
#include "libs/crypto/hashes.h"

namespace chainsync::bitcoin {
namespace {

constexpr uint8_t kSighashAll = 0x01;

void Append(Bytes* out, absl::Span<const uint8_t> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

// The BIP-143 signature hash of the BIP-322 "to_sign" transaction, which
// spends the "to_spend" transaction committing to the message, for a P2WPKH
// key hash.
crypto::Digest32 Bip322Sighash(absl::string_view message,
                               const Address& address,
                               absl::Span<const uint8_t> key_hash,
                               uint8_t sighash_type) {
  const crypto::Digest32 message_hash = Bip322MessageHash(message);
  const Bytes script_pubkey = address.ScriptPubKey();
  Bytes to_spend = {0, 0, 0, 0, 1};             // version 0, one input
  to_spend.resize(to_spend.size() + 32, 0);     // prevout hash
  Append(&to_spend, {0xff, 0xff, 0xff, 0xff});  // prevout index
  Append(&to_spend, {34, 0x00, 0x20});          // scriptSig: OP_0 PUSH32
  Append(&to_spend, message_hash);
  Append(&to_spend, {0, 0, 0, 0, 1});       // sequence 0, one output
  to_spend.resize(to_spend.size() + 8, 0);  // value 0
  AppendVarint(&to_spend, script_pubkey.size());
  Append(&to_spend, script_pubkey);
  Append(&to_spend, {0, 0, 0, 0});  // locktime
  const crypto::Digest32 txid = crypto::Sha256d(to_spend);

  Bytes outpoint(txid.begin(), txid.end());
  Append(&outpoint, {0, 0, 0, 0});
  const Bytes sequence = {0, 0, 0, 0};
  const Bytes output = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0x6a};  // value 0, OP_RETURN
  const bool anyone_can_pay = (sighash_type & 0x80) != 0;
  const uint8_t base_type = sighash_type & 0x1f;
  const crypto::Digest32 zero{};

  Bytes preimage = {0, 0, 0, 0};  // version 0
  Append(&preimage, anyone_can_pay ? zero : crypto::Sha256d(outpoint));
  Append(&preimage, anyone_can_pay || base_type != kSighashAll
                        ? zero
                        : crypto::Sha256d(sequence));
  Append(&preimage, outpoint);
  Append(&preimage,
         {0x19, 0x76, 0xa9, 0x14});  // scriptCode: P2PKH of the key hash
  Append(&preimage, key_hash);
  Append(&preimage, {0x88, 0xac});
  preimage.resize(preimage.size() + 8, 0);  // amount 0
  Append(&preimage, sequence);
  // SIGHASH_NONE commits to no output; ALL and SINGLE (input 0 has output 0)
  // to the only one.
  Append(&preimage, base_type == 0x02 ? zero : crypto::Sha256d(output));
  Append(&preimage, {0, 0, 0, 0});  // locktime
  Append(&preimage, {sighash_type, 0, 0, 0});
  return crypto::Sha256d(preimage);
}

absl::Status MismatchError(const Address& address) {
  return Invalid(
      absl::StrCat("signature does not prove ownership of ", address.text));
}

absl::StatusOr<ProofKind> VerifyLegacy(const Address& address,
                                       absl::string_view message,
                                       const Bytes& signature) {
  const uint8_t header = signature[0];
  if (header < 27 || header > 42) {
    return Invalid(absl::StrCat("legacy signature header byte ", header,
                                " is not 27..42"));
  }
  crypto::RecoverableSignature recoverable;
  recoverable.recovery_id = (header - 27) & 3;
  std::copy(signature.begin() + 1, signature.begin() + 33,
            recoverable.r.begin());
  std::copy(signature.begin() + 33, signature.end(), recoverable.s.begin());
  absl::StatusOr<crypto::PublicKey> key =
      crypto::RecoverPublicKey(recoverable, LegacyMessageHash(message));
  if (!key.ok())
    return Invalid(absl::StrCat("legacy signature: ", key.status().message()));
  const std::array<uint8_t, 33> compressed = crypto::CompressPublicKey(*key);
  // Headers 31 and up promise a compressed key; wallets disagree on which
  // range segwit addresses use, so the address type decides the check.
  const bool header_compressed = header >= 31;
  bool matches = false;
  switch (address.type) {
    case AddressType::kP2pkh: {
      Bytes serialized;
      if (header_compressed) {
        serialized.assign(compressed.begin(), compressed.end());
      } else {
        serialized = {0x04};
        Append(&serialized, *key);
      }
      const crypto::Digest20 hash = crypto::Hash160(serialized);
      matches = std::equal(hash.begin(), hash.end(), address.payload.begin());
      break;
    }
    case AddressType::kP2sh: {
      const crypto::Digest20 key_hash = crypto::Hash160(compressed);
      Bytes script = {0x00, 0x14};
      Append(&script, key_hash);
      const crypto::Digest20 hash = crypto::Hash160(script);
      matches = header_compressed &&
                std::equal(hash.begin(), hash.end(), address.payload.begin());
      break;
    }
    case AddressType::kP2wpkh: {
      const crypto::Digest20 hash = crypto::Hash160(compressed);
      matches = header_compressed &&
                std::equal(hash.begin(), hash.end(), address.payload.begin());
      break;
    }
    default:
      return Invalid(absl::StrCat("a legacy signed message cannot prove a ",
                                  AddressTypeName(address.type),
                                  " address; use BIP-322"));
  }
  if (!matches) return MismatchError(address);
  return ProofKind::kLegacy;
}

absl::StatusOr<ProofKind> VerifyBip322(const Address& address,
                                       absl::string_view message,
                                       const Bytes& witness) {
  if (address.type != AddressType::kP2wpkh) {
    return Invalid(absl::StrCat(
        "BIP-322 signatures are verified for p2wpkh addresses, not ",
        AddressTypeName(address.type)));
  }
  // The witness stack: a count, then length-prefixed items.
  std::vector<Bytes> items;
  size_t at = 0;
  const auto read_varint = [&](uint64_t* value) -> bool {
    if (at >= witness.size()) return false;
    const uint8_t first = witness[at++];
    int bytes = first < 0xfd ? 0 : first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
    if (bytes == 0) {
      *value = first;
      return true;
    }
    if (witness.size() - at < static_cast<size_t>(bytes)) return false;
    *value = 0;
    for (int i = 0; i < bytes; ++i)
      *value |= static_cast<uint64_t>(witness[at++]) << (8 * i);
    return true;
  };
  uint64_t count = 0;
  if (!read_varint(&count) || count != 2) {
    return Invalid(
        "BIP-322 simple signature must be a witness of 2 items (signature, "
        "key)");
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length = 0;
    if (!read_varint(&length) || length > witness.size() - at) {
      return Invalid("BIP-322 witness item runs past the signature");
    }
    items.emplace_back(witness.begin() + at, witness.begin() + at + length);
    at += length;
  }
  if (at != witness.size())
    return Invalid("BIP-322 witness has trailing bytes");
  const Bytes& signature = items[0];
  const Bytes& public_key = items[1];
  if (public_key.size() != 33)
    return Invalid("BIP-322 witness key is not a compressed key");
  const crypto::Digest20 key_hash = crypto::Hash160(public_key);
  if (!std::equal(key_hash.begin(), key_hash.end(), address.payload.begin())) {
    return MismatchError(address);
  }
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKey(public_key);
  if (!key.ok())
    return Invalid(
        absl::StrCat("BIP-322 witness key: ", key.status().message()));
  if (signature.size() < 9)
    return Invalid("BIP-322 witness signature is too short");
  const uint8_t sighash_type = signature.back();
  const uint8_t base_type = sighash_type & 0x1f;
  if (base_type < 1 || base_type > 3 || (sighash_type & ~0x9f) != 0) {
    return Invalid(absl::StrCat(
        "BIP-322 signature has an invalid sighash type ", sighash_type));
  }
  const crypto::Digest32 digest =
      Bip322Sighash(message, address, key_hash, sighash_type);
  if (!crypto::VerifyDerSignature(
          absl::Span<const uint8_t>(signature).first(signature.size() - 1),
          digest, *key)) {
    return MismatchError(address);
  }
  return ProofKind::kBip322Simple;
}

}  // namespace

crypto::Digest32 LegacyMessageHash(absl::string_view message) {
  constexpr absl::string_view kMagic = "Bitcoin Signed Message:\n";
  Bytes data;
  AppendVarint(&data, kMagic.size());
  Append(&data, crypto::BytesOf(kMagic));
  AppendVarint(&data, message.size());
  Append(&data, crypto::BytesOf(message));
  return crypto::Sha256d(data);
}

crypto::Digest32 Bip322MessageHash(absl::string_view message) {
  return crypto::TaggedHash("BIP0322-signed-message", crypto::BytesOf(message));
}

absl::StatusOr<ProofKind> VerifyMessage(const Address& address,
                                        absl::string_view message,
                                        absl::string_view signature) {
  const bool prefixed = absl::ConsumePrefix(&signature, "smp");
  std::string decoded;
  if (signature.empty() || !absl::Base64Unescape(signature, &decoded)) {
    return Invalid("signature is not base64");
  }
  const Bytes bytes(decoded.begin(), decoded.end());
  if (!prefixed && bytes.size() == 65 && bytes[0] >= 27 && bytes[0] <= 42) {
    return VerifyLegacy(address, message, bytes);
  }
  return VerifyBip322(address, message, bytes);
}

absl::StatusOr<std::string> SignLegacyMessage(const crypto::PrivateKey& key,
                                              AddressType type,
                                              absl::string_view message) {
  int base;
  switch (type) {
    case AddressType::kP2pkh:
      base = 31;  // compressed key
      break;
    case AddressType::kP2sh:
      base = 35;
      break;
    case AddressType::kP2wpkh:
      base = 39;
      break;
    default:
      return Invalid(absl::StrCat("a legacy signed message cannot prove a ",
                                  AddressTypeName(type), " address"));
  }
  absl::StatusOr<crypto::RecoverableSignature> signature =
      crypto::SignRecoverable(key, LegacyMessageHash(message));
  if (!signature.ok()) return signature.status();
  std::string raw(1, static_cast<char>(base + signature->recovery_id));
  raw.append(signature->r.begin(), signature->r.end());
  raw.append(signature->s.begin(), signature->s.end());
  return absl::Base64Escape(raw);
}

absl::StatusOr<std::string> SignBip322Simple(const crypto::PrivateKey& key,
                                             absl::string_view message) {
  absl::StatusOr<crypto::PublicKey> public_key = crypto::DerivePublicKey(key);
  if (!public_key.ok()) return public_key.status();
  const std::array<uint8_t, 33> compressed =
      crypto::CompressPublicKey(*public_key);
  absl::StatusOr<Address> address =
      Address::Parse(P2wpkhAddress(compressed, Network::kMainnet));
  if (!address.ok()) return address.status();
  const crypto::Digest32 digest =
      Bip322Sighash(message, *address, address->payload, kSighashAll);
  absl::StatusOr<std::vector<uint8_t>> der = crypto::SignDer(key, digest);
  if (!der.ok()) return der.status();
  Bytes witness = {2};
  AppendVarint(&witness, der->size() + 1);
  Append(&witness, *der);
  witness.push_back(kSighashAll);
  AppendVarint(&witness, compressed.size());
  Append(&witness, compressed);
  return absl::Base64Escape(std::string(witness.begin(), witness.end()));
}

}  // namespace chainsync::bitcoin
