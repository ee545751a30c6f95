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

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/spray_chain.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "libs/bitcoin/encoding.h"
#include "libs/common/grpc_status.h"
#include "libs/crypto/hashes.h"
#include "tests/support/btcsim_process.h"
#include "tests/support/protocol_workload.h"

ABSL_FLAG(int, accounts, 50'000, "Accounts to sweep and mirror.");
ABSL_FLAG(int, addresses_per_account, 2, "Bitcoin addresses per account.");
ABSL_FLAG(int, batch_size, 1'000, "Accounts per sweep batch.");

namespace chainsync::bench {
namespace {

std::string AddressOf(int account, int index) {
  const crypto::Digest20 program = crypto::Hash160(
      crypto::BytesOf(absl::StrCat("bench address ", account, " ", index)));
  return bitcoin::EncodeSegwit("bcrt", 0, program);
}

evm::Address AccountOf(int account) {
  std::array<uint8_t, 20> bytes{};
  bytes[0] = 0xbe;
  for (int i = 0; i < 4; ++i) {
    bytes[19 - i] = static_cast<uint8_t>(account >> (8 * i));
  }
  return evm::Address(bytes);
}

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

void Write(PgConnection& database, int accounts, int per_account) {
  for (int start = 0; start < accounts; start += 5'000) {
    std::vector<std::string> users, addresses, owners;
    for (int account = start; account < std::min(accounts, start + 5'000);
         ++account) {
      const std::string hex = AccountOf(account).ToLowerHex().substr(2);
      users.push_back(hex);
      for (int index = 0; index < per_account; ++index) {
        addresses.push_back(AddressOf(account, index));
        owners.push_back(hex);
      }
    }
    Check(database
              .Exec("INSERT INTO oracle.users (address) SELECT decode(a, "
                    "'hex') FROM unnest($1::text[]) AS a",
                    PgParams().AddArray(users))
              .status(),
          "users");
    Check(database
              .Exec("INSERT INTO oracle.bitcoin_addresses (bitcoin_address, "
                    "user_address, network, address_type, proof_kind, "
                    "signed_message, signature) SELECT b, decode(u, 'hex'), "
                    "'regtest', 'p2wpkh', 'bip322_simple', '', '' FROM "
                    "unnest($1::text[], $2::text[]) AS t(b, u)",
                    PgParams().AddArray(addresses).AddArray(owners))
              .status(),
          "addresses");
  }
}

void Fund(testing::BtcsimProcess& sim, int accounts, int per_account) {
  std::string outputs;
  int pending = 0;
  const auto flush = [&] {
    if (pending == 0) return;
    const HttpClientResponse answer = sim.Control(
        "/sim/regtest/fund", absl::StrCat(R"({"outputs":[)", outputs, "]}"));
    if (answer.status != 200) {
      Check(absl::InternalError(answer.body), "fund");
    }
    outputs.clear();
    pending = 0;
  };
  for (int account = 0; account < accounts; ++account) {
    for (int index = 0; index < per_account; ++index) {
      absl::StrAppend(&outputs, pending == 0 ? "" : ",", R"({"address":")",
                      AddressOf(account, index), R"(","sats":)",
                      1'000 + account % 1'000, "}");
      if (++pending == 1'000) flush();
    }
  }
  flush();
  sim.Mine("regtest", 1);
}

oracle::v1::SweepStatus Status(oracle::v1::OracleService::Stub& stub) {
  oracle::v1::SweepStatus status;
  grpc::ClientContext context;
  Check(FromGrpcStatus(stub.GetSweepStatus(&context, {}, &status)), "status");
  return status;
}

// Sweep forces a sweep and returns how long it took, by the oracle's own
// clock; the status is polled as a dashboard would.
absl::Duration Sweep(oracle::v1::OracleService::Stub& stub) {
  const uint64_t before = Status(stub).stats().sweeps_completed();
  {
    oracle::v1::SweepStatus status;
    grpc::ClientContext context;
    Check(FromGrpcStatus(stub.ForceSweep(&context, {}, &status)), "force");
  }
  oracle::v1::SweepStatus status = Status(stub);
  while (status.stats().sweeps_completed() == before) {
    absl::SleepFor(absl::Seconds(1));
    status = Status(stub);
  }
  return absl::Seconds(status.stats().last_sweep_duration().seconds()) +
         absl::Nanoseconds(status.stats().last_sweep_duration().nanos());
}

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

  auto oracle =
      Check(testing::Subprocess::Start(
                {CHAINSYNC_ORACLE_BIN, "--listen_host=127.0.0.1",
                 "--grpc_port=0", "--admin_port=0", "--bitcoin_network=regtest",
                 "--bitcoin_api_url=" + sim.api("regtest"),
                 "--deployment_config=" + deployment, "--rpc_url=" + rpc_url,
                 "--btc_confirmations=1", "--chain_confirmations=1"},
                {{"CHAINSYNC_DATABASE_URL", environment.database_url()},
                 {"CHAINSYNC_ORACLE_KEY", workload->committee_key()}}),
            "oracle");
  const auto serving = testing::WaitForServing(*oracle);
  if (!serving.has_value() ||
      !oracle->WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
    Check(absl::UnavailableError("did not become ready"), "oracle");
  }
  // The oracle logs a line per account it syncs: keep its pipe drained.
  std::atomic<bool> done{false};
  std::thread drain([&] {
    while (!done) {
      // Its warnings and errors are the benchmark's too.
      const std::optional<std::string> line =
          oracle->ReadLine(absl::Milliseconds(100));
      if (line.has_value() &&
          line->find(R"("level":"info")") == std::string::npos) {
        std::fprintf(stderr, "%s\n", line->c_str());
      }
    }
  });
  auto stub = oracle::v1::OracleService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", serving->grpc),
                          grpc::InsecureChannelCredentials()));
  {
    // The periodic sweep out of the way; batches as the benchmark says.
    oracle::v1::UpdateSweepConfigRequest request;
    request.mutable_config()->mutable_interval()->set_seconds(3600);
    request.mutable_config()->set_batch_size(absl::GetFlag(FLAGS_batch_size));
    request.mutable_config()->mutable_batch_pause()->set_nanos(0);
    for (const char* path : {"interval", "batch_size", "batch_pause"}) {
      request.mutable_update_mask()->add_paths(path);
    }
    oracle::v1::SweepStatus status;
    grpc::ClientContext context;
    Check(FromGrpcStatus(stub->UpdateSweepConfig(&context, request, &status)),
          "configure");
  }
  // The sweep the oracle starts with (over no accounts) done, so that the
  // forced sweeps below are the ones measured.
  while (Status(*stub).stats().sweeps_completed() == 0) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  auto database = Check(
      PgConnection::Connect({.url = environment.database_url()}), "database");
  Write(*database, accounts, per_account);
  Fund(sim, accounts, per_account);
  std::printf("%d accounts, %d addresses funded on the simulator\n", accounts,
              accounts * per_account);

  const auto cpu = [&] {
    return CpuUse{CpuSeconds(oracle->pid()), CpuSeconds(sim.process().pid()),
                  CpuSeconds(environment.postgres_pid()),
                  CpuSeconds(environment.anvil_pid())};
  };
  const CpuUse idle = cpu();
  const absl::Time start = absl::Now();
  const absl::Duration sweep = Sweep(*stub);
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
    mirrored = *Check(database->Exec(
                          "SELECT count(*) FROM oracle.operation_items i JOIN "
                          "oracle.operations o ON o.id = i.operation_id WHERE "
                          "o.state = 'confirmed'"),
                      "mirrored")
                    .GetInt64(0, 0);
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
  const absl::Duration again = Sweep(*stub);
  std::printf("sweep again, nothing changed: %.2f s (%.0f addresses/s)\n",
              absl::ToDoubleSeconds(again),
              accounts * per_account / absl::ToDoubleSeconds(again));
  (cpu() - mirrored_cpu).Print("second sweep");
  std::printf("oracle peak RSS: %.0f MiB\n",
              PeakRssBytes(oracle->pid()) / (1024.0 * 1024.0));
  done = true;
  drain.join();
  std::remove(deployment.c_str());
}

}  // namespace chainsync::bench
