// Mirroring balances on chain with the oracle binary, the Bitcoin API
// simulator, anvil and a real Postgres: a change is synced once, a batch of
// accounts in one transaction, and kill -9 at any instant never sends twice.
#include <signal.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/bitcoin/address.h"
#include "libs/evm/contract_abi.h"
#include "libs/evm/keccak.h"
#include "tests/services/oracle/oracle_test_support.h"
#include "tests/support/rpc_proxy.h"

namespace chainsync::oracle {
namespace {

using bitcoin::Network;

// The chain the helpers below read: the shared one, or a test's own.
const OracleChain* current_chain = nullptr;

// ChainInUse points the helpers at a test's own chain while it lives, so a
// later test never reads a chain that is gone.
class ChainInUse {
 public:
  explicit ChainInUse(const OracleChain& chain) { current_chain = &chain; }
  ~ChainInUse() { current_chain = nullptr; }
  ChainInUse(const ChainInUse&) = delete;
  ChainInUse& operator=(const ChainInUse&) = delete;
};

const OracleChain& CurrentChain() {
  return current_chain != nullptr ? *current_chain : OracleChain::Shared();
}

evm::JsonRpcClient& Chain() { return CurrentChain().workload->client(); }

evm::Address Aggregator() {
  return CurrentChain()
      .workload->deployment()
      .Find("OracleAggregator")
      ->address;
}

// SyncedOnChain is OracleAggregator.syncedBalance of `account`.
uint64_t SyncedOnChain(const evm::Address& account) {
  const auto function =
      *evm::AbiFunction::Parse("syncedBalance(address) returns (uint256)");
  const auto output = Chain().EthCall(
      {.to = Aggregator(), .data = *function.EncodeCall({account})},
      evm::BlockRef::Latest());
  REQUIRE(output.ok());
  return static_cast<uint64_t>(
      std::get<evm::Uint256>(function.DecodeOutput(*output)->front().value));
}

// SyncedEvents are the newBalance of every Synced event for `account`.
std::vector<uint64_t> SyncedEvents(const evm::Address& account) {
  evm::Hash user{};
  const auto bytes = account.bytes();
  std::copy(bytes.begin(), bytes.end(), user.begin() + 12);
  const auto logs = Chain().GetLogs(
      {.from_block = 0,
       .to_block = *Chain().BlockNumber(),
       .addresses = {Aggregator()},
       .topics = {{evm::Keccak256("Synced(address,uint256,uint256,uint256)")},
                  {user}}});
  REQUIRE(logs.ok());
  std::vector<uint64_t> balances;
  for (const evm::Log& log : *logs) {
    // previousBalance, newBalance, fee: newBalance is the second word.
    balances.push_back(static_cast<uint64_t>(
        evm::FromBigEndian(evm::ByteSpan(log.data).subspan(32, 32))));
  }
  return balances;
}

// Eventually polls `condition` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(10)) {
  for (const absl::Time deadline = absl::Now() + timeout;
       absl::Now() < deadline; absl::SleepFor(absl::Milliseconds(50))) {
    if (condition()) return true;
  }
  return condition();
}

// WaitForSynced waits until the chain holds `sats` for the account.
bool WaitForSynced(const evm::Address& account, uint64_t sats) {
  return Eventually([&] { return SyncedOnChain(account) == sats; },
                    absl::Seconds(30));
}

// ForceSync reads the account now and returns the total it found.
uint64_t ForceSync(OracleProcess& oracle, const evm::Address& account) {
  return std::stoull(ForceUserSync(oracle, account).bitcoin_balance_sats());
}

v1::UserSyncStatus StatusOf(OracleProcess& oracle,
                            const evm::Address& account) {
  v1::GetUserSyncStatusRequest request;
  request.set_address(account.ToLowerHex());
  v1::UserSyncStatus status;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().GetUserSyncStatus(&context, request, &status).ok());
  return status;
}

int64_t Operations(const testing::ScopedDatabase& database,
                   const std::string& where = "true") {
  return *database.Connect()
              ->Exec(absl::StrCat("SELECT count(*) FROM oracle.operations "
                                  "WHERE ",
                                  where))
              ->GetInt64(0, 0);
}

TEST_CASE(
    "a changed balance is synced on chain once, and again when it "
    "changes",
    "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  const evm::Address account = AccountOf(1);
  const std::string address = RegisterAddress(oracle, 71, account);

  FundAndRead(oracle, sim, address, account, 120'000);
  REQUIRE(WaitForSynced(account, 120'000));
  // Nothing changed: nothing is sent.
  ForceSync(oracle, account);
  absl::SleepFor(absl::Seconds(1));
  CHECK(Operations(database) == 1);
  {
    // The status, the operations log and the users list say so.
    const v1::UserSyncStatus status = StatusOf(oracle, account);
    CHECK(status.state() == v1::USER_SYNC_STATE_SYNCED);
    CHECK(status.onchain_balance_sats() == "120000");
    CHECK(status.last_transaction_hash().size() == 66);
    CHECK_FALSE(status.has_pending_operation());
    v1::ListOperationsRequest list;
    list.set_address(account.ToLowerHex());
    v1::ListOperationsResponse operations;
    grpc::ClientContext list_context;
    REQUIRE(
        oracle.stub().ListOperations(&list_context, list, &operations).ok());
    REQUIRE(operations.operations_size() == 1);
    CHECK(operations.operations(0).kind() == v1::OPERATION_KIND_SYNC);
    CHECK(operations.operations(0).new_balance_sats() == "120000");
    CHECK(operations.operations(0).previous_balance_sats() == "0");
    CHECK(operations.operations(0).transaction_hash() ==
          status.last_transaction_hash());
    CHECK(operations.operations(0).block_number() > 0);
    v1::ListUsersResponse users;
    grpc::ClientContext users_context;
    REQUIRE(oracle.stub().ListUsers(&users_context, {}, &users).ok());
    REQUIRE(users.users_size() == 1);
    CHECK(users.users(0).address() == account.ToChecksumHex());
  }

  sim.Spend("regtest", address, 20'000);
  sim.Mine("regtest", 1);
  const uint64_t spent = ForceSync(oracle, account);
  CHECK(spent < 100'000);
  REQUIRE(WaitForSynced(account, spent));
  const std::vector<uint64_t> events = SyncedEvents(account);
  REQUIRE(events.size() == 2);
  CHECK(events[0] == 120'000);
  CHECK(events[1] == spent);
  CHECK(Operations(database) == 2);
  // The operations become final under the confirmations.
  Chain().Call("evm_mine", "[]").IgnoreError();
  Chain().Call("evm_mine", "[]").IgnoreError();
  CHECK(Eventually(
      [&] { return Operations(database, "state = 'confirmed'") == 2; }));
}

TEST_CASE(
    "an account whose addresses were all removed is mirrored as holding "
    "nothing",
    "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  const evm::Address account = AccountOf(7);
  const std::string address = RegisterAddress(oracle, 104, account);
  FundAndRead(oracle, sim, address, account, 40'000);
  REQUIRE(WaitForSynced(account, 40'000));
  // The Bitcoin is no longer vouched for: the sweep burns its rBTC.
  v1::RemoveBitcoinAddressRequest remove;
  remove.set_address(account.ToLowerHex());
  remove.set_bitcoin_address(address);
  v1::RemoveBitcoinAddressResponse left;
  grpc::ClientContext remove_context;
  REQUIRE(
      oracle.stub().RemoveBitcoinAddress(&remove_context, remove, &left).ok());
  CHECK(left.bitcoin_addresses_size() == 0);
  v1::SweepStatus status;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().ForceSweep(&context, {}, &status).ok());
  CHECK(WaitForSynced(account, 0));
  CHECK(SyncedEvents(account) == std::vector<uint64_t>{40'000, 0});
}

TEST_CASE("accounts due together are synced in one syncBatch transaction",
          "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  v1::SweepStatus status;
  {
    v1::UpdateSweepConfigRequest request;
    request.mutable_config()->set_batch_size(10);
    request.mutable_config()->mutable_batch_pause()->set_nanos(0);
    request.mutable_update_mask()->add_paths("batch_size");
    request.mutable_update_mask()->add_paths("batch_pause");
    grpc::ClientContext context;
    REQUIRE(oracle.stub().UpdateSweepConfig(&context, request, &status).ok());
  }
  std::vector<evm::Address> accounts;
  for (uint8_t i = 0; i < 5; ++i) {
    accounts.push_back(AccountOf(static_cast<uint8_t>(20 + i)));
    sim.Fund("regtest", RegisterAddress(oracle, 80 + i, accounts.back()),
             1'000 * (i + 1));
  }
  sim.Mine("regtest", 1);
  grpc::ClientContext context;
  REQUIRE(oracle.stub().ForceSweep(&context, {}, &status).ok());
  for (size_t i = 0; i < accounts.size(); ++i) {
    CHECK(WaitForSynced(accounts[i], 1'000 * (i + 1)));
  }
  CHECK(Operations(database) == 1);
}

TEST_CASE("kill -9 at any instant of a sync never sends it twice",
          "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  const evm::Address account = AccountOf(2);
  std::string address;
  std::mt19937 random(42);
  uint64_t total = 0;
  for (int round = 0; round < 8; ++round) {
    OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
    if (address.empty()) address = RegisterAddress(oracle, 90, account);
    sim.Fund("regtest", address, 10'000);
    total += 10'000;
    sim.Mine("regtest", 1);
    v1::ForceUserSyncRequest request;
    request.set_address(account.ToLowerHex());
    v1::UserSyncStatus ignored;
    grpc::ClientContext context;
    // The answer may never come: the process dies under it.
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    std::thread force(
        [&] { oracle.stub().ForceUserSync(&context, request, &ignored); });
    absl::SleepFor(absl::Milliseconds(random() % 400));
    oracle.process().Signal(SIGKILL);
    force.join();
    (void)oracle.process().Wait(absl::Seconds(10));
  }
  // The last oracle settles what the others left, and syncs the rest.
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  ForceSync(oracle, account);
  REQUIRE(WaitForSynced(account, total));
  const std::vector<uint64_t> events = SyncedEvents(account);
  INFO(absl::StrJoin(events, ","));
  // Every change mirrored at most once, in order, ending at the total.
  for (size_t i = 1; i < events.size(); ++i) CHECK(events[i] > events[i - 1]);
  CHECK(events.back() == total);
  // The journal catches up with the chain at its next round.
  CHECK(Eventually([&] {
    return Operations(database, "state IN ('planned', 'broadcast')") == 0;
  }));
}

// HeldNode is a JSON-RPC proxy in front of anvil that can hold the oracle's
// eth_sendRawTransaction at the node's door (the operation journaled, not
// yet sent) or after the node took it (sent, the answer not yet back), so a
// test can kill the oracle at exactly that step.
class HeldNode {
 public:
  enum class Hold { kNone, kBeforeNode, kAfterNode };

  explicit HeldNode(std::string upstream)
      : state_(std::make_shared<State>()),
        proxy_(std::move(upstream),
               [state = state_](const HttpRequest& request,
                                testing::RpcProxy::Forward forward) {
                 return state->Answer(request, forward);
               }) {}

  std::string url() const { return proxy_.url(); }

  void HoldSends(Hold hold) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->hold = hold;
  }
  // WaitForHeld waits until a send is held; false after 10 s.
  bool WaitForHeld() {
    std::unique_lock<std::mutex> lock(state_->mu);
    return state_->changed.wait_for(lock, std::chrono::seconds(10),
                                    [&] { return state_->held > 0; });
  }
  // Release lets held sends go on, and holds no more.
  void Release() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->hold = Hold::kNone;
    }
    state_->changed.notify_all();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable changed;
    Hold hold = Hold::kNone;
    int held = 0;

    void WaitWhileHeld() {
      std::unique_lock<std::mutex> lock(mu);
      ++held;
      changed.notify_all();
      changed.wait(lock, [&] { return hold == Hold::kNone; });
      --held;
    }

    HttpResponse Answer(const HttpRequest& request,
                        const testing::RpcProxy::Forward& forward) {
      Hold now;
      {
        std::lock_guard<std::mutex> lock(mu);
        now = absl::StrContains(request.body, "eth_sendRawTransaction")
                  ? hold
                  : Hold::kNone;
      }
      if (now == Hold::kBeforeNode) {
        WaitWhileHeld();
        // Its sender is gone: the node never sees it.
        return HttpResponse::Text(503, "held");
      }
      HttpResponse answer = forward();
      if (now == Hold::kAfterNode) WaitWhileHeld();
      return answer;
    }
  };

  std::shared_ptr<State> state_;
  testing::RpcProxy proxy_;
};

TEST_CASE(
    "kill -9 after the journal, after the broadcast and before the receipt: "
    "every change mirrored exactly once",
    "[oracle][binary][mirror]") {
  // Blocks mined by hand at one step: an anvil of the test's own.
  testing::PrivateEnvironment own;
  const OracleChain chain = OracleChain::Deploy(own.environment().rpc_url);
  const ChainInUse in_use(chain);
  HeldNode node(chain.rpc_url);
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  const evm::Address account = AccountOf(9);
  std::string address;
  std::vector<uint64_t> changes;
  enum Step { kAfterJournal, kAfterBroadcast, kBeforeReceipt, kSteps };
  for (int round = 0; round < 3 * kSteps; ++round) {
    const auto step = static_cast<Step>(round % kSteps);
    INFO("round " << round << ", step " << step);
    OracleProcess oracle(database, sim,
                         {"--btc_confirmations=1", "--rpc_url=" + node.url()},
                         {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}, chain);
    if (address.empty()) address = RegisterAddress(oracle, 106, account);
    // What the last oracle left is settled first.
    REQUIRE(Eventually([&] {
      return Operations(database, "state IN ('planned', 'broadcast')") == 0;
    }));
    sim.Fund("regtest", address, 10'000);
    sim.Mine("regtest", 1);
    changes.push_back(10'000 * (changes.size() + 1));
    if (step == kAfterJournal) node.HoldSends(HeldNode::Hold::kBeforeNode);
    if (step == kAfterBroadcast) node.HoldSends(HeldNode::Hold::kAfterNode);
    if (step == kBeforeReceipt) {
      REQUIRE(Chain().Call("evm_setAutomine", "[false]").ok());
    }
    ForceSync(oracle, account);
    if (step == kBeforeReceipt) {
      REQUIRE(Eventually(
          [&] { return Operations(database, "state = 'broadcast'") == 1; }));
    } else {
      REQUIRE(node.WaitForHeld());
      // Journaled; whether the node took it, the oracle has not heard.
      CHECK(Operations(database, "state = 'planned'") == 1);
    }
    oracle.process().Signal(SIGKILL);
    (void)oracle.process().Wait(absl::Seconds(10));
    node.Release();
    if (step == kBeforeReceipt) {
      REQUIRE(Chain().Call("evm_mine", "[]").ok());
      REQUIRE(Chain().Call("evm_setAutomine", "[true]").ok());
    }
  }
  OracleProcess oracle(database, sim,
                       {"--btc_confirmations=1", "--rpc_url=" + node.url()},
                       {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}, chain);
  REQUIRE(WaitForSynced(account, changes.back()));
  // Every change once, in order: none lost, none sent twice.
  CHECK(SyncedEvents(account) == changes);
  CHECK(Operations(database) == static_cast<int64_t>(changes.size()));
}

TEST_CASE("a sync a reorg took out is sent again, once",
          "[oracle][binary][mirror]") {
  // A revert changes the whole chain: an anvil of the test's own.
  testing::PrivateEnvironment own;
  const OracleChain chain = OracleChain::Deploy(own.environment().rpc_url);
  const ChainInUse in_use(chain);
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"},
                       {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}, chain);
  const evm::Address account = AccountOf(3);
  const std::string address = RegisterAddress(oracle, 100, account);
  sim.Fund("regtest", address, 55'000);
  sim.Mine("regtest", 1);
  const auto snapshot = Chain().Call("evm_snapshot", "[]");
  REQUIRE(snapshot.ok());
  ForceSync(oracle, account);
  REQUIRE(WaitForSynced(account, 55'000));
  // The oracle saw it mined before the chain forgot it.
  REQUIRE(
      Eventually([&] { return Operations(database, "state = 'mined'") == 1; }));
  REQUIRE(Chain().Call("evm_revert", absl::StrCat("[", *snapshot, "]")).ok());
  CHECK(SyncedOnChain(account) == 0);

  REQUIRE(WaitForSynced(account, 55'000));
  CHECK(SyncedEvents(account) == std::vector<uint64_t>{55'000});
  // The same journaled operation, not a new one.
  CHECK(Operations(database) == 1);
  CHECK(oracle.process()
            .WaitForLine("a reorg removed its block", absl::Seconds(5))
            .has_value());
}

TEST_CASE("a sync the node lost is sent again at once, and mined once",
          "[oracle][binary][mirror]") {
  // Blocks mined by hand, on an anvil of the test's own.
  testing::PrivateEnvironment own;
  const OracleChain chain = OracleChain::Deploy(own.environment().rpc_url);
  const ChainInUse in_use(chain);
  REQUIRE(Chain().Call("evm_setAutomine", "[false]").ok());
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"},
                       {{"CHAINSYNC_PROFILE_KEYS", kProfileKeys}}, chain);
  const evm::Address account = AccountOf(8);
  const std::string address = RegisterAddress(oracle, 105, account);
  FundAndRead(oracle, sim, address, account, 35'000);
  REQUIRE(Eventually(
      [&] { return Operations(database, "state = 'broadcast'") == 1; }));
  const std::string hash(database.Connect()
                             ->Exec("SELECT '0x' || encode(tx_hash, 'hex') "
                                    "FROM oracle.operations")
                             ->Get(0, 0));
  REQUIRE(
      Chain()
          .Call("anvil_dropTransaction", absl::StrCat(R"([")", hash, R"("])"))
          .ok());
  CHECK(oracle.process()
            .WaitForLine("nonce gap repaired", absl::Seconds(10))
            .has_value());
  REQUIRE(Chain().Call("evm_mine", "[]").ok());
  REQUIRE(WaitForSynced(account, 35'000));
  CHECK(SyncedEvents(account) == std::vector<uint64_t>{35'000});
  CHECK(Operations(database) == 1);
}

v1::SweepStatus SweepStatusOf(OracleProcess& oracle) {
  v1::SweepStatus status;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().GetSweepStatus(&context, {}, &status).ok());
  return status;
}

TEST_CASE("of two oracles one sends, and the standby takes over after kill -9",
          "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  auto first = std::make_unique<OracleProcess>(
      database, sim, std::vector<std::string>{"--btc_confirmations=1"});
  REQUIRE(first->process()
              .WaitForLine("sender lock acquired", absl::Seconds(10))
              .has_value());
  OracleProcess standby(database, sim, {"--btc_confirmations=1"});
  // Only the sender sweeps: the Bitcoin API is read once per interval.
  CHECK(Eventually(
      [&] { return SweepStatusOf(*first).stats().sweeps_completed() > 0; }));
  CHECK(SweepStatusOf(standby).standby());
  CHECK(SweepStatusOf(standby).stats().sweeps_completed() == 0);
  const evm::Address account = AccountOf(4);
  const std::string address = RegisterAddress(standby, 101, account);
  // The standby reads the account, but only the sender sends.
  FundAndRead(standby, sim, address, account, 77'000);
  REQUIRE(WaitForSynced(account, 77'000));

  first->process().Signal(SIGKILL);
  (void)first->process().Wait(absl::Seconds(10));
  first.reset();
  REQUIRE(standby.process()
              .WaitForLine("sender lock acquired", absl::Seconds(10))
              .has_value());
  // The new sender sweeps at once: its schedule was due.
  CHECK(Eventually(
      [&] { return SweepStatusOf(standby).stats().sweeps_completed() > 0; }));
  CHECK_FALSE(SweepStatusOf(standby).standby());
  FundAndRead(standby, sim, address, account, 3'000);
  REQUIRE(WaitForSynced(account, 80'000));
  CHECK(SyncedEvents(account) == std::vector<uint64_t>{77'000, 80'000});
}

v1::EmergencyBurnStats BurnStats(OracleProcess& oracle) {
  v1::EmergencyBurnStats stats;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().GetEmergencyBurnStats(&context, {}, &stats).ok());
  return stats;
}

TEST_CASE(
    "an admin's emergency burn is journaled, mined and recorded, and "
    "the account synced no more",
    "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  OracleProcess oracle(database, sim, {"--btc_confirmations=1"});
  const evm::Address account = AccountOf(5);
  FundAndRead(oracle, sim, RegisterAddress(oracle, 102, account), account,
              50'000);
  REQUIRE(WaitForSynced(account, 50'000));

  v1::TriggerEmergencyBurnRequest request;
  request.set_address(account.ToLowerHex());
  request.set_reason("keys compromised");
  v1::OracleOperation burn;
  grpc::ClientContext context;
  REQUIRE(oracle.stub().TriggerEmergencyBurn(&context, request, &burn).ok());
  CHECK(burn.kind() == v1::OPERATION_KIND_EMERGENCY_BURN);
  CHECK(burn.id() > 0);
  CHECK(burn.previous_balance_sats() == "50000");
  REQUIRE(WaitForSynced(account, 0));
  Chain().Call("evm_mine", "[]").IgnoreError();
  Chain().Call("evm_mine", "[]").IgnoreError();
  REQUIRE(Eventually([&] { return BurnStats(oracle).confirmed_burns() > 0; }));
  const v1::EmergencyBurnStats stats = BurnStats(oracle);
  CHECK(stats.confirmed_burns() == 1);
  CHECK(stats.total_burned_sats() == "50000");
  CHECK(stats.affected_accounts() == 1);
  CHECK(stats.has_last_burn_time());
  // The next read does not mint it back.
  const uint64_t total = ForceSync(oracle, account);
  CHECK(total == 50'000);
  absl::SleepFor(absl::Seconds(1));
  CHECK(SyncedOnChain(account) == 0);
  // Refusals name the problem.
  request.set_reason("");
  grpc::ClientContext refused;
  CHECK(oracle.stub()
            .TriggerEmergencyBurn(&refused, request, &burn)
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("a sync whose fee cannot be paid burns instead, once",
          "[oracle][binary][mirror]") {
  testing::ScopedDatabase database;
  testing::BtcsimProcess sim;
  // No account has a FeeVault deposit.
  OracleProcess oracle(database, sim,
                       {"--btc_confirmations=1", "--sync_fee_wei=1000"});
  const evm::Address account = AccountOf(6);
  FundAndRead(oracle, sim, RegisterAddress(oracle, 103, account), account,
              9'000);
  REQUIRE(Eventually([&] {
    return Operations(database, "state IN ('mined', 'confirmed')") == 1;
  }));
  absl::SleepFor(absl::Seconds(1));
  CHECK(SyncedOnChain(account) == 0);
  CHECK(SyncedEvents(account).empty());
  // One transaction, then the account is stopped, not retried forever.
  CHECK(Operations(database) == 1);
  CHECK(StatusOf(oracle, account).state() == v1::USER_SYNC_STATE_STOPPED);
  CHECK(BurnStats(oracle).affected_accounts() == 1);
}

}  // namespace
}  // namespace chainsync::oracle
