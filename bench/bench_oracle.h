#pragma once

// BenchOracle runs chainsync-oracle for the benchmarks over accounts written
// to its database directly (registering 100,000 addresses through their
// proofs measures the proofs, not what the benchmark is about) and funded
// on the Bitcoin API simulator, one confirmation deep.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "chainsync/oracle/v1/oracle.grpc.pb.h"
#include "libs/common/postgres/connection.h"
#include "libs/evm/address.h"
#include "tests/support/btcsim_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_env.h"

namespace chainsync::bench {

// The benchmarks' accounts and their Bitcoin addresses, told apart by
// number.
evm::Address BenchAccount(int account);
std::string BenchAddress(int account, int index);

// WriteAccounts registers `accounts` accounts of `per_account` addresses
// each in the oracle's tables.
void WriteAccounts(PgConnection& database, int accounts, int per_account);

// FundAccounts gives every address an output on the simulator and mines it.
void FundAccounts(testing::BtcsimProcess& sim, int accounts, int per_account);

class BenchOracle {
 public:
  // Starts the oracle on `database_url` with its periodic sweep out of the
  // way and batches of `batch_size`, and waits for its first (empty) sweep.
  BenchOracle(const std::string& database_url, const std::string& rpc_url,
              const std::string& deployment_file,
              const testing::BtcsimProcess& sim,
              const std::string& committee_key, int batch_size);
  ~BenchOracle();

  oracle::v1::OracleService::Stub& stub() { return *stub_; }
  std::string address() const;
  pid_t pid() const { return process_->pid(); }

  oracle::v1::SweepStatus Status();
  // Sweep forces a sweep and returns how long it took, by the oracle's own
  // clock; the status is polled as a dashboard would.
  absl::Duration Sweep();

 private:
  std::unique_ptr<testing::Subprocess> process_;
  int port_ = 0;
  std::unique_ptr<oracle::v1::OracleService::Stub> stub_;
  std::atomic<bool> done_{false};
  std::thread drain_;
};

// MirroredCount counts the accounts whose sync is final on chain.
int64_t MirroredCount(PgConnection& database);

}  // namespace chainsync::bench
