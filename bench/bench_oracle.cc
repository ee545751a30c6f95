#include "bench/bench_oracle.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "bench/spray_chain.h"
#include "grpcpp/create_channel.h"
#include "libs/bitcoin/encoding.h"
#include "libs/common/grpc_status.h"
#include "libs/crypto/hashes.h"

namespace chainsync::bench {

evm::Address BenchAccount(int account) {
  std::array<uint8_t, 20> bytes{};
  bytes[0] = 0xbe;
  for (int i = 0; i < 4; ++i) {
    bytes[19 - i] = static_cast<uint8_t>(account >> (8 * i));
  }
  return evm::Address(bytes);
}

std::string BenchAddress(int account, int index) {
  const crypto::Digest20 program = crypto::Hash160(
      crypto::BytesOf(absl::StrCat("bench address ", account, " ", index)));
  return bitcoin::EncodeSegwit("bcrt", 0, program);
}

void WriteAccounts(PgConnection& database, int accounts, int per_account) {
  for (int start = 0; start < accounts; start += 5'000) {
    std::vector<std::string> users, addresses, owners;
    for (int account = start; account < std::min(accounts, start + 5'000);
         ++account) {
      const std::string hex = BenchAccount(account).ToLowerHex().substr(2);
      users.push_back(hex);
      for (int index = 0; index < per_account; ++index) {
        addresses.push_back(BenchAddress(account, index));
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

void FundAccounts(testing::BtcsimProcess& sim, int accounts, int per_account) {
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
                      BenchAddress(account, index), R"(","sats":)",
                      1'000 + account % 1'000, "}");
      if (++pending == 1'000) flush();
    }
  }
  flush();
  sim.Mine("regtest", 1);
}

BenchOracle::BenchOracle(const std::string& database_url,
                         const std::string& rpc_url,
                         const std::string& deployment_file,
                         const testing::BtcsimProcess& sim,
                         const std::string& committee_key, int batch_size) {
  process_ = Check(
      testing::Subprocess::Start(
          {CHAINSYNC_ORACLE_BIN, "--listen_host=127.0.0.1", "--grpc_port=0",
           "--admin_port=0", "--bitcoin_network=regtest",
           "--bitcoin_api_url=" + sim.api("regtest"),
           "--deployment_config=" + deployment_file, "--rpc_url=" + rpc_url,
           "--btc_confirmations=1", "--chain_confirmations=1"},
          {{"CHAINSYNC_DATABASE_URL", database_url},
           {"CHAINSYNC_ORACLE_KEY", committee_key}}),
      "oracle");
  const auto serving = testing::WaitForServing(*process_);
  if (!serving.has_value() ||
      !process_->WaitForLine(R"("message":"ready")", absl::Seconds(30))) {
    Check(absl::UnavailableError("did not become ready"), "oracle");
  }
  port_ = serving->grpc;
  // The oracle logs a line per account it syncs: keep its pipe drained.
  drain_ = std::thread([this] {
    while (!done_) {
      // Its warnings and errors are the benchmark's too.
      const std::optional<std::string> line =
          process_->ReadLine(absl::Milliseconds(100));
      if (line.has_value() &&
          line->find(R"("level":"info")") == std::string::npos) {
        std::fprintf(stderr, "%s\n", line->c_str());
      }
    }
  });
  stub_ = oracle::v1::OracleService::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  // The periodic sweep out of the way; batches as the benchmark says.
  oracle::v1::UpdateSweepConfigRequest request;
  request.mutable_config()->mutable_interval()->set_seconds(3600);
  request.mutable_config()->set_batch_size(batch_size);
  request.mutable_config()->mutable_batch_pause()->set_nanos(0);
  for (const char* path : {"interval", "batch_size", "batch_pause"}) {
    request.mutable_update_mask()->add_paths(path);
  }
  oracle::v1::SweepStatus status;
  grpc::ClientContext context;
  Check(FromGrpcStatus(stub_->UpdateSweepConfig(&context, request, &status)),
        "configure");
  // The sweep the oracle starts with (over no accounts) done, so that the
  // forced sweeps are the ones measured.
  while (Status().stats().sweeps_completed() == 0) {
    absl::SleepFor(absl::Milliseconds(100));
  }
}

BenchOracle::~BenchOracle() {
  done_ = true;
  if (drain_.joinable()) drain_.join();
}

std::string BenchOracle::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

oracle::v1::SweepStatus BenchOracle::Status() {
  oracle::v1::SweepStatus status;
  grpc::ClientContext context;
  Check(FromGrpcStatus(stub_->GetSweepStatus(&context, {}, &status)), "status");
  return status;
}

absl::Duration BenchOracle::Sweep() {
  const uint64_t before = Status().stats().sweeps_completed();
  {
    oracle::v1::SweepStatus status;
    grpc::ClientContext context;
    Check(FromGrpcStatus(stub_->ForceSweep(&context, {}, &status)), "force");
  }
  oracle::v1::SweepStatus status = Status();
  while (status.stats().sweeps_completed() == before) {
    absl::SleepFor(absl::Seconds(1));
    status = Status();
  }
  return absl::Seconds(status.stats().last_sweep_duration().seconds()) +
         absl::Nanoseconds(status.stats().last_sweep_duration().nanos());
}

int64_t MirroredCount(PgConnection& database) {
  return *Check(database.Exec(
                    "SELECT count(*) FROM oracle.operation_items i JOIN "
                    "oracle.operations o ON o.id = i.operation_id WHERE "
                    "o.state = 'confirmed'"),
                "mirrored")
              .GetInt64(0, 0);
}

}  // namespace chainsync::bench
