// Hex, Keccak-256, uint256 and EIP-55 addresses against the reference
// vectors and the examples of the specifications.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "libs/evm/address.h"
#include "libs/evm/keccak.h"
#include "libs/evm/uint256.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

simdjson::dom::element Vectors(simdjson::dom::parser& parser) {
  std::ifstream in(CHAINSYNC_TESTDATA_DIR "/vectors.json");
  std::stringstream text;
  text << in.rdbuf();
  return parser.parse(text.str());
}

TEST_CASE("keccak256 matches the reference vectors", "[evm]") {
  simdjson::dom::parser parser;
  int checked = 0;
  for (simdjson::dom::element test :
       Vectors(parser)["keccak256"]["cases"].get_array()) {
    const std::string input(test["input_utf8"].get_string().value());
    const std::string expected(test["hash"].get_string().value());
    INFO(input);
    CHECK(ToHex(Keccak256(input)) == "0x" + expected);
    ++checked;
  }
  CHECK(checked == 3);
  // Inputs around the 136-byte block boundary exercise the padding.
  CHECK(ToHex(Keccak256(std::string(135, 'a'))) !=
        ToHex(Keccak256(std::string(136, 'a'))));
  CHECK(Keccak256(std::string(136, 'a')) == Keccak256(std::string(136, 'a')));
}

TEST_CASE("hex round-trips and names what is wrong", "[evm]") {
  CHECK(ToHex(*FromHex("0xDEADbeef", "data")) == "0xdeadbeef");
  CHECK(FromHex("", "data")->empty());
  CHECK(FromHex("0x", "data")->empty());
  const auto odd = FromHex("0xabc", "data");
  REQUIRE(absl::IsInvalidArgument(odd.status()));
  CHECK(std::string(odd.status().message()) ==
        "data: hex has an odd number of digits (3)");
  const auto bad = FromHex("0xzz", "topic");
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()) ==
        "topic: invalid hex character 'z' at position 2");
  const auto short_hash = FixedFromHex<32>("0x00", "block hash");
  CHECK(std::string(short_hash.status().message()) ==
        "block hash: expected 32 bytes of hex, got 1");
}

TEST_CASE("uint256 converts losslessly", "[evm]") {
  const std::string max =
      "115792089237316195423570985008687907853269984665640564039457584007913129"
      "639935";
  const Uint256 value = *ParseUint256(max, "amount");
  CHECK(ToDecimal(value) == max);
  CHECK(ToQuantity(value) == "0x" + std::string(64, 'f'));
  CHECK(*ParseUint256("0x" + std::string(64, 'f'), "amount") == value);
  CHECK(ToQuantity(0) == "0x0");
  CHECK(ToQuantity(*ParseUint256("4096", "n")) == "0x1000");
  CHECK(ToHex(ToWord(1)) == "0x" + std::string(63, '0') + "1");
  CHECK(FromBigEndian(ToWord(value)) == value);

  const auto overflow = ParseUint256(
      "115792089237316195423570985008687907853269984665640564039457584007913129"
      "639936",
      "amount");
  REQUIRE(absl::IsInvalidArgument(overflow.status()));
  CHECK(std::string(overflow.status().message())
            .find("does not fit in 256 bits") != std::string::npos);
  CHECK(absl::IsInvalidArgument(ParseUint256("", "amount").status()));
  CHECK(absl::IsInvalidArgument(ParseUint256("12a", "amount").status()));
  CHECK(absl::IsInvalidArgument(ParseUint256("-1", "amount").status()));
  CHECK(absl::IsInvalidArgument(ParseUint256("0x", "amount").status()));
}

TEST_CASE("addresses use EIP-55 checksums", "[evm]") {
  // The examples of EIP-55.
  for (const char* checksummed :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    INFO(checksummed);
    const auto from_lower = Address::Parse(absl::AsciiStrToLower(checksummed));
    REQUIRE(from_lower.ok());
    CHECK(from_lower->ToChecksumHex() == checksummed);
    CHECK(Address::Parse(checksummed).ok());
  }
  const auto typo =
      Address::Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "to");
  REQUIRE(absl::IsInvalidArgument(typo.status()));
  CHECK(std::string(typo.status().message()).find("to: ") == 0);
  CHECK(std::string(typo.status().message()).find("wrong EIP-55 checksum") !=
        std::string::npos);
  CHECK(absl::IsInvalidArgument(Address::Parse("0x1234").status()));
  CHECK(absl::IsInvalidArgument(
      Address::Parse("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00").status()));
  CHECK(absl::IsInvalidArgument(
      Address::Parse("0xgaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").status()));
}

}  // namespace
}  // namespace chainsync::evm
