// Registering Bitcoin addresses with the oracle binary on a real Postgres:
// both proof kinds, every refusal with nothing stored, removal, paging,
// profile fields sealed, and the gateway's route in front.
#include <catch2/catch.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/signed_message.h"
#include "libs/crypto/secp256k1.h"
#include "services/oracle/ownership_proof.h"
#include "tests/services/api-gateway/gateway_test_support.h"
#include "tests/services/api-gateway/tokens.h"
#include "tests/services/oracle/oracle_test_support.h"

namespace chainsync::oracle {
namespace {

using bitcoin::Network;

v1::ListBitcoinAddressesResponse List(OracleProcess& oracle,
                                      const evm::Address& account,
                                      int page_size = 0,
                                      const std::string& token = "") {
  v1::ListBitcoinAddressesRequest request;
  request.set_address(account.ToLowerHex());
  request.set_page_size(page_size);
  request.set_page_token(token);
  v1::ListBitcoinAddressesResponse response;
  grpc::ClientContext context;
  REQUIRE(
      oracle.stub().ListBitcoinAddresses(&context, request, &response).ok());
  return response;
}

int64_t Count(const testing::ScopedDatabase& database, const char* table) {
  return *database.Connect()
              ->Exec(absl::StrCat("SELECT count(*) FROM oracle.", table))
              ->GetInt64(0, 0);
}

TEST_CASE(
    "addresses register with legacy and BIP-322 proofs, and list in "
    "pages",
    "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim);
  const std::string p2pkh =
      bitcoin::P2pkhAddress(CompressedKey(1), Network::kRegtest);
  const std::string p2sh =
      bitcoin::P2shP2wpkhAddress(CompressedKey(2), Network::kRegtest);
  const std::string p2wpkh =
      bitcoin::P2wpkhAddress(CompressedKey(3), Network::kRegtest);

  v1::BitcoinAddress registered;
  auto legacy = Request(1, p2pkh, bitcoin::AddressType::kP2pkh, kAlice);
  legacy.set_label("savings");
  REQUIRE(Register(oracle, legacy, &registered).ok());
  CHECK(registered.bitcoin_address() == p2pkh);
  CHECK(registered.address() == kAlice.ToChecksumHex());
  CHECK(registered.network() == v1::BITCOIN_NETWORK_REGTEST);
  CHECK(registered.address_type() == v1::BITCOIN_ADDRESS_TYPE_P2PKH);
  CHECK(registered.proof_kind() == v1::OWNERSHIP_PROOF_KIND_LEGACY);
  CHECK(registered.label() == "savings");
  CHECK(registered.monitored());
  REQUIRE(
      Register(oracle, Request(2, p2sh, bitcoin::AddressType::kP2sh, kAlice))
          .ok());
  auto bip322 = Request(3, p2wpkh, bitcoin::AddressType::kP2wpkh, kAlice, true);
  bip322.set_proof_kind(v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE);
  REQUIRE(Register(oracle, bip322, &registered).ok());
  CHECK(registered.proof_kind() == v1::OWNERSHIP_PROOF_KIND_BIP322_SIMPLE);
  CHECK(registered.address_type() == v1::BITCOIN_ADDRESS_TYPE_P2WPKH);

  const auto all = List(oracle, kAlice);
  REQUIRE(all.bitcoin_addresses_size() == 3);
  CHECK(all.bitcoin_addresses(0).bitcoin_address() == p2pkh);
  CHECK(all.bitcoin_addresses(0).label() == "savings");
  CHECK(all.bitcoin_addresses(2).bitcoin_address() == p2wpkh);
  CHECK(all.next_page_token().empty());

  const auto first = List(oracle, kAlice, 2);
  REQUIRE(first.bitcoin_addresses_size() == 2);
  REQUIRE_FALSE(first.next_page_token().empty());
  const auto second = List(oracle, kAlice, 2, first.next_page_token());
  REQUIRE(second.bitcoin_addresses_size() == 1);
  CHECK(second.bitcoin_addresses(0).bitcoin_address() == p2wpkh);
  // A token pages only the list it came from.
  v1::ListBitcoinAddressesRequest other;
  other.set_address(kBob.ToLowerHex());
  other.set_page_token(first.next_page_token());
  v1::ListBitcoinAddressesResponse ignored;
  grpc::ClientContext context;
  CHECK(oracle.stub()
            .ListBitcoinAddresses(&context, other, &ignored)
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(List(oracle, kBob).bitcoin_addresses_size() == 0);
}

TEST_CASE("a refused registration says why and stores nothing",
          "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim);
  const std::string address =
      bitcoin::P2wpkhAddress(CompressedKey(5), Network::kRegtest);
  const auto good = Request(5, address, bitcoin::AddressType::kP2wpkh, kAlice);
  REQUIRE(Register(oracle, good).ok());
  const int64_t addresses = Count(database, "bitcoin_addresses");
  const int64_t proofs = Count(database, "used_proofs");

  const auto refused = [&](const v1::RegisterBitcoinAddressRequest& request,
                           grpc::StatusCode code, const std::string& reason) {
    const grpc::Status status = Register(oracle, request);
    INFO(status.error_message());
    CHECK(status.error_code() == code);
    CHECK(absl::StrContains(status.error_message(), reason));
    CHECK(Count(database, "bitcoin_addresses") == addresses);
    CHECK(Count(database, "used_proofs") == proofs);
  };
  // Another network's address.
  refused(
      Request(6, bitcoin::P2wpkhAddress(CompressedKey(6), Network::kMainnet),
              bitcoin::AddressType::kP2wpkh, kAlice),
      grpc::StatusCode::INVALID_ARGUMENT, "not regtest");
  // Signed by another key.
  auto forged = Request(7, address, bitcoin::AddressType::kP2wpkh, kBob);
  refused(forged, grpc::StatusCode::INVALID_ARGUMENT, "");
  // Issued too long ago.
  refused(
      Request(8, bitcoin::P2wpkhAddress(CompressedKey(8), Network::kRegtest),
              bitcoin::AddressType::kP2wpkh, kAlice, false, absl::Minutes(30)),
      grpc::StatusCode::INVALID_ARGUMENT, "sign a new one");
  // The same message again.
  refused(good, grpc::StatusCode::INVALID_ARGUMENT, "used before");
  // Someone else's address, with a proof of its own.
  refused(Request(5, address, bitcoin::AddressType::kP2wpkh, kBob),
          grpc::StatusCode::ALREADY_EXISTS, "another account");
  // Personal data out of bounds.
  auto long_label =
      Request(9, bitcoin::P2wpkhAddress(CompressedKey(9), Network::kRegtest),
              bitcoin::AddressType::kP2wpkh, kAlice);
  long_label.set_label(std::string(101, 'x'));
  refused(long_label, grpc::StatusCode::INVALID_ARGUMENT, "label");
  long_label.set_label("");
  long_label.set_email("not-an-address");
  refused(long_label, grpc::StatusCode::INVALID_ARGUMENT, "email");

  // The owner may prove again with a new message.
  CHECK(Register(oracle, Request(5, address, bitcoin::AddressType::kP2wpkh,
                                 kAlice, false, absl::Minutes(2)))
            .ok());
  CHECK(Count(database, "bitcoin_addresses") == addresses);
}

TEST_CASE(
    "an address is removed by its owner only, and may be registered "
    "again",
    "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim);
  const std::string first =
      bitcoin::P2wpkhAddress(CompressedKey(11), Network::kRegtest);
  const std::string second =
      bitcoin::P2wpkhAddress(CompressedKey(12), Network::kRegtest);
  REQUIRE(Register(oracle,
                   Request(11, first, bitcoin::AddressType::kP2wpkh, kAlice))
              .ok());
  REQUIRE(Register(oracle,
                   Request(12, second, bitcoin::AddressType::kP2wpkh, kAlice))
              .ok());
  const auto remove = [&](const evm::Address& account,
                          const std::string& address,
                          v1::RemoveBitcoinAddressResponse* response) {
    v1::RemoveBitcoinAddressRequest request;
    request.set_address(account.ToLowerHex());
    request.set_bitcoin_address(address);
    grpc::ClientContext context;
    return oracle.stub().RemoveBitcoinAddress(&context, request, response);
  };
  v1::RemoveBitcoinAddressResponse left;
  CHECK(remove(kBob, first, &left).error_code() == grpc::StatusCode::NOT_FOUND);
  REQUIRE(remove(kAlice, absl::AsciiStrToUpper(first), &left).ok());
  REQUIRE(left.bitcoin_addresses_size() == 1);
  CHECK(left.bitcoin_addresses(0).bitcoin_address() == second);
  CHECK(remove(kAlice, first, &left).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // Freed, it may be Bob's now.
  CHECK(
      Register(oracle, Request(11, first, bitcoin::AddressType::kP2wpkh, kBob))
          .ok());
}

TEST_CASE("labels and e-mails never reach Postgres in the clear",
          "[oracle][binary]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  const std::string label = "Cold storage vault";
  const std::string email = "alice.secret@example.com";
  const std::string address =
      bitcoin::P2wpkhAddress(CompressedKey(21), Network::kRegtest);
  auto request = Request(21, address, bitcoin::AddressType::kP2wpkh, kAlice);
  request.set_label(label);
  request.set_email(email);
  {
    // Without keys, personal data is refused, not stored in the clear.
    OracleProcess keyless(database, sim, {}, {});
    const grpc::Status refused = Register(keyless, request);
    CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(absl::StrContains(refused.error_message(), "PROFILE_KEYS"));
  }
  OracleProcess oracle(database, sim);
  REQUIRE(Register(oracle, request).ok());
  CHECK(List(oracle, kAlice).bitcoin_addresses(0).label() == label);

  // Every row of every table of the schema, as text (bytea as hex).
  auto connection = database.Connect();
  auto tables = connection->Exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = "
      "'oracle'");
  std::string everything;
  for (int row = 0; row < tables->rows(); ++row) {
    auto rows = connection->Exec(
        absl::StrCat("SELECT t::text FROM oracle.", tables->Get(row, 0), " t"));
    for (int i = 0; i < rows->rows(); ++i) {
      absl::StrAppend(&everything, rows->Get(i, 0), "\n");
    }
  }
  CHECK(absl::StrContains(everything, address));
  for (const std::string& secret : {label, email}) {
    CHECK_FALSE(absl::StrContains(everything, secret));
    CHECK_FALSE(absl::StrContains(everything, absl::BytesToHexString(secret)));
  }
  CHECK(*connection
             ->Exec("SELECT count(*) FROM oracle.users WHERE email_key_id = "
                    "'k1' AND octet_length(email_nonce) = 12")
             ->GetInt64(0, 0) == 1);
}

TEST_CASE(
    "the gateway registers and lists an account's addresses for its "
    "owner only",
    "[oracle][binary][gateway]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim);
  gateway::EmptyAnswers stand_in;
  gateway::GatewayProcess gateway(
      {"--oracle_address=" + oracle.address(),
       "--indexer_address=" + stand_in.address(),
       "--reconciler_address=" + stand_in.address()});
  const std::string alice_token =
      gateway::Token(kAlice.ToLowerHex(), "", absl::Now() + absl::Hours(1));
  const std::string address =
      bitcoin::P2wpkhAddress(CompressedKey(31), Network::kRegtest);
  const auto request =
      Request(31, address, bitcoin::AddressType::kP2wpkh, kAlice);
  const std::string body =
      absl::StrCat(R"({"address":")", request.address(),
                   R"(","bitcoinAddress":")", address, R"(","message":")",
                   absl::StrReplaceAll(request.message(), {{"\n", "\\n"}}),
                   R"(","signature":")", request.signature(), R"("})");

  // Bob may not register for Alice.
  const std::string bob_token =
      gateway::Token(kBob.ToLowerHex(), "", absl::Now() + absl::Hours(1));
  CHECK(gateway.Send("POST", "/api/realtime/bitcoin-addresses", bob_token, body)
            .status == 403);
  const auto created = gateway.Send("POST", "/api/realtime/bitcoin-addresses",
                                    alice_token, body);
  INFO(created.body);
  CHECK(created.status == 200);
  CHECK(absl::StrContains(created.body,
                          absl::StrCat(R"("bitcoinAddress":")", address)));
  const auto listed =
      gateway.Send("GET",
                   absl::StrCat("/api/realtime/bitcoin-addresses?address=",
                                kAlice.ToLowerHex()),
                   alice_token);
  CHECK(listed.status == 200);
  CHECK(absl::StrContains(listed.body, address));
  // The same proof again is a 400 naming the reason.
  const auto replayed = gateway.Send("POST", "/api/realtime/bitcoin-addresses",
                                     alice_token, body);
  CHECK(replayed.status == 400);
  CHECK(absl::StrContains(replayed.body, "used before"));
}

}  // namespace
}  // namespace chainsync::oracle
