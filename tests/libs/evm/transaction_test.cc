#include "libs/evm/transaction.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "libs/evm/keccak.h"
#include "libs/evm/rlp.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

struct Eip155Vector {
  std::string signing_data_rlp;
  std::string signing_hash;
  std::string private_key;
  uint64_t chain_id;
  uint64_t expected_v;
};

Eip155Vector LoadVector() {
  std::ifstream in(CHAINSYNC_TESTDATA_DIR "/vectors.json");
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element eip155 = parser.parse(text.str())["eip155"];
  return {std::string(eip155["signing_data_rlp"].get_string().value()),
          std::string(eip155["signing_hash"].get_string().value()),
          std::string(eip155["private_key"].get_string().value()),
          eip155["chain_id"].get_uint64().value(),
          eip155["expected_v"].get_uint64().value()};
}

// The transaction of the EIP-155 example.
LegacyTransaction ExampleTransaction(uint64_t chain_id) {
  LegacyTransaction transaction;
  transaction.chain_id = chain_id;
  transaction.nonce = 9;
  transaction.gas_price = *ParseUint256("20000000000", "gas_price");
  transaction.gas_limit = 21000;
  transaction.to =
      *Address::Parse("0x3535353535353535353535353535353535353535");
  transaction.value = *ParseUint256("1000000000000000000", "value");
  return transaction;
}

TEST_CASE("EIP-155 signing data, hash and v match the specification",
          "[transaction]") {
  const Eip155Vector vector = LoadVector();
  const LegacyTransaction transaction = ExampleTransaction(vector.chain_id);
  const Bytes payload = SigningPayload(transaction);
  CHECK(ToHex(payload) == "0x" + vector.signing_data_rlp);
  CHECK(ToHex(Keccak256(ByteSpan(payload))) == "0x" + vector.signing_hash);

  auto signer = LocalKeySigner::Create(Secret(vector.private_key));
  REQUIRE(signer.ok());
  CHECK((*signer)->address().ToChecksumHex() ==
        "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  auto signed_transaction = Sign(transaction, **signer);
  REQUIRE(signed_transaction.ok());
  const auto decoded = RlpDecode(signed_transaction->raw);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->list.size() == 9);
  CHECK(FromBigEndian(decoded->list[6].bytes) == vector.expected_v);
  // RFC 6979 signatures are deterministic: the whole transaction is the
  // specification's.
  CHECK(ToHex(signed_transaction->raw) ==
        "0xf86c098504a817c80082520894353535353535353535353535353535353535353588"
        "0de0"
        "b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e159"
        "0620"
        "aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b"
        "6d83");
  CHECK(signed_transaction->hash ==
        Keccak256(ByteSpan(signed_transaction->raw)));
}

TEST_CASE("an EIP-1559 signature recovers the signer", "[transaction]") {
  auto signer =
      LocalKeySigner::Create(Secret("0x" + std::string(63, '0') + "1"));
  REQUIRE(signer.ok());
  Eip1559Transaction transaction;
  transaction.chain_id = 31337;
  transaction.nonce = 7;
  transaction.max_priority_fee_per_gas = 1'000'000'000;
  transaction.max_fee_per_gas = 30'000'000'000ULL;
  transaction.gas_limit = 100000;
  transaction.to =
      *Address::Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  transaction.value = 5;
  transaction.data = {0xa9, 0x05, 0x9c, 0xbb};
  auto signed_transaction = Sign(transaction, **signer);
  REQUIRE(signed_transaction.ok());
  REQUIRE(signed_transaction->raw[0] == 0x02);
  const auto fields = RlpDecode(ByteSpan(signed_transaction->raw).subspan(1));
  REQUIRE(fields.ok());
  REQUIRE(fields->list.size() == 12);
  CHECK(FromBigEndian(fields->list[0].bytes) == 31337);
  CHECK(fields->list[8].is_list);
  CHECK(fields->list[8].list.empty());
  crypto::RecoverableSignature signature;
  signature.recovery_id =
      static_cast<int>(FromBigEndian(fields->list[9].bytes));
  signature.r = ToWord(FromBigEndian(fields->list[10].bytes));
  signature.s = ToWord(FromBigEndian(fields->list[11].bytes));
  const auto recovered = crypto::RecoverPublicKey(
      signature, Keccak256(ByteSpan(SigningPayload(transaction))));
  REQUIRE(recovered.ok());
  CHECK(AddressOf(*recovered) == (*signer)->address());
}

TEST_CASE("a bad key or a missing chain id is refused", "[transaction]") {
  const auto short_key = LocalKeySigner::Create(Secret("0x1234"));
  REQUIRE(absl::IsInvalidArgument(short_key.status()));
  CHECK(std::string(short_key.status().message()).find("1234") ==
        std::string::npos);
  CHECK(absl::IsInvalidArgument(
      LocalKeySigner::Create(Secret(std::string(64, '0'))).status()));
  CHECK(absl::IsInvalidArgument(
      LocalKeySigner::Create(Secret(std::string(64, 'f'))).status()));
  auto signer = LocalKeySigner::Create(Secret(std::string(63, '0') + "2"));
  REQUIRE(signer.ok());
  CHECK(
      absl::IsInvalidArgument(Sign(ExampleTransaction(0), **signer).status()));
}

}  // namespace
}  // namespace chainsync::evm
