#pragma once

#include <optional>
#include <string>

#include "libs/bitcoin/encoding.h"

namespace chainsync::bitcoin {

enum class Network { kMainnet, kTestnet, kRegtest };
enum class AddressType { kP2pkh, kP2sh, kP2wpkh, kP2wsh, kP2tr };

absl::string_view NetworkName(Network network);
absl::string_view AddressTypeName(AddressType type);

// Address is a parsed Bitcoin address: its network, script type and payload
// (the key hash, script hash or witness program).
struct Address {
  Network network = Network::kMainnet;
  AddressType type = AddressType::kP2pkh;
  Bytes payload;
  // The address as given, normalized to lower case for bech32.
  std::string text;

  // Parse reads base58check P2PKH and P2SH and bech32/bech32m P2WPKH, P2WSH
  // and P2TR addresses of mainnet, testnet (and signet) or regtest. With
  // `network`, an address of another network is refused. Base58 addresses
  // of testnet and regtest look alike; they are accepted for either.
  // Errors say what is wrong: the checksum, the network, the length, the
  // witness version.
  static absl::StatusOr<Address> Parse(
      absl::string_view text, std::optional<Network> network = std::nullopt);

  // ScriptPubKey is the output script that pays to the address.
  Bytes ScriptPubKey() const;
};

// P2pkhAddress, P2shP2wpkhAddress and P2wpkhAddress render the addresses of
// a public key (33-byte compressed, or 65-byte uncompressed for P2PKH).
std::string P2pkhAddress(absl::Span<const uint8_t> public_key, Network network);
std::string P2shP2wpkhAddress(absl::Span<const uint8_t> compressed_key,
                              Network network);
std::string P2wpkhAddress(absl::Span<const uint8_t> compressed_key,
                          Network network);

// AddressOfScript is the address an output script pays on `network`, or
// none for a script no address stands for (OP_RETURN, bare multisig).
std::optional<std::string> AddressOfScript(absl::Span<const uint8_t> script,
                                           Network network);

}  // namespace chainsync::bitcoin
