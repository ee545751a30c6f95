// Bitcoin addresses and ownership proofs against the reference vectors
// (Bitcoin Core's functional tests, BIP-322) and by round trips.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/signed_message.h"
#include "simdjson.h"

namespace chainsync::bitcoin {
namespace {

simdjson::dom::element Vectors(simdjson::dom::parser& parser, const char* key) {
  static const std::string text = [] {
    std::ifstream in(CHAINSYNC_TESTDATA_DIR "/vectors.json");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }();
  return parser.parse(text)[key];
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

crypto::PrivateKey Key(uint8_t seed) {
  crypto::PrivateKey key{};
  key.fill(seed);
  return key;
}

TEST_CASE("addresses of every type parse, with their network", "[bitcoin]") {
  const auto genesis = Address::Parse("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
  REQUIRE(genesis.ok());
  CHECK(genesis->network == Network::kMainnet);
  CHECK(genesis->type == AddressType::kP2pkh);
  CHECK(Hex(genesis->ScriptPubKey()) ==
        "76a914" + Hex(genesis->payload) + "88ac");

  const auto testnet = Address::Parse("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB");
  REQUIRE(testnet.ok());
  CHECK(testnet->network == Network::kTestnet);
  CHECK(Address::Parse("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB", Network::kRegtest)
            ->network == Network::kRegtest);

  const auto segwit =
      Address::Parse("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l");
  REQUIRE(segwit.ok());
  CHECK(segwit->type == AddressType::kP2wpkh);
  CHECK(Hex(segwit->ScriptPubKey()).rfind("0014", 0) == 0);

  const crypto::PublicKey key = *crypto::DerivePublicKey(Key(7));
  const auto compressed = crypto::CompressPublicKey(key);
  for (Network network :
       {Network::kMainnet, Network::kTestnet, Network::kRegtest}) {
    INFO(NetworkName(network));
    const auto p2sh =
        Address::Parse(P2shP2wpkhAddress(compressed, network), network);
    REQUIRE(p2sh.ok());
    CHECK(p2sh->type == AddressType::kP2sh);
    const auto p2wpkh =
        Address::Parse(P2wpkhAddress(compressed, network), network);
    REQUIRE(p2wpkh.ok());
    CHECK(p2wpkh->network == network);
    std::vector<uint8_t> program(32, 0x42);
    const auto p2wsh =
        Address::Parse(EncodeSegwit(network == Network::kMainnet   ? "bc"
                                    : network == Network::kTestnet ? "tb"
                                                                   : "bcrt",
                                    0, program));
    REQUIRE(p2wsh.ok());
    CHECK(p2wsh->type == AddressType::kP2wsh);
  }
  const auto taproot =
      Address::Parse(EncodeSegwit("bc", 1, std::vector<uint8_t>(32, 0x11)));
  REQUIRE(taproot.ok());
  CHECK(taproot->type == AddressType::kP2tr);
  CHECK(Hex(taproot->ScriptPubKey()).rfind("5120", 0) == 0);
  // Upper case bech32 is valid and normalized.
  CHECK(Address::Parse("BC1Q9VZA2E8X573NCZRLZMS0WVX3GSQJX7VAVGKX0L")->text ==
        "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l");
}

TEST_CASE("bad addresses say what is wrong", "[bitcoin]") {
  const auto message = [](absl::string_view text,
                          std::optional<Network> network = {}) {
    const auto address = Address::Parse(text, network);
    REQUIRE(absl::IsInvalidArgument(address.status()));
    return std::string(address.status().message());
  };
  CHECK(message("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb").find("checksum") !=
        std::string::npos);
  CHECK(
      message("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0m").find("checksum") !=
      std::string::npos);
  CHECK(message("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Network::kTestnet)
            .find("is a mainnet address, not testnet") != std::string::npos);
  CHECK(message("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", Network::kRegtest)
            .find("not regtest") != std::string::npos);
  CHECK(message("bc1Q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l").find("mixes") !=
        std::string::npos);
  CHECK(message("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0")
            .find("invalid base58 character '0'") != std::string::npos);
  // A version 0 program of 25 bytes, and version 2: valid bech32, no address
  // type.
  CHECK(message(EncodeSegwit("bc", 0, std::vector<uint8_t>(25, 1)))
            .find("20 or 32") != std::string::npos);
  CHECK(message(EncodeSegwit("bc", 2, std::vector<uint8_t>(32, 1)))
            .find("witness version 2") != std::string::npos);
  CHECK(message("").find("empty") != std::string::npos);
  CHECK(message("tb1" + std::string(100, 'q')).find("longer than 90") !=
        std::string::npos);
}

TEST_CASE("legacy signed messages verify against Bitcoin Core's vectors",
          "[bitcoin]") {
  simdjson::dom::parser parser;
  int checked = 0;
  for (simdjson::dom::element test :
       Vectors(parser, "bitcoin_signed_message_legacy")["cases"].get_array()) {
    const auto address =
        Address::Parse(std::string(test["address"].get_string().value()));
    REQUIRE(address.ok());
    const std::string message(test["message"].get_string().value());
    const std::string signature(test["signature_base64"].get_string().value());
    const auto result = VerifyMessage(*address, message, signature);
    INFO(message);
    if (test["valid"].get_bool().value()) {
      REQUIRE(result.ok());
      CHECK(*result == ProofKind::kLegacy);
      // The key the signature recovers is the one Bitcoin Core reports.
      std::string raw;
      REQUIRE(absl::Base64Unescape(signature, &raw));
      crypto::RecoverableSignature recoverable;
      recoverable.recovery_id = (static_cast<uint8_t>(raw[0]) - 27) & 3;
      std::copy(raw.begin() + 1, raw.begin() + 33, recoverable.r.begin());
      std::copy(raw.begin() + 33, raw.end(), recoverable.s.begin());
      const auto key =
          crypto::RecoverPublicKey(recoverable, LegacyMessageHash(message));
      REQUIRE(key.ok());
      CHECK(Hex(crypto::CompressPublicKey(*key)) ==
            std::string(test["recovered_pubkey"].get_string().value()));
    } else {
      REQUIRE(absl::IsInvalidArgument(result.status()));
      CHECK(std::string(result.status().message())
                .find("does not prove ownership") != std::string::npos);
    }
    ++checked;
  }
  CHECK(checked == 2);
}

TEST_CASE("BIP-322 hashes and simple signatures match the specification",
          "[bitcoin]") {
  simdjson::dom::parser parser;
  simdjson::dom::element bip322 = Vectors(parser, "bip322");
  for (simdjson::dom::element test : bip322["message_hashes"].get_array()) {
    const std::string message(test["message"].get_string().value());
    CHECK(Hex(Bip322MessageHash(message)) ==
          std::string(test["hash"].get_string().value()));
  }
  int checked = 0;
  for (simdjson::dom::element test : bip322["simple_signatures"].get_array()) {
    const auto address =
        Address::Parse(std::string(test["address"].get_string().value()));
    REQUIRE(address.ok());
    const std::string message(test["message"].get_string().value());
    const std::string signature(test["signature"].get_string().value());
    const auto result = VerifyMessage(*address, message, signature);
    INFO(message << " " << signature << " " << result.status());
    if (test["valid"].get_bool().value()) {
      REQUIRE(result.ok());
      CHECK(*result == ProofKind::kBip322Simple);
      // Without the "smp" prefix, the same witness verifies too.
      CHECK(VerifyMessage(*address, message, signature.substr(3)).ok());
    } else {
      CHECK(absl::IsInvalidArgument(result.status()));
    }
    ++checked;
  }
  CHECK(checked == 3);
}

TEST_CASE("what the library signs, it verifies, and nothing else",
          "[bitcoin]") {
  const crypto::PrivateKey key = Key(3);
  const auto compressed =
      crypto::CompressPublicKey(*crypto::DerivePublicKey(key));
  const std::string message =
      "I own this address: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  struct Case {
    AddressType type;
    std::string address;
  };
  for (const Case& test :
       {Case{AddressType::kP2pkh, P2pkhAddress(compressed, Network::kRegtest)},
        Case{AddressType::kP2sh,
             P2shP2wpkhAddress(compressed, Network::kRegtest)},
        Case{AddressType::kP2wpkh,
             P2wpkhAddress(compressed, Network::kRegtest)}}) {
    INFO(test.address);
    const auto address = Address::Parse(test.address, Network::kRegtest);
    REQUIRE(address.ok());
    const auto signature = SignLegacyMessage(key, test.type, message);
    REQUIRE(signature.ok());
    CHECK(*VerifyMessage(*address, message, *signature) == ProofKind::kLegacy);
    CHECK_FALSE(VerifyMessage(*address, message + ".", *signature).ok());
  }
  const auto segwit =
      Address::Parse(P2wpkhAddress(compressed, Network::kMainnet));
  const auto witness = SignBip322Simple(key, message);
  REQUIRE(witness.ok());
  CHECK(*VerifyMessage(*segwit, message, *witness) == ProofKind::kBip322Simple);
  CHECK(*VerifyMessage(*segwit, message, "smp" + *witness) ==
        ProofKind::kBip322Simple);
  CHECK_FALSE(VerifyMessage(*segwit, message + " ", *witness).ok());
  // Another key's proof does not prove this address.
  const auto other = SignBip322Simple(Key(4), message);
  CHECK_FALSE(VerifyMessage(*segwit, message, *other).ok());
  // Taproot cannot be proven with a legacy message.
  const auto taproot =
      Address::Parse(EncodeSegwit("bc", 1, std::vector<uint8_t>(32, 2)));
  const auto refused = VerifyMessage(
      *taproot, message, *SignLegacyMessage(key, AddressType::kP2pkh, message));
  REQUIRE(absl::IsInvalidArgument(refused.status()));
  CHECK(std::string(refused.status().message()).find("use BIP-322") !=
        std::string::npos);
  CHECK(
      std::string(
          VerifyMessage(*segwit, message, "not base64!").status().message()) ==
      "signature is not base64");
}

}  // namespace
}  // namespace chainsync::bitcoin
