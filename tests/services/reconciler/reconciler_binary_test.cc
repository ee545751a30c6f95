// The reconciler binary over a real indexer, oracle, anvil and Bitcoin API
// simulator: a consistent system scores 100; faults injected one after the
// other — the oracle's journal emptied, a balance edited in the indexer, the
// oracle's record drifted, a burn's rows lost, a contract's code gone, the
// indexer stopped — are each found, listed and scored, resolved or
// repaired; and two replicas run one reconciliation at a time.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "services/reconciler/proof_messages.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/services/oracle/oracle_test_support.h"
#include "tests/services/reconciler/reconciler_process.h"
#include "tests/tools/verify-proof/verify_proof_run.h"

namespace chainsync::reconciler {
namespace {

double ComponentScore(const v1::HealthReport& report, const std::string& name) {
  for (const v1::ComponentHealth& component : report.components()) {
    if (component.name() == name) return component.score();
  }
  FAIL("no component " << name);
  return -1;
}

// Discrepancies lists what `request` selects.
v1::ListDiscrepanciesResponse Discrepancies(
    ReconcilerProcess& reconciler,
    const v1::ListDiscrepanciesRequest& request) {
  v1::ListDiscrepanciesResponse listed;
  grpc::ClientContext context;
  const grpc::Status status =
      reconciler.stub().ListDiscrepancies(&context, request, &listed);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return listed;
}

TEST_CASE(
    "the reconciler scores a consistent system 100, finds each fault, "
    "has the indexer read again what it holds wrong and repairs a drifted "
    "mirror",
    "[reconciler][binary]") {
  OwnOracle own;
  const oracle::OracleChain& chain = own.chain;
  testing::ScopedDatabase& oracle_database = own.database;
  testing::BtcsimProcess& sim = own.sim;
  oracle::OracleProcess& oracle = own.process;
  testing::ScopedDatabase indexer_database;
  auto indexer = indexer::StartIndexer(
      indexer_database.url(), chain.deployment_file, chain.rpc_url,
      {"--poll_interval=50ms", "--confirmations=1"});
  const int indexer_port = indexer::GrpcPortWhenReady(*indexer);
  const evm::Address account = oracle::AccountOf(31);
  oracle::FundAndRead(oracle, sim,
                      oracle::RegisterAddress(oracle, 121, account), account,
                      64'000);
  evm::JsonRpcClient& client = chain.workload->client();
  // The oracle's one operation mined, then buried so that the indexer holds
  // it final.
  const auto settle = [&] {
    for (int i = 0; i < 100; ++i) {
      if (oracle_database.Connect()
              ->Exec("SELECT count(*) FROM oracle.operations WHERE state IN "
                     "('mined', 'confirmed')")
              ->GetInt64(0, 0)
              .value_or(0) == 1) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    for (int i = 0; i < 3; ++i) REQUIRE(client.Call("evm_mine", "[]").ok());
    REQUIRE(
        indexer::WaitForIndexed(*indexer, indexer_database.url(),
                                static_cast<int64_t>(*client.BlockNumber())));
  };
  settle();

  testing::ScopedDatabase database;
  ReconcilerProcess reconciler(database, chain, sim.api("regtest"),
                               absl::StrCat("127.0.0.1:", indexer_port),
                               oracle.address());
  const v1::ReconciliationRun clean = reconciler.Run();
  INFO(clean.DebugString());
  CHECK(clean.discrepancies_found() == 0);
  CHECK(clean.accounts_checked() >= 1);
  CHECK(clean.health().score() == Approx(100));
  CHECK(clean.health().status() == v1::HEALTH_STATUS_HEALTHY);

  // The run made a proof of reserves; the account's path leads to its root.
  v1::ProofOfReserves reserves;
  grpc::ClientContext reserves_context;
  REQUIRE(reconciler.stub()
              .GetProofOfReserves(&reserves_context, {}, &reserves)
              .ok());
  CHECK(reserves.account_count() == 1);
  CHECK(reserves.total_liabilities_sats() == "64000");
  CHECK(reserves.total_reserves_sats() == "64000");
  CHECK(reserves.backing_ratio() == "1.000000");
  CHECK(reserves.status() == v1::RESERVE_STATUS_FULLY_BACKED);
  CHECK(reserves.merkle_root_sum() == "64000");
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_address(account.ToLowerHex());
  v1::InclusionProof path;
  grpc::ClientContext path_context;
  REQUIRE(reconciler.stub()
              .GetInclusionProof(&path_context, inclusion, &path)
              .ok());
  CHECK(path.proof_id() == reserves.proof_id());
  const auto read = ProofFromMessage(path);
  REQUIRE(read.ok());
  CHECK(read->proof.balance == 64'000);
  v1::MerkleSumNode published;
  published.set_hash(reserves.merkle_root());
  published.set_sum(reserves.merkle_root_sum());
  const auto root = NodeFromMessage(published, "root");
  REQUIRE(root.ok());
  CHECK(crypto::VerifyInclusion(read->proof, *root).ok());
  // Its root is published on chain, and the account's proof verifies
  // against the published one.
  const evm::Address published_on =
      chain.workload->deployment().Find("ReserveProofs")->address;
  CHECK(reserves.publication_contract() == published_on.ToChecksumHex());
  CHECK(reserves.publication_transaction_hash().size() == 66);
  CHECK(reserves.publication_block_number() > reserves.block_number());
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(path, &json).ok());
  const Outcome verified = Verify(
      json, absl::StrCat("--rpc_url=", chain.rpc_url,
                         " --reserve_proofs=", published_on.ToLowerHex()));
  INFO(verified.output);
  CHECK(verified.exit_code == 0);
  CHECK(absl::StrContains(verified.output, "(the root published on chain)"));
  // A proof naming another root is not of the published one.
  v1::InclusionProof forged = path;
  std::string other = forged.root().hash();
  other.back() = other.back() == '0' ? '1' : '0';
  forged.mutable_root()->set_hash(other);
  json.clear();
  REQUIRE(google::protobuf::util::MessageToJsonString(forged, &json).ok());
  const Outcome refused = Verify(
      json, absl::StrCat("--rpc_url=", chain.rpc_url,
                         " --reserve_proofs=", published_on.ToLowerHex()));
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  inclusion.set_address("0x00000000000000000000000000000000000000aa");
  grpc::ClientContext stranger_context;
  CHECK(reconciler.stub()
            .GetInclusionProof(&stranger_context, inclusion, &path)
            .error_code() == grpc::StatusCode::NOT_FOUND);

  // The journal loses the sync: the Synced event on chain has no operation.
  auto journal = oracle_database.Connect();
  for (const char* table : {"operation_items", "operations"}) {
    const auto deleted =
        journal->Exec(absl::StrCat("DELETE FROM oracle.", table));
    INFO(deleted.status());
    REQUIRE(deleted.ok());
  }
  const v1::ReconciliationRun faulty = reconciler.Run();
  INFO(faulty.DebugString());
  CHECK(faulty.discrepancies_found() >= 1);
  CHECK(ComponentScore(faulty.health(), "oracle_operations_log") == 0);
  CHECK(faulty.health().score() == Approx(90));

  v1::ListDiscrepanciesRequest request;
  request.add_kinds(v1::DISCREPANCY_KIND_OPERATION_NOT_LOGGED);
  v1::ListDiscrepanciesResponse listed = Discrepancies(reconciler, request);
  REQUIRE(listed.discrepancies_size() == 1);
  const v1::Discrepancy& found = listed.discrepancies(0);
  CHECK(found.rule() == "sync_logged");
  CHECK(found.status() == v1::DISCREPANCY_STATUS_OPEN);
  CHECK(found.severity() == v1::SEVERITY_CRITICAL);
  CHECK(found.address() == account.ToChecksumHex());
  CHECK(found.chain_value() == "64000");
  CHECK(found.times_seen() == 1);

  v1::HealthReport report;
  grpc::ClientContext health_context;
  REQUIRE(reconciler.stub().GetHealthReport(&health_context, {}, &report).ok());
  CHECK(report.score() == Approx(90));
  CHECK(report.open_discrepancies() >= 1);

  // A filter that names no kind is refused, saying which.
  request.clear_kinds();
  request.add_kinds(static_cast<v1::DiscrepancyKind>(99));
  grpc::ClientContext bad_context;
  const grpc::Status bad =
      reconciler.stub().ListDiscrepancies(&bad_context, request, &listed);
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message() == "kinds: 99 is not a discrepancy kind");

  // A balance edited in the indexer's database opens two discrepancies.
  // The run finds the block the indexer's balance departs from the chain's
  // at — the sync's — and has the indexer read the chain again from it,
  // audited; the next run finds the indexer right and resolves the rest.
  const std::string holder = absl::StrCat(
      "holder = decode('", account.ToLowerHex().substr(2), "', 'hex')");
  auto indexed = indexer_database.Connect();
  const int64_t synced_in =
      *indexed
           ->Exec(absl::StrCat("SELECT last_change_block FROM "
                               "indexer.token_balances WHERE ",
                               holder))
           ->GetInt64(0, 0);
  REQUIRE(indexed
              ->Exec(absl::StrCat("UPDATE indexer.token_balances SET balance "
                                  "= balance + 1 WHERE ",
                                  holder))
              .ok());
  const v1::ReconciliationRun edited = reconciler.Run();
  CHECK(edited.discrepancies_found() == 3);
  CHECK(edited.discrepancies_repaired() == 1);
  request.clear_kinds();
  request.add_kinds(v1::DISCREPANCY_KIND_BALANCE_MISMATCH);
  request.add_kinds(v1::DISCREPANCY_KIND_SUPPLY_MISMATCH);
  listed = Discrepancies(reconciler, request);
  REQUIRE(listed.discrepancies_size() == 2);
  const v1::Discrepancy& reread = listed.discrepancies(1);
  CHECK(reread.rule() == "balance_chain_indexer");
  CHECK(reread.indexer_value() == "64001");
  CHECK(reread.chain_value() == "64000");
  CHECK(reread.status() == v1::DISCREPANCY_STATUS_REPAIRED);
  CHECK(absl::StartsWith(
      reread.repair_action(),
      absl::StrCat("asked the indexer to read the chain again from block ",
                   synced_in, ": request ")));
  CHECK(listed.discrepancies(0).rule() == "supply_sum");
  CHECK(listed.discrepancies(0).status() == v1::DISCREPANCY_STATUS_OPEN);
  REQUIRE(indexer::WaitForRereads(*indexed, 1));
  REQUIRE(indexer::WaitForIndexed(*indexer, indexer_database.url(),
                                  static_cast<int64_t>(*client.BlockNumber())));
  CHECK(reconciler.Run().discrepancies_found() == 1);
  listed = Discrepancies(reconciler, request);
  REQUIRE(listed.discrepancies_size() == 2);
  CHECK(listed.discrepancies(0).status() == v1::DISCREPANCY_STATUS_RESOLVED);
  CHECK(listed.discrepancies(0).has_resolve_time());
  CHECK(listed.discrepancies(1).status() == v1::DISCREPANCY_STATUS_REPAIRED);

  // The oracle's record drifts from what it mirrored: the run has the oracle
  // read the account again — audited, once — and the next run finds it
  // matching.
  REQUIRE(oracle_database.Connect()
              ->Exec(absl::StrCat("UPDATE oracle.users SET bitcoin_sats = "
                                  "60000 WHERE address = decode('",
                                  account.ToLowerHex().substr(2), "', 'hex')"))
              .ok());
  CHECK(reconciler.Run().discrepancies_repaired() == 1);
  v1::ListDiscrepanciesRequest mirror;
  mirror.add_kinds(v1::DISCREPANCY_KIND_BALANCE_MISMATCH);
  mirror.add_statuses(v1::DISCREPANCY_STATUS_REPAIRED);
  listed = Discrepancies(reconciler, mirror);
  // The indexer's repaired balance, and the mirror.
  REQUIRE(listed.discrepancies_size() == 2);
  const auto mirrored =
      std::find_if(listed.discrepancies().begin(), listed.discrepancies().end(),
                   [](const v1::Discrepancy& discrepancy) {
                     return discrepancy.rule() == "mirror_matches_bitcoin";
                   });
  REQUIRE(mirrored != listed.discrepancies().end());
  const v1::Discrepancy& repaired = *mirrored;
  CHECK(repaired.oracle_value() == "60000");
  CHECK(repaired.chain_value() == "64000");
  CHECK(repaired.repair_action() ==
        "asked the oracle to force-sync the account: it read 64000 confirmed "
        "sats and syncs what differs");
  // The run's proof counted the reserves it was shown: short of the rBTC.
  grpc::ClientContext short_context;
  REQUIRE(
      reconciler.stub().GetProofOfReserves(&short_context, {}, &reserves).ok());
  CHECK(reserves.total_reserves_sats() == "60000");
  CHECK(reserves.backing_ratio() == "0.937500");
  CHECK(reserves.status() == v1::RESERVE_STATUS_UNDER_BACKED);
  const auto audit = database.Connect()->Exec(
      "SELECT rule, outcome FROM reconciler.repairs ORDER BY id");
  REQUIRE(audit.ok());
  REQUIRE(audit->rows() == 2);
  CHECK(audit->Get(0, 0) == "balance_chain_indexer");
  CHECK(audit->Get(1, 0) == "mirror_matches_bitcoin");
  CHECK(audit->Get(0, 1) == "done");
  CHECK(audit->Get(1, 1) == "done");
  const v1::ReconciliationRun after = reconciler.Run();
  CHECK(after.discrepancies_repaired() == 0);
  mirror.clear_statuses();
  mirror.add_statuses(v1::DISCREPANCY_STATUS_OPEN);
  listed = Discrepancies(reconciler, mirror);
  CHECK(listed.discrepancies_size() == 0);

  // An emergency burn whose journal rows are lost: the EmergencyBurn event
  // on chain is recorded nowhere.
  oracle::v1::TriggerEmergencyBurnRequest burn;
  burn.set_address(account.ToLowerHex());
  burn.set_reason("keys compromised");
  oracle::v1::OracleOperation burned;
  grpc::ClientContext burn_context;
  REQUIRE(
      oracle.stub().TriggerEmergencyBurn(&burn_context, burn, &burned).ok());
  settle();
  for (const char* table : {"burn_requests", "operation_items", "operations"}) {
    REQUIRE(journal->Exec(absl::StrCat("DELETE FROM oracle.", table)).ok());
  }
  const v1::ReconciliationRun burnt = reconciler.Run();
  INFO(burnt.DebugString());
  CHECK(ComponentScore(burnt.health(), "emergency_burn_sync") == 0);
  v1::ListDiscrepanciesRequest burns;
  burns.add_kinds(v1::DISCREPANCY_KIND_BURN_NOT_RECORDED);
  listed = Discrepancies(reconciler, burns);
  REQUIRE(listed.discrepancies_size() == 1);
  CHECK(listed.discrepancies(0).rule() == "burn_recorded");
  CHECK(listed.discrepancies(0).address() == account.ToChecksumHex());
  CHECK(listed.discrepancies(0).chain_value() == "64000");

  // A contract's code gone from its address: contract_code and
  // yield_pool_deployed fire at the first block pinned after it; the code
  // put back, both are resolved.
  const evm::Address pool =
      chain.workload->deployment().Find("YieldScalesPool")->address;
  const auto code = client.GetCode(pool, evm::BlockRef::Latest());
  REQUIRE(code.ok());
  const auto set_code = [&](const evm::Bytes& bytes) {
    REQUIRE(client
                .Call("anvil_setCode",
                      absl::StrCat("[\"", pool.ToLowerHex(), "\",\"",
                                   evm::ToHex(bytes), "\"]"))
                .ok());
    for (int i = 0; i < 3; ++i) REQUIRE(client.Call("evm_mine", "[]").ok());
    REQUIRE(
        indexer::WaitForIndexed(*indexer, indexer_database.url(),
                                static_cast<int64_t>(*client.BlockNumber())));
  };
  v1::ListDiscrepanciesRequest missing;
  missing.add_kinds(v1::DISCREPANCY_KIND_CONTRACT_MISSING);
  set_code({});
  const v1::ReconciliationRun codeless = reconciler.Run();
  CHECK(ComponentScore(codeless.health(), "contract_deployment") < 100);
  CHECK(ComponentScore(codeless.health(), "yield_readiness") == 0);
  listed = Discrepancies(reconciler, missing);
  REQUIRE(listed.discrepancies_size() == 2);
  for (const v1::Discrepancy& discrepancy : listed.discrepancies()) {
    CHECK(discrepancy.status() == v1::DISCREPANCY_STATUS_OPEN);
  }
  set_code(*code);
  reconciler.Run();
  listed = Discrepancies(reconciler, missing);
  REQUIRE(listed.discrepancies_size() == 2);
  for (const v1::Discrepancy& discrepancy : listed.discrepancies()) {
    CHECK(discrepancy.status() == v1::DISCREPANCY_STATUS_RESOLVED);
  }

  // Two replicas run one reconciliation at a time: while the run lock is
  // held, both answer ABORTED; once it is free, either runs.
  ReconcilerProcess replica(database, chain, sim.api("regtest"),
                            absl::StrCat("127.0.0.1:", indexer_port),
                            oracle.address());
  auto holder_session = database.Connect();
  REQUIRE(holder_session
              ->Exec("SELECT pg_advisory_lock(hashtext("
                     "'chainsync.reconciler.run')::bigint)")
              .ok());
  for (ReconcilerProcess* process : {&reconciler, &replica}) {
    grpc::ClientContext busy_context;
    v1::ReconciliationRun busy;
    const grpc::Status status =
        process->stub().RunReconciliation(&busy_context, {}, &busy);
    CHECK(status.error_code() == grpc::StatusCode::ABORTED);
    CHECK(status.error_message() ==
          "another replica is running a reconciliation; try again when it "
          "ends");
  }
  REQUIRE(holder_session
              ->Exec("SELECT pg_advisory_unlock(hashtext("
                     "'chainsync.reconciler.run')::bigint)")
              .ok());
  CHECK(replica.Run().block_number() > 0);

  // The indexer stops: runs still compare the chain and the oracle, and
  // indexer_lag says the indexer does not answer. Started again, it is
  // resolved.
  indexer->Signal(SIGTERM);
  REQUIRE(indexer->Wait(absl::Seconds(20)).ok());
  const v1::ReconciliationRun stopped = reconciler.Run();
  CHECK(ComponentScore(stopped.health(), "transaction_logging") == 0);
  CHECK(ComponentScore(stopped.health(), "emergency_burn_sync") == 0);
  v1::ListDiscrepanciesRequest lag;
  lag.add_kinds(v1::DISCREPANCY_KIND_INDEXER_LAG);
  listed = Discrepancies(reconciler, lag);
  REQUIRE(listed.discrepancies_size() == 1);
  CHECK(listed.discrepancies(0).rule() == "indexer_lag");
  CHECK(listed.discrepancies(0).status() == v1::DISCREPANCY_STATUS_OPEN);
  CHECK(listed.discrepancies(0).indexer_value() == "unavailable");
  CHECK(absl::StartsWith(listed.discrepancies(0).detail(),
                         "the indexer does not answer: "));
  indexer = indexer::StartIndexer(indexer_database.url(), chain.deployment_file,
                                  chain.rpc_url,
                                  {"--poll_interval=50ms", "--confirmations=1",
                                   absl::StrCat("--grpc_port=", indexer_port)});
  REQUIRE(indexer::GrpcPortWhenReady(*indexer) == indexer_port);
  bool resolved = false;
  for (int i = 0; i < 30 && !resolved; ++i) {
    reconciler.Run();
    listed = Discrepancies(reconciler, lag);
    resolved =
        listed.discrepancies(0).status() == v1::DISCREPANCY_STATUS_RESOLVED;
    if (!resolved) absl::SleepFor(absl::Seconds(1));
  }
  CHECK(resolved);
}

}  // namespace
}  // namespace chainsync::reconciler
