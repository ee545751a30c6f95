// The JSON-RPC client, the signer and the transaction codecs against a real
// anvil node: what the library signs is accepted and mined, what it encodes
// is what the contract sees, and the client rides out a node restart.
#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/evm/contract_abi.h"
#include "libs/evm/json_rpc_client.h"
#include "libs/evm/keccak.h"
#include "libs/evm/transaction.h"
#include "tests/support/test_env.h"

namespace chainsync::evm {
namespace {

std::unique_ptr<JsonRpcClient> ClientFor(const std::string& url) {
  JsonRpcOptions options;
  options.endpoints = {url};
  options.call.retry = {.max_attempts = 40,
                        .backoff = {.initial_delay = absl::Milliseconds(50),
                                    .max_delay = absl::Milliseconds(250)}};
  auto client = JsonRpcClient::Create(options);
  REQUIRE(client.ok());
  return *std::move(client);
}

// A funded account of the test's own, so that parallel tests never share a
// nonce.
std::unique_ptr<LocalKeySigner> FundedSigner(JsonRpcClient& client, int seed) {
  auto signer = LocalKeySigner::Create(Secret(ToHex(
      Keccak256(absl::StrCat("chainsync test key ", seed, " ", getpid())))));
  REQUIRE(signer.ok());
  REQUIRE(client
              .Call("anvil_setBalance",
                    absl::StrCat(R"([")", (*signer)->address().ToLowerHex(),
                                 R"(","0x56bc75e2d63100000"])"))
              .ok());
  return *std::move(signer);
}

Receipt WaitForReceipt(JsonRpcClient& client, const Hash& hash) {
  for (int i = 0; i < 100; ++i) {
    auto receipt = client.GetTransactionReceipt(hash);
    REQUIRE(receipt.ok());
    if (receipt->has_value()) return **receipt;
    absl::SleepFor(absl::Milliseconds(20));
  }
  FAIL("no receipt for " << ToHex(hash));
  return {};
}

// Sends a legacy transaction and returns its receipt.
Receipt SendLegacy(JsonRpcClient& client, LocalKeySigner& signer,
                   std::optional<Address> to, Bytes data) {
  LegacyTransaction transaction;
  transaction.chain_id = *client.ChainId();
  transaction.nonce =
      *client.GetTransactionCount(signer.address(), BlockRef::Pending());
  transaction.gas_price = *client.GasPrice();
  transaction.gas_limit = 500'000;
  transaction.to = to;
  transaction.data = std::move(data);
  auto signed_transaction = Sign(transaction, signer);
  REQUIRE(signed_transaction.ok());
  auto hash = client.SendRawTransaction(signed_transaction->raw);
  REQUIRE(hash.ok());
  CHECK(*hash == signed_transaction->hash);
  return WaitForReceipt(client, *hash);
}

// Init code that deploys `runtime` (at most 255 bytes).
Bytes Deployer(const Bytes& runtime) {
  const auto size = static_cast<uint8_t>(runtime.size());
  // PUSH1 size PUSH1 12 PUSH1 0 CODECOPY PUSH1 size PUSH1 0 RETURN
  const uint8_t prefix[] = {0x60, size, 0x60, 0x0c, 0x60, 0x00,
                            0x39, 0x60, size, 0x60, 0x00, 0xf3};
  Bytes code(std::begin(prefix), std::end(prefix));
  std::copy(runtime.begin(), runtime.end(), std::back_inserter(code));
  return code;
}

TEST_CASE("anvil answers the typed calls", "[anvil]") {
  auto client = ClientFor(testing::GetTestEnvironment().rpc_url);
  CHECK(*client->ChainId() == 31337);
  const uint64_t head = *client->BlockNumber();
  const auto latest = client->GetBlockByNumber(BlockRef::Latest());
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->number >= head);
  const auto by_hash = client->GetBlockByHash((*latest)->hash);
  REQUIRE(by_hash.ok());
  CHECK((*by_hash)->number == (*latest)->number);
  const auto finalized = client->GetBlockByNumber(BlockRef::Finalized());
  CHECK(finalized.ok());
  const auto history = client->GetFeeHistory(1, BlockRef::Latest(), {50});
  REQUIRE(history.ok());
  CHECK(history->base_fee_per_gas.size() == 2);
  CHECK(*client->GasPrice() > 0);
}

TEST_CASE("signed transactions are mined and calls return what contracts hold",
          "[anvil]") {
  auto client = ClientFor(testing::GetTestEnvironment().rpc_url);
  auto signer = FundedSigner(*client, 1);

  // A contract whose every call returns 42:
  // PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
  const Bytes answer = {0x60, 0x2a, 0x60, 0x00, 0x52,
                        0x60, 0x20, 0x60, 0x00, 0xf3};
  const Receipt deployed =
      SendLegacy(*client, *signer, std::nullopt, Deployer(answer));
  REQUIRE(deployed.success);
  REQUIRE(deployed.contract_address.has_value());
  CHECK(*client->GetCode(*deployed.contract_address, BlockRef::Latest()) ==
        answer);
  CHECK(client->GetCode(signer->address(), BlockRef::Latest())->empty());

  const auto function = AbiFunction::Parse("answer() returns (uint256)");
  const auto call = client->EthCall(
      {.to = *deployed.contract_address, .data = *function->EncodeCall({})},
      BlockRef::Latest());
  REQUIRE(call.ok());
  const auto decoded = function->DecodeOutput(*call);
  REQUIRE(decoded.ok());
  CHECK(std::get<Uint256>(decoded->front().value) == 42);
  // A batch answers each call in its place, a revert as that call's error.
  const Bytes reverts = {0x60, 0x00, 0x60, 0x00, 0xfd};  // REVERT(0, 0)
  const Receipt reverting =
      SendLegacy(*client, *signer, std::nullopt, Deployer(reverts));
  REQUIRE(reverting.contract_address.has_value());
  const auto batch = client->EthCalls({{.to = *deployed.contract_address},
                                       {.to = *reverting.contract_address},
                                       {.to = *deployed.contract_address}},
                                      BlockRef::Latest());
  REQUIRE(batch.size() == 3);
  CHECK(*batch[0] == *call);
  CHECK_FALSE(batch[1].ok());
  CHECK(*batch[2] == *call);
  CHECK(*client->EstimateGas({.from = signer->address(),
                              .to = *deployed.contract_address}) >= 21000);

  // EIP-1559, with fees from the node.
  const auto fees = client->GetFeeHistory(1, BlockRef::Latest(), {50});
  REQUIRE(fees.ok());
  Eip1559Transaction transaction;
  transaction.chain_id = 31337;
  transaction.nonce =
      *client->GetTransactionCount(signer->address(), BlockRef::Pending());
  transaction.max_priority_fee_per_gas = 1'000'000'000;
  transaction.max_fee_per_gas =
      fees->base_fee_per_gas.back() * 2 + 1'000'000'000;
  transaction.gas_limit = 50'000;
  transaction.to = *deployed.contract_address;
  transaction.value = 7;
  auto signed_transaction = Sign(transaction, *signer);
  REQUIRE(signed_transaction.ok());
  const auto hash = client->SendRawTransaction(signed_transaction->raw);
  REQUIRE(hash.ok());
  const Receipt receipt = WaitForReceipt(*client, *hash);
  CHECK(receipt.success);
  CHECK(*client->GetTransactionCount(signer->address(), BlockRef::Latest()) ==
        transaction.nonce + 1);

  // Replaying a mined transaction is a nonce conflict.
  CHECK(absl::IsFailedPrecondition(
      client->SendRawTransaction(signed_transaction->raw).status()));
}

TEST_CASE("logs come back from receipts and eth_getLogs alike", "[anvil]") {
  auto client = ClientFor(testing::GetTestEnvironment().rpc_url);
  auto signer = FundedSigner(*client, 2);
  // PUSH1 0xff PUSH1 0 MSTORE PUSH32 topic PUSH1 32 PUSH1 0 LOG1 STOP
  const Hash topic = Keccak256("Ping(uint256)");
  Bytes emitter = {0x60, 0xff, 0x60, 0x00, 0x52, 0x7f};
  emitter.insert(emitter.end(), topic.begin(), topic.end());
  for (uint8_t b : {0x60, 0x20, 0x60, 0x00, 0xa1, 0x00}) emitter.push_back(b);
  const Receipt deployed =
      SendLegacy(*client, *signer, std::nullopt, Deployer(emitter));
  REQUIRE(deployed.contract_address.has_value());
  const Receipt pinged =
      SendLegacy(*client, *signer, *deployed.contract_address, {});
  REQUIRE(pinged.logs.size() == 1);

  const auto logs = client->GetLogs({.from_block = pinged.block_number,
                                     .to_block = pinged.block_number,
                                     .addresses = {*deployed.contract_address},
                                     .topics = {{topic}}});
  REQUIRE(logs.ok());
  REQUIRE(logs->size() == 1);
  const Log& log = logs->front();
  CHECK(log.block_hash == pinged.block_hash);
  CHECK(log.transaction_hash == pinged.transaction_hash);
  CHECK(log.topics == std::vector<Hash>{topic});
  const auto event = AbiEvent::Parse("Ping(uint256 value)");
  const auto values = event->Decode(log.topics, log.data);
  REQUIRE(values.ok());
  CHECK(std::get<Uint256>(values->front().value) == 255);
  const auto by_hash = client->GetLogs({.block_hash = pinged.block_hash});
  REQUIRE(by_hash.ok());
  CHECK(by_hash->size() == 1);
}

TEST_CASE("the client rides out a node restart", "[anvil]") {
  testing::PrivateEnvironment own;
  auto client = ClientFor(own.environment().rpc_url);
  REQUIRE(client->BlockNumber().ok());
  std::thread restart([&] { own.RestartAnvil(); });
  absl::SleepFor(absl::Milliseconds(20));
  absl::Status during;
  for (int i = 0; i < 5; ++i) during.Update(client->BlockNumber().status());
  restart.join();
  CHECK(during.ok());
  CHECK(*client->ChainId() == 31337);
}

}  // namespace
}  // namespace chainsync::evm
