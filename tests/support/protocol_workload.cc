#include "tests/support/protocol_workload.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/evm/keccak.h"
#include "libs/evm/transaction_sender.h"

namespace chainsync::testing {
namespace {

[[noreturn]] void Fail(const absl::Status& status, absl::string_view step) {
  std::fprintf(stderr, "protocol workload: %s: %s\n", std::string(step).c_str(),
               status.ToString().c_str());
  std::abort();
}

template <typename T>
T Must(absl::StatusOr<T> value, absl::string_view step) {
  if (!value.ok()) Fail(value.status(), step);
  return *std::move(value);
}

// Mined sends a transaction and returns its receipt. In full-suite runs,
// with other clients busy on the node, anvil has accepted a transaction and
// then never mined it (the cause is not known). Asking for a block comes
// first; a transaction still not mined then is dropped from the pool and
// sent again, once, with what the node reports logged for diagnosis.
evm::Receipt Mined(evm::JsonRpcClient& client, evm::TransactionSender& sender,
                   const evm::TransactionSender::Call& call,
                   absl::string_view step) {
  evm::Hash hash = Must(sender.Send(call), step);
  absl::StatusOr<evm::Receipt> receipt = sender.Wait(hash, absl::Seconds(10));
  if (!absl::IsDeadlineExceeded(receipt.status())) {
    return Must(std::move(receipt), step);
  }
  Must(client.Call("evm_mine", "[]"), "evm_mine");
  receipt = sender.Wait(hash, absl::Seconds(5));
  if (!absl::IsDeadlineExceeded(receipt.status())) {
    return Must(std::move(receipt), step);
  }
  const std::string quoted = absl::StrCat("[\"", evm::ToHex(hash), "\"]");
  std::fprintf(
      stderr,
      "protocol workload: %s: %s not mined; node says transaction %s, pool "
      "%s; sending again\n",
      std::string(step).c_str(), evm::ToHex(hash).c_str(),
      client.Call("eth_getTransactionByHash", quoted).value_or("?").c_str(),
      client.Call("txpool_status", "[]").value_or("?").c_str());
  Must(client.Call("anvil_dropTransaction", quoted), "anvil_dropTransaction");
  hash = Must(sender.Send(call), step);
  return Must(sender.Wait(hash, absl::Seconds(50)), step);
}

// FundedKey makes a fresh key for `role`, funded on the chain; `hex`, when
// given, receives the key.
std::unique_ptr<evm::LocalKeySigner> FundedKey(evm::JsonRpcClient& client,
                                               absl::string_view role,
                                               std::string* hex = nullptr) {
  static std::atomic<int> counter{0};
  const std::string key = evm::ToHex(evm::Keccak256(
      absl::StrCat("workload ", role, " ", getpid(), " ", counter++, " ",
                   absl::ToUnixNanos(absl::Now()))));
  if (hex != nullptr) *hex = key;
  auto signer = Must(evm::LocalKeySigner::Create(Secret(key)), "key");
  Must(client.Call("anvil_setBalance",
                   absl::StrCat(R"([")", signer->address().ToLowerHex(),
                                R"(","0x56bc75e2d63100000"])")),
       "funding");
  return signer;
}

std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", text, "\"");
}
std::string Hex(const evm::Address& address) {
  return Quoted(address.ToChecksumHex());
}
constexpr char kZero[] = "\"0x0000000000000000000000000000000000000000\"";

}  // namespace

std::unique_ptr<ProtocolWorkload> ProtocolWorkload::Deploy(
    const std::string& rpc_url) {
  std::unique_ptr<ProtocolWorkload> workload(new ProtocolWorkload);
  workload->client_ =
      Must(evm::JsonRpcClient::Create({.endpoints = {rpc_url}}), "client");
  workload->deployer_ = FundedKey(*workload->client_, "deployer");
  workload->committee_ =
      FundedKey(*workload->client_, "committee", &workload->committee_key_);
  workload->publisher_ =
      FundedKey(*workload->client_, "publisher", &workload->publisher_key_);
  for (const char* user : {"alice", "bob", "carol"}) {
    workload->users_.push_back(FundedKey(*workload->client_, user));
  }
  workload->deployment_ =
      Must(contracts::DeployReferenceProtocol(
               *workload->client_, *workload->deployer_,
               {.artifacts_dir = CHAINSYNC_CONTRACTS_ARTIFACTS_DIR,
                .committee = workload->committee_->address(),
                .yield_minimum_sats = 10'000,
                .publisher = workload->publisher_->address()}),
           "deployment");
  return workload;
}

void ProtocolWorkload::Sync(size_t user, uint64_t sats) {
  const evm::AbiFunction sync =
      Must(evm::AbiFunction::Parse("sync(address,uint256,uint256)"), "sync");
  evm::TransactionSender sender(*client_, *committee_, deployment_.chain_id);
  Mined(*client_, sender,
        {.to = deployment_.Find("OracleAggregator")->address,
         .data = Must(sync.EncodeCall({users_.at(user)->address(),
                                       evm::Uint256(sats), evm::Uint256(0)}),
                      "sync")},
        "sync");
}

std::vector<evm::Address> ProtocolWorkload::holders() const {
  std::vector<evm::Address> holders;
  for (const auto& user : users_) holders.push_back(user->address());
  holders.push_back(deployment_.Find("WrappedRBTC")->address);
  return holders;
}

std::vector<ExpectedEvent> ProtocolWorkload::Run() {
  const auto address_of = [&](absl::string_view name) {
    return deployment_.Find(name)->address;
  };
  const evm::Address wrbtc = address_of("WrappedRBTC");
  const evm::Address vault = address_of("FeeVault");
  const evm::Address oracle = address_of("OracleAggregator");
  const evm::Address pool = address_of("YieldScalesPool");
  const evm::Address a = users_[0]->address();
  const evm::Address b = users_[1]->address();
  const evm::Address c = users_[2]->address();

  std::vector<ExpectedEvent> expected = {
      {"RBTCSynth", "OracleChanged",
       absl::StrCat(R"({"oracle":)", Hex(oracle), "}")},
      {"RBTCSynth", "WrapperChanged",
       absl::StrCat(R"({"wrapper":)", Hex(wrbtc), "}")},
      {"FeeVault", "OracleChanged",
       absl::StrCat(R"({"oracle":)", Hex(oracle), "}")},
  };
  // Sends `signature(arguments)` from `signer` to `contract` and returns the
  // mined block's timestamp.
  const auto send = [&](evm::Signer& signer, const evm::Address& contract,
                        absl::string_view signature,
                        const std::vector<evm::AbiValue>& arguments,
                        evm::Uint256 value = 0) -> std::string {
    const evm::AbiFunction function =
        Must(evm::AbiFunction::Parse(signature), signature);
    evm::TransactionSender sender(*client_, signer, deployment_.chain_id);
    const evm::Receipt receipt =
        Mined(*client_, sender,
              {.to = contract,
               .data = Must(function.EncodeCall(arguments), signature),
               .value = value},
              signature);
    const auto block = Must(
        client_->GetBlockByNumber(evm::BlockRef::Number(receipt.block_number)),
        "block");
    return Quoted(absl::StrCat(block->timestamp));
  };
  const auto add = [&](const char* contract, const char* event,
                       std::string json) {
    expected.push_back({contract, event, std::move(json)});
  };
  const auto transfer = [&](const char* contract, absl::string_view from,
                            absl::string_view to, uint64_t value) {
    add(contract, "Transfer",
        absl::StrCat(R"({"from":)", from, R"(,"to":)", to, R"(,"value":")",
                     value, "\"}"));
  };

  send(*users_[0], vault, "deposit()", {},
       evm::Uint256(1'000'000'000'000'000ULL));
  add("FeeVault", "Deposited",
      absl::StrCat(R"({"account":)", Hex(a),
                   R"(,"amount":"1000000000000000"})"));

  send(*committee_, oracle, "sync(address,uint256,uint256)",
       {a, evm::Uint256(150000), evm::Uint256(1000)});
  add("FeeVault", "FeeCharged",
      absl::StrCat(R"({"account":)", Hex(a), R"(,"amount":"1000"})"));
  transfer("RBTCSynth", kZero, Hex(a), 150000);
  add("OracleAggregator", "Synced",
      absl::StrCat(
          R"({"user":)", Hex(a),
          R"(,"previousBalance":"0","newBalance":"150000","fee":"1000"})"));

  send(*committee_, oracle, "sync(address,uint256,uint256)",
       {b, evm::Uint256(50000), evm::Uint256(0)});
  transfer("RBTCSynth", kZero, Hex(b), 50000);
  add("OracleAggregator", "Synced",
      absl::StrCat(
          R"({"user":)", Hex(b),
          R"(,"previousBalance":"0","newBalance":"50000","fee":"0"})"));

  send(*users_[0], wrbtc, "wrap(uint256)", {evm::Uint256(40000)});
  transfer("RBTCSynth", Hex(a), Hex(wrbtc), 40000);
  transfer("WrappedRBTC", kZero, Hex(a), 40000);
  add("WrappedRBTC", "Wrapped",
      absl::StrCat(R"({"account":)", Hex(a), R"(,"amount":"40000"})"));

  send(*users_[0], wrbtc, "transfer(address,uint256)",
       {b, evm::Uint256(10000)});
  transfer("WrappedRBTC", Hex(a), Hex(b), 10000);

  // A transfer to oneself: the balance moves out and back in at one log.
  send(*users_[0], wrbtc, "transfer(address,uint256)", {a, evm::Uint256(2500)});
  transfer("WrappedRBTC", Hex(a), Hex(a), 2500);

  send(*users_[1], wrbtc, "unwrap(uint256)", {evm::Uint256(5000)});
  transfer("WrappedRBTC", Hex(b), kZero, 5000);
  transfer("RBTCSynth", Hex(wrbtc), Hex(b), 5000);
  add("WrappedRBTC", "Unwrapped",
      absl::StrCat(R"({"account":)", Hex(b), R"(,"amount":"5000"})"));

  send(*committee_, oracle, "sync(address,uint256,uint256)",
       {a, evm::Uint256(120000), evm::Uint256(1000)});
  add("FeeVault", "FeeCharged",
      absl::StrCat(R"({"account":)", Hex(a), R"(,"amount":"1000"})"));
  transfer("RBTCSynth", Hex(a), kZero, 30000);
  add("OracleAggregator", "Synced",
      absl::StrCat(
          R"({"user":)", Hex(a),
          R"(,"previousBalance":"150000","newBalance":"120000","fee":"1000"})"));

  // Bob deposited nothing: his fee cannot be paid, and his rBTC is burned.
  send(*committee_, oracle, "sync(address,uint256,uint256)",
       {b, evm::Uint256(60000), evm::Uint256(500)});
  transfer("RBTCSynth", Hex(b), kZero, 55000);
  add("OracleAggregator", "EmergencyBurn",
      absl::StrCat(
          R"({"user":)", Hex(b),
          R"(,"amount":"55000","reason":"insufficient fee balance"})"));

  send(*committee_, oracle, "sync(address,uint256,uint256)",
       {c, evm::Uint256(20000), evm::Uint256(0)});
  transfer("RBTCSynth", kZero, Hex(c), 20000);
  add("OracleAggregator", "Synced",
      absl::StrCat(
          R"({"user":)", Hex(c),
          R"(,"previousBalance":"0","newBalance":"20000","fee":"0"})"));

  std::string time = send(*users_[0], pool, "joinPool()", {});
  add("YieldScalesPool", "ParticipantJoined",
      absl::StrCat(R"({"account":)", Hex(a),
                   R"(,"balance":"80000","timestamp":)", time, "}"));
  time = send(*users_[2], pool, "joinPool()", {});
  add("YieldScalesPool", "ParticipantJoined",
      absl::StrCat(R"({"account":)", Hex(c),
                   R"(,"balance":"20000","timestamp":)", time, "}"));
  time = send(*users_[0], pool, "leavePool()", {});
  add("YieldScalesPool", "ParticipantLeft",
      absl::StrCat(R"({"account":)", Hex(a), R"(,"timestamp":)", time, "}"));

  send(*users_[0], vault, "withdraw(uint256)",
       {evm::Uint256(100'000'000'000'000ULL)});
  add("FeeVault", "Withdrawn",
      absl::StrCat(R"({"account":)", Hex(a),
                   R"(,"amount":"100000000000000"})"));

  send(*committee_, oracle, "emergencyBurn(address,string)",
       {c, std::string("key compromise")});
  transfer("RBTCSynth", Hex(c), kZero, 20000);
  add("OracleAggregator", "EmergencyBurn",
      absl::StrCat(R"({"user":)", Hex(c),
                   R"(,"amount":"20000","reason":"key compromise"})"));
  return expected;
}

}  // namespace chainsync::testing
