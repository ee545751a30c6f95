// Reconciler benchmark: a reconciliation of --accounts users end to end.
// The oracle mirrors that many accounts (one Bitcoin address each, funded
// on the simulator) on chain, the indexer indexes the chain, and then the
// reconciler compares the three views: its first run at start (the chain's
// events read from the start) and --runs runs on demand after it, each
// timed from the RunReconciliation call to its answer. Prints each run's
// duration, what it found, the CPU seconds of every process during the
// runs and the reconciler's peak RSS. Postgres runs with its stock
// settings, as a user's database does; --development_postgres gives the
// development cluster (fsync off) instead.
//
//   build/bench/reconciler_run [--accounts=100000] [--runs=3]
//                              [--development_postgres]
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/bench_oracle.h"
#include "bench/spray_chain.h"
#include "chainsync/reconciler/v1/reconciler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "libs/common/grpc_status.h"
#include "tests/support/protocol_workload.h"

ABSL_FLAG(int, accounts, 100'000, "Accounts mirrored and reconciled.");
ABSL_FLAG(int, runs, 3, "Runs on demand after the first.");
ABSL_FLAG(bool, development_postgres, false,
          "Run Postgres with the development settings (fsync off) rather "
          "than its stock ones.");

namespace chainsync::bench {
namespace {

struct CpuUse {
  double reconciler = 0, oracle = 0, indexer = 0, postgres = 0, anvil = 0;

  CpuUse operator-(const CpuUse& earlier) const {
    return {reconciler - earlier.reconciler, oracle - earlier.oracle,
            indexer - earlier.indexer, postgres - earlier.postgres,
            anvil - earlier.anvil};
  }
};

}  // namespace

void Run() {
  const int accounts = absl::GetFlag(FLAGS_accounts);
  testing::PrivateEnvironment environment(
      absl::GetFlag(FLAGS_development_postgres)
          ? testing::PrivateEnvironment::Settings::kDevelopment
          : testing::PrivateEnvironment::Settings::kStock);
  const std::string rpc_url = environment.environment().rpc_url;
  const std::string database_url = environment.database_url();
  auto workload = testing::ProtocolWorkload::Deploy(rpc_url);
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_reconciler_bench_", getpid(), ".json");
  std::ofstream(deployment) << workload->deployment().ToJson();
  testing::BtcsimProcess sim;
  BenchOracle oracle(database_url, rpc_url, deployment, sim,
                     workload->committee_key(), 1'000);
  auto database =
      Check(PgConnection::Connect({.url = database_url}), "database");
  WriteAccounts(*database, accounts, 1);
  FundAccounts(sim, accounts, 1);
  const absl::Time start = absl::Now();
  oracle.Sweep();
  while (MirroredCount(*database) < accounts) {
    if (absl::Now() - start > absl::Minutes(20)) {
      Check(absl::DeadlineExceededError("not all mirrored"), "mirroring");
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::printf("%d accounts mirrored on chain in %.0f s\n", accounts,
              absl::ToDoubleSeconds(absl::Now() - start));

  // Blocks over the last sync, so that the indexer holds it final.
  evm::JsonRpcClient& client = workload->client();
  for (int i = 0; i < 3; ++i) Check(client.Call("evm_mine", "[]"), "mine");
  const uint64_t head = Check(client.BlockNumber(), "head");
  IndexerProcess indexer(database_url, deployment, rpc_url,
                         {"--confirmations=1", "--poll_interval=100ms"});
  if (!indexer.WaitForIndexed(head - 1, absl::Minutes(10))) {
    Check(absl::DeadlineExceededError("the indexer did not catch up"),
          "indexing");
  }
  std::printf("indexed to block %llu\n",
              static_cast<unsigned long long>(head - 1));

  const auto cpu = [&](pid_t reconciler) {
    return CpuUse{CpuSeconds(reconciler), CpuSeconds(oracle.pid()),
                  CpuSeconds(indexer.process().pid()),
                  CpuSeconds(environment.postgres_pid()),
                  CpuSeconds(environment.anvil_pid())};
  };
  const absl::Time started = absl::Now();
  auto reconciler = Check(
      testing::Subprocess::Start(
          {CHAINSYNC_RECONCILER_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
           "--admin_port=0", "--deployment_config=" + deployment,
           "--rpc_url=" + rpc_url,
           absl::StrCat("--indexer_address=127.0.0.1:", indexer.grpc_port()),
           "--oracle_address=" + oracle.address(), "--reconcile_interval=1h",
           "--bitcoin_network=regtest",
           "--bitcoin_api_url=" + sim.api("regtest"), "--btc_confirmations=1"},
          {{"CHAINSYNC_DATABASE_URL", database_url},
           {"CHAINSYNC_PUBLISHER_KEY", workload->publisher_key()}}),
      "reconciler");
  const CpuUse before = cpu(reconciler->pid());
  const auto serving = testing::WaitForServing(*reconciler);
  if (!serving.has_value()) {
    Check(absl::UnavailableError("did not serve"), "reconciler");
  }
  // Its first run starts with it and reads every event from the start.
  const std::optional<std::string> first = reconciler->WaitForLine(
      R"("message":"reconciliation run")", absl::Minutes(10));
  if (!first.has_value()) {
    Check(absl::DeadlineExceededError("no first run"), "reconciler");
  }
  std::printf("first run (at start, every event read): %.2f s from start\n",
              absl::ToDoubleSeconds(absl::Now() - started));
  for (const std::string& line : reconciler->lines()) {
    if (line.find("views read") != std::string::npos) {
      std::printf("  %s\n", line.c_str());
    }
  }
  std::printf("  %s\n", first->c_str());
  auto stub = reconciler::v1::ReconcilerService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", serving->grpc),
                          grpc::InsecureChannelCredentials()));
  for (int run = 0; run < absl::GetFlag(FLAGS_runs); ++run) {
    const CpuUse at = cpu(reconciler->pid());
    const absl::Time asked = absl::Now();
    reconciler::v1::ReconciliationRun answer;
    for (;;) {
      grpc::ClientContext context;
      const grpc::Status status =
          stub->RunReconciliation(&context, {}, &answer);
      // The proof of the run before may still be publishing.
      if (status.error_code() == grpc::StatusCode::ABORTED) {
        absl::SleepFor(absl::Milliseconds(50));
        continue;
      }
      Check(FromGrpcStatus(status), "run");
      break;
    }
    const CpuUse used = cpu(reconciler->pid()) - at;
    // Where the run's time went, as its log says.
    while (const std::optional<std::string> line =
               reconciler->ReadLine(absl::Milliseconds(100))) {
      if (line->find("views read") != std::string::npos) {
        std::printf("  %s\n", line->c_str());
      }
    }
    std::printf(
        "run %d: %.2f s, %llu accounts at block %llu, %llu discrepancies, "
        "health %.1f; CPU s: reconciler %.1f, oracle %.1f, indexer %.1f, "
        "Postgres %.1f, anvil %.1f\n",
        run + 1, absl::ToDoubleSeconds(absl::Now() - asked),
        static_cast<unsigned long long>(answer.accounts_checked()),
        static_cast<unsigned long long>(answer.block_number()),
        static_cast<unsigned long long>(answer.discrepancies_found()),
        answer.health().score(), used.reconciler, used.oracle, used.indexer,
        used.postgres, used.anvil);
  }
  const CpuUse total = cpu(reconciler->pid()) - before;
  std::printf(
      "CPU s over all runs: reconciler %.1f, oracle %.1f, indexer %.1f, "
      "Postgres %.1f, anvil %.1f; reconciler peak RSS %.0f MiB\n",
      total.reconciler, total.oracle, total.indexer, total.postgres,
      total.anvil, PeakRssBytes(reconciler->pid()) / (1024.0 * 1024.0));
  std::remove(deployment.c_str());
}

}  // namespace chainsync::bench
