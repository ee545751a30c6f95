// Oracle benchmark: a sweep over --accounts accounts of
// --addresses_per_account Bitcoin addresses each, funded on the Bitcoin API
// simulator, at the default concurrency (10 accounts at once) in batches of
// --batch_size without pause; then, every balance having changed, how long
// until the chain holds them all (syncBatch transactions, mined by anvil,
// final at one block); then a second sweep that finds nothing changed. Prints
// the sweeps' durations, the time to mirror, the
// CPU seconds of each process in each phase, and the oracle's peak RSS.
//
//   build/bench/oracle_sweep [--accounts=50000] [--addresses_per_account=2]
//
// The accounts and addresses are written to Postgres directly: registering
// 100,000 addresses through their proofs measures the proofs, not the sweep.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/bench_oracle.h"
#include "bench/spray_chain.h"
#include "tests/support/protocol_workload.h"

ABSL_FLAG(int, accounts, 50'000, "Accounts to sweep and mirror.");
ABSL_FLAG(int, addresses_per_account, 2, "Bitcoin addresses per account.");
ABSL_FLAG(int, batch_size, 1'000, "Accounts per sweep batch.");

namespace chainsync::bench {
namespace {

// CpuUse is the CPU seconds each process of the benchmark has used so far.
struct CpuUse {
  double oracle = 0, btcsim = 0, postgres = 0, anvil = 0;

  CpuUse operator-(const CpuUse& earlier) const {
    return {oracle - earlier.oracle, btcsim - earlier.btcsim,
            postgres - earlier.postgres, anvil - earlier.anvil};
  }
  void Print(const char* phase) const {
    std::printf(
        "  CPU s during the %s: oracle %.1f, btcsim %.1f, Postgres %.1f, "
        "anvil %.1f\n",
        phase, oracle, btcsim, postgres, anvil);
  }
};

}  // namespace

void Run() {
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const int per_account = absl::GetFlag(FLAGS_addresses_per_account);
  testing::PrivateEnvironment environment;
  const std::string rpc_url = environment.environment().rpc_url;
  auto workload = testing::ProtocolWorkload::Deploy(rpc_url);
  const std::string deployment =
      absl::StrCat("/tmp/chainsync_oracle_bench_", getpid(), ".json");
  std::ofstream(deployment) << workload->deployment().ToJson();
  testing::BtcsimProcess sim;
  BenchOracle oracle(environment.database_url(), rpc_url, deployment, sim,
                     workload->committee_key(),
                     absl::GetFlag(FLAGS_batch_size));
  auto database = Check(
      PgConnection::Connect({.url = environment.database_url()}), "database");
  WriteAccounts(*database, accounts, per_account);
  FundAccounts(sim, accounts, per_account);
  std::printf("%d accounts, %d addresses funded on the simulator\n", accounts,
              accounts * per_account);

  const auto cpu = [&] {
    return CpuUse{CpuSeconds(oracle.pid()), CpuSeconds(sim.process().pid()),
                  CpuSeconds(environment.postgres_pid()),
                  CpuSeconds(environment.anvil_pid())};
  };
  const CpuUse idle = cpu();
  const absl::Time start = absl::Now();
  const absl::Duration sweep = oracle.Sweep();
  const auto stale = Check(
      database->Exec("SELECT count(*) FROM oracle.users WHERE stale_reason "
                     "IS NOT NULL OR bitcoin_sats IS NULL"),
      "stale");
  std::printf("sweep: %.2f s (%.0f addresses/s), %lld accounts unread\n",
              absl::ToDoubleSeconds(sweep),
              accounts * per_account / absl::ToDoubleSeconds(sweep),
              static_cast<long long>(*stale.GetInt64(0, 0)));
  const CpuUse swept = cpu();
  (swept - idle).Print("sweep");

  int64_t mirrored = 0;
  const absl::Time deadline = absl::Now() + absl::Minutes(10);
  while (mirrored < accounts && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(250));
    mirrored = MirroredCount(*database);
  }
  const auto transactions = Check(
      database->Exec("SELECT count(*) FROM oracle.operations"), "operations");
  std::printf(
      "mirrored: %lld of %d accounts final on chain %.2f s after the sweep "
      "started, in %lld transactions\n",
      static_cast<long long>(mirrored), accounts,
      absl::ToDoubleSeconds(absl::Now() - start),
      static_cast<long long>(*transactions.GetInt64(0, 0)));
  const CpuUse mirrored_cpu = cpu();
  (mirrored_cpu - swept).Print("mirroring");
  // Steady state: every balance read again, none changed, nothing to send.
  const absl::Duration again = oracle.Sweep();
  std::printf("sweep again, nothing changed: %.2f s (%.0f addresses/s)\n",
              absl::ToDoubleSeconds(again),
              accounts * per_account / absl::ToDoubleSeconds(again));
  (cpu() - mirrored_cpu).Print("second sweep");
  std::printf("oracle peak RSS: %.0f MiB\n",
              PeakRssBytes(oracle.pid()) / (1024.0 * 1024.0));
  std::remove(deployment.c_str());
}

}  // namespace chainsync::bench
