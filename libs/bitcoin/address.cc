#include "libs/bitcoin/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "libs/crypto/hashes.h"

namespace chainsync::bitcoin {
namespace {

constexpr uint8_t kMainnetP2pkh = 0x00;
constexpr uint8_t kMainnetP2sh = 0x05;
constexpr uint8_t kTestP2pkh = 0x6f;
constexpr uint8_t kTestP2sh = 0xc4;

absl::string_view HrpOf(Network network) {
  switch (network) {
    case Network::kMainnet:
      return "bc";
    case Network::kTestnet:
      return "tb";
    case Network::kRegtest:
      return "bcrt";
  }
  return "bc";
}

absl::Status Invalid(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bitcoin address ", QuoteValue(text), ": ", what));
}

// Script of a P2WPKH program: OP_0 PUSH20 <key hash>.
Bytes WitnessScript(int version, absl::Span<const uint8_t> program) {
  Bytes script = {static_cast<uint8_t>(version == 0 ? 0x00 : 0x50 + version),
                  static_cast<uint8_t>(program.size())};
  script.insert(script.end(), program.begin(), program.end());
  return script;
}

}  // namespace

absl::string_view NetworkName(Network network) {
  switch (network) {
    case Network::kMainnet:
      return "mainnet";
    case Network::kTestnet:
      return "testnet";
    case Network::kRegtest:
      return "regtest";
  }
  return "mainnet";
}

absl::string_view AddressTypeName(AddressType type) {
  switch (type) {
    case AddressType::kP2pkh:
      return "p2pkh";
    case AddressType::kP2sh:
      return "p2sh";
    case AddressType::kP2wpkh:
      return "p2wpkh";
    case AddressType::kP2wsh:
      return "p2wsh";
    case AddressType::kP2tr:
      return "p2tr";
  }
  return "p2pkh";
}

absl::StatusOr<Address> Address::Parse(absl::string_view text,
                                       std::optional<Network> network) {
  if (text.empty()) return Invalid(text, "empty");
  const std::string lower = absl::AsciiStrToLower(text);
  Address address;
  const bool bech32 = absl::StartsWith(lower, "bc1") ||
                      absl::StartsWith(lower, "tb1") ||
                      absl::StartsWith(lower, "bcrt1");
  if (bech32) {
    absl::StatusOr<SegwitProgram> decoded = DecodeSegwit(text);
    if (!decoded.ok()) return Invalid(text, decoded.status().message());
    if (decoded->hrp == "bc") {
      address.network = Network::kMainnet;
    } else if (decoded->hrp == "tb") {
      address.network = Network::kTestnet;
    } else if (decoded->hrp == "bcrt") {
      address.network = Network::kRegtest;
    } else {
      return Invalid(
          text, absl::StrCat("unknown network prefix \"", decoded->hrp, "\""));
    }
    if (decoded->version == 0) {
      address.type = decoded->program.size() == 20 ? AddressType::kP2wpkh
                                                   : AddressType::kP2wsh;
    } else if (decoded->version == 1 && decoded->program.size() == 32) {
      address.type = AddressType::kP2tr;
    } else {
      return Invalid(
          text, absl::StrCat("witness version ", decoded->version, " with a ",
                             decoded->program.size(),
                             "-byte program is not a supported address type"));
    }
    address.payload = std::move(decoded->program);
    address.text = lower;
  } else {
    absl::StatusOr<Bytes> payload = Base58CheckDecode(text);
    if (!payload.ok()) return Invalid(text, payload.status().message());
    if (payload->size() != 21) {
      return Invalid(text, absl::StrCat("base58 payload of ", payload->size(),
                                        " bytes (21 expected)"));
    }
    const uint8_t version = (*payload)[0];
    if (version == kMainnetP2pkh || version == kMainnetP2sh) {
      address.network = Network::kMainnet;
    } else if (version == kTestP2pkh || version == kTestP2sh) {
      // Testnet and regtest share these prefixes.
      address.network =
          network == Network::kRegtest ? Network::kRegtest : Network::kTestnet;
    } else {
      return Invalid(text, absl::StrCat("unknown version byte ", version));
    }
    address.type = (version == kMainnetP2pkh || version == kTestP2pkh)
                       ? AddressType::kP2pkh
                       : AddressType::kP2sh;
    address.payload.assign(payload->begin() + 1, payload->end());
    address.text = std::string(text);
  }
  if (network.has_value() && *network != address.network) {
    return Invalid(text, absl::StrCat("is a ", NetworkName(address.network),
                                      " address, not ", NetworkName(*network)));
  }
  return address;
}

Bytes Address::ScriptPubKey() const {
  switch (type) {
    case AddressType::kP2pkh: {
      Bytes script = {0x76, 0xa9, 0x14};  // OP_DUP OP_HASH160 PUSH20
      script.insert(script.end(), payload.begin(), payload.end());
      script.push_back(0x88);  // OP_EQUALVERIFY
      script.push_back(0xac);  // OP_CHECKSIG
      return script;
    }
    case AddressType::kP2sh: {
      Bytes script = {0xa9, 0x14};  // OP_HASH160 PUSH20
      script.insert(script.end(), payload.begin(), payload.end());
      script.push_back(0x87);  // OP_EQUAL
      return script;
    }
    case AddressType::kP2wpkh:
    case AddressType::kP2wsh:
      return WitnessScript(0, payload);
    case AddressType::kP2tr:
      return WitnessScript(1, payload);
  }
  return {};
}

std::string P2pkhAddress(absl::Span<const uint8_t> public_key,
                         Network network) {
  const crypto::Digest20 hash = crypto::Hash160(public_key);
  Bytes payload = {network == Network::kMainnet ? kMainnetP2pkh : kTestP2pkh};
  payload.insert(payload.end(), hash.begin(), hash.end());
  return Base58CheckEncode(payload);
}

std::string P2shP2wpkhAddress(absl::Span<const uint8_t> compressed_key,
                              Network network) {
  const crypto::Digest20 key_hash = crypto::Hash160(compressed_key);
  const crypto::Digest20 script_hash =
      crypto::Hash160(WitnessScript(0, key_hash));
  Bytes payload = {network == Network::kMainnet ? kMainnetP2sh : kTestP2sh};
  payload.insert(payload.end(), script_hash.begin(), script_hash.end());
  return Base58CheckEncode(payload);
}

std::string P2wpkhAddress(absl::Span<const uint8_t> compressed_key,
                          Network network) {
  return EncodeSegwit(HrpOf(network), 0, crypto::Hash160(compressed_key));
}

std::optional<std::string> AddressOfScript(absl::Span<const uint8_t> script,
                                           Network network) {
  const size_t n = script.size();
  const uint8_t test = network != Network::kMainnet;
  if (n == 25 && script[0] == 0x76 && script[1] == 0xa9 && script[2] == 20 &&
      script[23] == 0x88 && script[24] == 0xac) {
    Bytes payload = {test ? kTestP2pkh : kMainnetP2pkh};
    payload.insert(payload.end(), script.begin() + 3, script.begin() + 23);
    return Base58CheckEncode(payload);
  }
  if (n == 23 && script[0] == 0xa9 && script[1] == 20 && script[22] == 0x87) {
    Bytes payload = {test ? kTestP2sh : kMainnetP2sh};
    payload.insert(payload.end(), script.begin() + 2, script.begin() + 22);
    return Base58CheckEncode(payload);
  }
  // Witness programs: OP_0 or OP_1..OP_16, then a push of 2 to 40 bytes.
  if (n >= 4 && n <= 42 &&
      (script[0] == 0x00 || (script[0] >= 0x51 && script[0] <= 0x60)) &&
      script[1] == n - 2) {
    const int version = script[0] == 0x00 ? 0 : script[0] - 0x50;
    return EncodeSegwit(HrpOf(network), version, script.subspan(2));
  }
  return std::nullopt;
}

}  // namespace chainsync::bitcoin
