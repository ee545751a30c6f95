// Disputes through the reconciler binary, over a real oracle, anvil and the
// Bitcoin API simulator: a false claim is rejected with the evidence, a
// right one resolved by one corrective sync, a second open dispute refused,
// others' disputes invisible; with the Bitcoin API down a dispute waits,
// saying why, until an admin decides.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "contracts/deploy/protocol_abi.h"
#include "tests/services/reconciler/reconciler_process.h"

namespace chainsync::reconciler {
namespace {

// Call makes a call as the gateway does for a verified token: as `subject`,
// an admin or not. An empty subject calls from inside the cluster.
struct As {
  std::string subject;
  bool admin = false;

  void On(grpc::ClientContext& context) const {
    if (subject.empty()) return;
    context.AddMetadata("x-chainsync-subject", subject);
    context.AddMetadata("x-chainsync-role", admin ? "admin" : "user");
  }
};

grpc::Status File(ReconcilerProcess& reconciler, const As& as,
                  const evm::Address& account, const std::string& claimed,
                  v1::Dispute* dispute) {
  v1::FileDisputeRequest request;
  request.set_address(account.ToLowerHex());
  request.set_claimed_balance_sats(claimed);
  request.set_reason("my wallet shows a different balance");
  grpc::ClientContext context;
  as.On(context);
  return reconciler.stub().FileDispute(&context, request, dispute);
}

grpc::Status Get(ReconcilerProcess& reconciler, const As& as,
                 const std::string& id, v1::Dispute* dispute) {
  v1::GetDisputeRequest request;
  request.set_dispute_id(id);
  grpc::ClientContext context;
  as.On(context);
  return reconciler.stub().GetDispute(&context, request, dispute);
}

// Settled waits until the dispute is closed and returns it.
v1::Dispute Settled(ReconcilerProcess& reconciler, const std::string& id) {
  v1::Dispute dispute;
  for (int i = 0; i < 300; ++i) {
    REQUIRE(Get(reconciler, {}, id, &dispute).ok());
    if (dispute.status() == v1::DISPUTE_STATUS_RESOLVED ||
        dispute.status() == v1::DISPUTE_STATUS_REJECTED) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return dispute;
}

uint64_t RbtcOf(const oracle::OracleChain& chain, const evm::Address& account) {
  const auto output = chain.workload->client().EthCall(
      {.to = chain.workload->deployment().Find("RBTCSynth")->address,
       .data = *contracts::protocol::BalanceOf().EncodeCall({account})},
      evm::BlockRef::Latest());
  REQUIRE(output.ok());
  return static_cast<uint64_t>(evm::FromBigEndian(*output));
}

TEST_CASE(
    "a false claim is rejected, a right one resolved by one corrective sync, "
    "and a dispute is its owner's alone",
    "[reconciler][binary][disputes]") {
  OwnOracle own;
  const oracle::OracleChain& chain = own.chain;
  oracle::OracleProcess& oracle = own.process;
  // Only what is asked for is synced: the sweep does not correct the
  // mirror behind the dispute's back.
  oracle::v1::SweepStatus sweep;
  grpc::ClientContext stop_context;
  REQUIRE(oracle.stub().StopSweep(&stop_context, {}, &sweep).ok());
  const evm::Address account = oracle::AccountOf(41);
  const std::string address = oracle::RegisterAddress(oracle, 141, account);
  oracle::FundAndRead(oracle, own.sim, address, account, 64'000);
  for (int i = 0; i < 300 && RbtcOf(chain, account) != 64'000; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(RbtcOf(chain, account) == 64'000);

  testing::ScopedDatabase database;
  // The indexer is nowhere: runs fail, disputes do not need it.
  ReconcilerProcess reconciler(database, chain, own.sim.api("regtest"),
                               "127.0.0.1:1", oracle.address());
  const As owner{account.ToChecksumHex()};

  // The claim is wrong: the chain records what the address holds.
  v1::Dispute filed;
  REQUIRE(File(reconciler, owner, account, "70000", &filed).ok());
  CHECK(filed.status() == v1::DISPUTE_STATUS_FILED);
  CHECK(filed.recorded_balance_sats() == "64000");
  CHECK(filed.claimed_balance_sats() == "70000");
  const v1::Dispute rejected = Settled(reconciler, filed.dispute_id());
  INFO(rejected.DebugString());
  CHECK(rejected.status() == v1::DISPUTE_STATUS_REJECTED);
  CHECK(rejected.verified_balance_sats() == "64000");
  CHECK(rejected.resolution() ==
        "its Bitcoin address holds 64000 sats with at least 1 confirmations "
        "at Bitcoin block " +
            std::to_string(rejected.bitcoin_tip_height()) +
            "; the chain records 64000 sats, so the recorded balance stands "
            "and the claim of 70000 sats does not");
  CHECK(rejected.resolution_operation_id() == 0);
  CHECK(rejected.has_resolve_time());
  REQUIRE(rejected.history_size() == 3);
  CHECK(rejected.history(0).status() == v1::DISPUTE_STATUS_FILED);
  CHECK(rejected.history(1).status() == v1::DISPUTE_STATUS_VALIDATING);
  CHECK(rejected.history(2).status() == v1::DISPUTE_STATUS_REJECTED);

  // The address receives more; the mirror lags behind. The claim is right.
  own.sim.Fund("regtest", address, 10'000);
  own.sim.Mine("regtest", 1);
  REQUIRE(File(reconciler, owner, account, "74000", &filed).ok());
  // One open dispute per account.
  v1::Dispute second;
  const grpc::Status twice = File(reconciler, owner, account, "74000", &second);
  CHECK(twice.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(absl::StrContains(twice.error_message(), filed.dispute_id()));
  const v1::Dispute resolved = Settled(reconciler, filed.dispute_id());
  INFO(resolved.DebugString());
  CHECK(resolved.status() == v1::DISPUTE_STATUS_RESOLVED);
  CHECK(resolved.verified_balance_sats() == "74000");
  CHECK(resolved.recorded_balance_sats() == "64000");
  CHECK(resolved.resolution_operation_id() > 0);
  CHECK(resolved.resolution_transaction_hash().size() == 66);
  CHECK(absl::StrContains(resolved.resolution(), "the mirror is wrong"));
  // The sync it recorded is the oracle's one sync to the claimed balance,
  // and it lands.
  const auto syncs = own.database.Connect()->Exec(
      "SELECT o.id FROM oracle.operations o JOIN oracle.operation_items i ON "
      "i.operation_id = o.id WHERE i.new_sats = 74000");
  REQUIRE(syncs.ok());
  REQUIRE(syncs->rows() == 1);
  CHECK(*syncs->GetInt64(0, 0) == resolved.resolution_operation_id());
  for (int i = 0; i < 300 && RbtcOf(chain, account) != 74'000; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  CHECK(RbtcOf(chain, account) == 74'000);

  // Someone else's dispute does not exist for them; an admin sees it.
  const As stranger{oracle::AccountOf(42).ToChecksumHex()};
  v1::Dispute seen;
  CHECK(Get(reconciler, stranger, filed.dispute_id(), &seen).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(Get(reconciler, owner, filed.dispute_id(), &seen).ok());
  CHECK(Get(reconciler, {stranger.subject, true}, filed.dispute_id(), &seen)
            .ok());
  CHECK(Get(reconciler, owner, "not-a-dispute", &seen).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(File(reconciler, stranger, account, "1", &second).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);

  v1::ListDisputesRequest list;
  list.set_address(account.ToLowerHex());
  list.set_page_size(1);
  v1::ListDisputesResponse page;
  grpc::ClientContext list_context;
  owner.On(list_context);
  REQUIRE(reconciler.stub().ListDisputes(&list_context, list, &page).ok());
  REQUIRE(page.disputes_size() == 1);
  CHECK(page.disputes(0).dispute_id() == filed.dispute_id());
  list.set_page_token(page.next_page_token());
  grpc::ClientContext next_context;
  owner.On(next_context);
  REQUIRE(reconciler.stub().ListDisputes(&next_context, list, &page).ok());
  REQUIRE(page.disputes_size() == 1);
  CHECK(page.disputes(0).dispute_id() == rejected.dispute_id());
  CHECK(page.next_page_token().empty());
  list.clear_address();
  list.clear_page_token();
  grpc::ClientContext everyone_context;
  owner.On(everyone_context);
  CHECK(reconciler.stub()
            .ListDisputes(&everyone_context, list, &page)
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  // A closed dispute stays closed.
  v1::ResolveDisputeRequest override_request;
  override_request.set_dispute_id(filed.dispute_id());
  override_request.set_outcome(v1::DISPUTE_STATUS_REJECTED);
  override_request.set_resolution("second thoughts");
  grpc::ClientContext closed_context;
  CHECK(reconciler.stub()
            .ResolveDispute(&closed_context, override_request, &seen)
            .error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  // Bad claims are refused, naming the field.
  const grpc::Status negative = File(reconciler, owner, account, "-5", &second);
  CHECK(negative.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(absl::StrContains(negative.error_message(), "claimed_balance_sats"));
}

TEST_CASE(
    "with the Bitcoin API down a dispute waits, saying why, until an admin "
    "decides",
    "[reconciler][binary][disputes]") {
  OwnOracle own;
  const oracle::OracleChain& chain = own.chain;
  oracle::OracleProcess& oracle = own.process;
  const evm::Address account = oracle::AccountOf(44);
  oracle::RegisterAddress(oracle, 144, account);
  testing::ScopedDatabase database;
  // Nothing answers where the reconciler looks for the Bitcoin API.
  ReconcilerProcess reconciler(database, chain, "http://127.0.0.1:1/api",
                               "127.0.0.1:1", oracle.address());
  v1::Dispute filed;
  REQUIRE(File(reconciler, {}, account, "5000", &filed).ok());
  v1::Dispute waiting;
  for (int i = 0; i < 100; ++i) {
    REQUIRE(Get(reconciler, {}, filed.dispute_id(), &waiting).ok());
    if (!waiting.last_error().empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  INFO(waiting.DebugString());
  CHECK(waiting.status() == v1::DISPUTE_STATUS_VALIDATING);
  CHECK_FALSE(waiting.last_error().empty());
  CHECK(waiting.verified_balance_sats().empty());

  v1::ResolveDisputeRequest request;
  request.set_dispute_id(filed.dispute_id());
  request.set_outcome(v1::DISPUTE_STATUS_FILED);
  request.set_resolution("checked by hand");
  v1::Dispute closed;
  grpc::ClientContext bad_context;
  CHECK(reconciler.stub()
            .ResolveDispute(&bad_context, request, &closed)
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  request.set_outcome(v1::DISPUTE_STATUS_RESOLVED);
  grpc::ClientContext user_context;
  As{account.ToChecksumHex()}.On(user_context);
  CHECK(reconciler.stub()
            .ResolveDispute(&user_context, request, &closed)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext admin_context;
  As{"0x00000000000000000000000000000000000000ad", true}.On(admin_context);
  REQUIRE(
      reconciler.stub().ResolveDispute(&admin_context, request, &closed).ok());
  CHECK(closed.status() == v1::DISPUTE_STATUS_RESOLVED);
  CHECK(closed.resolution() == "checked by hand");
  CHECK(closed.last_error().empty());
  REQUIRE(closed.history_size() == 3);
  CHECK(closed.history(2).note() ==
        "resolved by 0x00000000000000000000000000000000000000ad: checked by "
        "hand");
  // The account may file again once its dispute is closed.
  CHECK(File(reconciler, {}, account, "5000", &filed).ok());
}

}  // namespace
}  // namespace chainsync::reconciler
